package maas

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
	"dagger/canvos/usererr"
)

func TestBuildRaw(t *testing.T) {
	t.Parallel()
	rootfs := kairosRootfs(t)
	disk := buildRaw(t, rootfs)

	parts := gptOf(t, disk)
	require.Equal(t, "efi:EF00 oem:8300 recovery:8300", names(parts))
	require.Equal(t, int64(2048), parts[0].start, "p1 at 1 MiB")

	esp := extract(t, disk, parts[0])
	requireFATClean(t, esp, labelEFI)
	got := filepath.Join(t.TempDir(), "bootx64.efi")
	sh(t, "mcopy", "-n", "-i", esp, "::/EFI/BOOT/bootx64.efi", got)
	require.Equal(t, read(t, "/usr/lib/shim/shimx64.efi.signed"), read(t, got), "shim is the fallback loader")
	for _, cfg := range []string{"::/EFI/BOOT/grub.cfg", "::/EFI/debian/grub.cfg"} {
		out := filepath.Join(t.TempDir(), "grub.cfg")
		sh(t, "mcopy", "-n", "-i", esp, cfg, out)
		require.Equal(t, espGrubCfg, string(read(t, out)))
	}

	oem := extract(t, disk, parts[1])
	requireExtClean(t, oem, labelOEM)
	env, err := parseGrubenv([]byte(debugfsOut(t, oem, "cat /grubenv")))
	require.NoError(t, err)
	require.Equal(t, grubenv{"next_entry": "recovery"}, env)
	require.Equal(t, "#cloud-config\nhostname: edge\n", debugfsOut(t, oem, "cat /90_custom.yaml"))
	require.Contains(t, debugfsOut(t, oem, "cat /01_reset.yaml"), "kairos-agent --debug reset --unattended --reboot")

	recovery := extract(t, disk, parts[2])
	requireExtClean(t, recovery, labelRecovery)
	require.Equal(t, testutil.KairosGrubCfg, debugfsOut(t, recovery, "cat /etc/cos/grub.cfg"))
	testutil.RequireTool(t, "unsquashfs")
	sq := filepath.Join(t.TempDir(), "recovery.squashfs")
	sh(t, "debugfs", "-R", "dump /cOS/recovery.squashfs "+sq, recovery)
	require.Contains(t, sh(t, "unsquashfs", "-l", sq), "squashfs-root/usr/bin/tool")

	again := buildRaw(t, testutil.CopyTree(t, rootfs))
	require.Equal(t, sha256.Sum256(read(t, disk)), sha256.Sum256(read(t, again)), "same inputs unpacked again, same bytes")
}

func TestBuildRawRejectsBadInput(t *testing.T) {
	t.Parallel()
	good := kairosRootfs(t)
	noGrub := kairosRootfs(t)
	require.NoError(t, os.Remove(filepath.Join(noGrub, "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed")))
	randomGrub := kairosRootfs(t)
	require.NoError(t, os.WriteFile(filepath.Join(randomGrub, "usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed"), bytes.Repeat([]byte{0x93, 0x07}, 2048), 0o644))
	noCfg := kairosRootfs(t)
	require.NoError(t, os.Remove(filepath.Join(noCfg, kairosGrubCfg.String())))
	for name, tc := range map[string]struct {
		o     RawOptions
		param string
	}{
		"missing rootfs": {RawOptions{Rootfs: filepath.Join(good, "nope")}, "--rootfs"},
		"no grub":        {RawOptions{Rootfs: noGrub}, "--rootfs"},
		"no grub.cfg":    {RawOptions{Rootfs: noCfg}, "--rootfs"},
		"random grub":    {RawOptions{Rootfs: randomGrub}, "--rootfs"},
		"bad user-data":  {RawOptions{Rootfs: good, UserData: []byte("hostname: x\n")}, "--user-data"},
		"no out dir":     {RawOptions{Rootfs: good, Out: "/nonexistent/dir/x.raw"}, "--out"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if tc.o.Out == "" {
				tc.o.Out = filepath.Join(t.TempDir(), "out.raw")
			}
			err := BuildRaw(context.Background(), tc.o)
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.True(t, strings.HasPrefix(err.Error(), tc.param+":"), "error names %s: %v", tc.param, err)
			require.NoFileExists(t, tc.o.Out)
		})
	}
}
