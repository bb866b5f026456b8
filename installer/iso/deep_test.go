package iso

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// deepPath is 12 directories down, past ISO 9660's limit of 8 levels.
var deepPath = strings.Repeat("deep/", 12) + "file.txt"

const deepContent = "deep-overlay-ok"

// deepOverlay is an overlay with deepPath and, to catch a writer that moves
// deep directories to the root, a top-level directory of the same name.
func deepOverlay(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, deepPath), deepContent)
	write(t, filepath.Join(dir, "deep/top.txt"), "top")
	return dir
}

// TestDeepOverlay: an overlay deeper than 8 directories builds into both ISO
// kinds, and every reader finds the file where it was: xorriso (libisofs),
// isoinfo (genisoimage's reader) and our own (Inspect, verify's checks).
func TestDeepOverlay(t *testing.T) {
	testutil.RequireTool(t, "xorriso", "isoinfo")
	ov := deepOverlay(t)
	o := baseOptions(t, minimalRootfs(t))
	o.Overlay = ov
	isos := map[string]string{"installer": build(t, o).Path, "uki": buildUKI(t, ukiOptions(t, ukiESP(t), Payload{Overlay: ov})).Path}
	for name, p := range isos {
		x := t.TempDir()
		tool(t, "xorriso", "-osirrox", "on", "-indev", p, "-extract", "/", x)
		b, err := os.ReadFile(filepath.Join(x, deepPath))
		require.NoError(t, err, name)
		require.Equal(t, deepContent, string(b), name)
		b, err = os.ReadFile(filepath.Join(x, "deep/top.txt"))
		require.NoError(t, err, name)
		require.Equal(t, "top", string(b), name)
		require.Contains(t, tool(t, "isoinfo", "-R", "-f", "-i", p), "/"+deepPath+"\n", name)
		r, err := Inspect(p)
		require.NoError(t, err, name)
		require.Equal(t, int64(len(deepContent)), r.Files[deepPath], name)
		require.Empty(t, r.Problems(Expect{UKI: name == "uki"}), name)
	}
}

// TestDeepOverlayLinuxReads: Linux (Debian's kernel, isofs with Rock Ridge)
// mounts the ISO as a CD and reads the file 12 directories down.
func TestDeepOverlayLinuxReads(t *testing.T) {
	k := testutil.DebianKernel(t)
	o := baseOptions(t, minimalRootfs(t))
	o.Overlay = deepOverlay(t)
	iso := build(t, o).Path
	modules := k.Loadable(t, []string{"scsi_common", "scsi_mod", "cdrom", "sr_mod", "libata", "libahci", "ahci", "isofs"})
	init := "mount -t proc proc /proc\nmount -t devtmpfs devtmpfs /dev\n" +
		"for m in " + strings.Join(modules, " ") + "; do insmod /lib/modules/$m.ko; done\n" +
		"for i in $(seq 1 60); do [ -b /dev/sr0 ] && break; sleep 0.5; done\n" +
		"mkdir -p /cd && mount -t iso9660 -o ro /dev/sr0 /cd\n" +
		"echo \"CANVOS-DEEP: $(cat /cd/" + path.Clean(deepPath) + ")\"\npoweroff -f\n"
	res := testutil.QEMU{
		Args: []string{"-machine", "q35", "-kernel", k.Vmlinuz, "-initrd", testutil.Initramfs(t, k, init, modules, nil),
			"-append", "console=ttyS0 quiet panic=-1", "-drive", "file=" + iso + ",media=cdrom,readonly=on,if=none,id=cd",
			"-device", "ide-cd,drive=cd"},
		Timeout: 240 * time.Second,
		Until:   []string{"CANVOS-DEEP: " + deepContent, "Kernel panic"},
	}.Run(t)
	require.Equal(t, "CANVOS-DEEP: "+deepContent, res.Matched, "%s", res.Output)
}
