package maas

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

const testEpoch = 1700000000

var (
	kairosRootfs = testutil.KairosRootfs
	ubuntuRootfs = testutil.UbuntuRootfs
)

func put(t *testing.T, root, rel string, data []byte, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(root, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
	require.NoError(t, os.Chmod(p, mode))
}

func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

func sh(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
	return string(out)
}

// sgdiskPart is one row of `sgdisk -p`.
type sgdiskPart struct {
	start, end int64 // sectors
	code, name string
}

var sgdiskRow = regexp.MustCompile(`(?m)^\s+(\d+)\s+(\d+)\s+(\d+)\s+\S+ \S+\s+([0-9A-F]{4})\s+(\S+)\s*$`)

// gptOf checks the disk with sgdisk -v and returns its partitions as sgdisk
// prints them, in order.
func gptOf(t *testing.T, disk string) []sgdiskPart {
	t.Helper()
	testutil.RequireTool(t, "sgdisk")
	v := sh(t, "sgdisk", "-v", disk)
	require.Contains(t, v, "No problems found", v)
	var parts []sgdiskPart
	for _, m := range sgdiskRow.FindAllStringSubmatch(sh(t, "sgdisk", "-p", disk), -1) {
		s, _ := strconv.ParseInt(m[2], 10, 64)
		e, _ := strconv.ParseInt(m[3], 10, 64)
		parts = append(parts, sgdiskPart{start: s, end: e, code: m[4], name: m[5]})
	}
	return parts
}

// extract dd's a partition out of disk into its own file.
func extract(t *testing.T, disk string, p sgdiskPart) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), p.name+".img")
	sh(t, "dd", "if="+disk, "of="+out, "bs=1M", "iflag=skip_bytes,count_bytes", "skip="+strconv.FormatInt(p.start*512, 10),
		"count="+strconv.FormatInt((p.end-p.start+1)*512, 10), "conv=sparse", "status=none")
	return out
}

func requireExtClean(t *testing.T, img, label string) {
	t.Helper()
	testutil.RequireTool(t, "e2fsck", "dumpe2fs")
	out, err := exec.Command("e2fsck", "-fn", img).CombinedOutput()
	require.NoError(t, err, "e2fsck -fn %s: %s", label, out)
	require.Contains(t, sh(t, "dumpe2fs", "-h", img), "Filesystem volume name:   "+label)
}

func requireFATClean(t *testing.T, img, label string) {
	t.Helper()
	testutil.RequireTool(t, "fsck.fat", "mlabel")
	out, err := exec.Command("fsck.fat", "-n", img).CombinedOutput()
	require.NoError(t, err, "fsck.fat -n: %s", out)
	require.Contains(t, sh(t, "mlabel", "-s", "-i", img, "::"), label)
}

// debugfsOut runs a read-only debugfs request on an ext image.
func debugfsOut(t *testing.T, img, req string) string {
	t.Helper()
	out, err := exec.Command("debugfs", "-R", req, img).Output()
	require.NoError(t, err, "debugfs -R %q", req)
	return string(out)
}

func buildRaw(t *testing.T, rootfs string) string {
	t.Helper()
	testutil.RequireTool(t, "mksquashfs", "mke2fs", "mkfs.fat", "mcopy", "debugfs")
	out := filepath.Join(t.TempDir(), "kairos.raw")
	require.NoError(t, BuildRaw(context.Background(), RawOptions{
		Rootfs: rootfs, Out: out, ScratchDir: t.TempDir(), Epoch: testEpoch, UserData: []byte("#cloud-config\nhostname: edge\n"),
	}))
	return out
}

func names(parts []sgdiskPart) string {
	var n []string
	for _, p := range parts {
		n = append(n, p.name+":"+p.code)
	}
	return strings.Join(n, " ")
}
