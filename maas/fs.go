package maas

import (
	"context"
	"fmt"
	"strconv"

	"dagger/canvos/run"
)

// extFS describes one ext2/ext4 file system made by mke2fs directly inside the
// disk file at its partition's offset (-E offset), from the files under src
// (-d keeps owners, modes, hardlinks, device nodes and xattrs; DESIGN.md).
type extFS struct {
	typ   string // "ext2" or "ext4"
	label string
	src   string // directory to copy in; "" for an empty file system
}

// mkfsExt returns the mke2fs call for fs on partition p of disk. The UUID and
// directory hash seed come from s, and E2FSPROGS_FAKE_TIME pins the times
// mke2fs itself sets, so the result only depends on the inputs.
func mkfsExt(fs extFS, disk string, p placed, s seed, epoch int64) run.Cmd {
	ext := fmt.Sprintf("offset=%d,root_owner=0:0,hash_seed=%s,nodiscard", p.offset, s.guid("hash seed "+p.name))
	args := []string{"-q", "-F", "-t", fs.typ, "-L", fs.label, "-U", s.guid("fs " + p.name).String(), "-E", ext}
	if fs.src != "" {
		args = append(args, "-d", fs.src)
	}
	args = append(args, disk, strconv.FormatInt(p.size/1024, 10)+"k")
	return run.Cmd{Name: "mke2fs", Args: args, Env: []string{"E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(epoch, 10)}}
}

// makeExt makes fs on partition p of disk (mkfsExt), then, for a file
// system copied from a directory, pins the times mke2fs took from the host
// (stampTimes); the request file goes to scratch.
func makeExt(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), scratch string, fs extFS, disk string, p placed, s seed, epoch int64) error {
	if _, err := r(ctx, mkfsExt(fs, disk, p, s, epoch)); err != nil {
		return err
	}
	if fs.src == "" {
		return nil
	}
	return stampTimes(ctx, r, scratch, fs.src, disk, p, epoch)
}

// mkfsFAT returns the mkfs.fat call for a FAT file system labelled label on
// partition p of disk. go-diskfs FAT images fail fsck.fat once they hold a
// subdirectory (libs-and-tools.md A1), so dosfstools makes the ESP.
// --invariant fixes the volume label entry's time, which mkfs.fat 4.2 takes
// from the clock even with SOURCE_DATE_EPOCH; -i then sets our serial.
// FAT32 with one sector per cluster, as the UEFI spec prefers for an ESP and
// valid from 33 MiB: left to itself, mkfs.fat picks the FAT type from the size
// of the whole disk file and fails on a small ESP inside a big disk.
func mkfsFAT(label, disk string, p placed, s seed, epoch int64) run.Cmd {
	return run.Cmd{
		Name: "mkfs.fat",
		Args: []string{"--invariant", "-F", "32", "-s", "1", "-n", label, "-i", fmt.Sprintf("%08X", s.serial("fat "+p.name)),
			"--offset", strconv.FormatInt(p.offset/sectorSize, 10), disk, strconv.FormatInt(p.size/1024, 10)},
		Env: []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10)},
	}
}

// mcopy copies srcs (recursively) into the root of the FAT file system on
// partition p of disk. Without -m/-p, mtools stamps every file and directory
// with SOURCE_DATE_EPOCH; with them, new directories get the current time.
func mcopy(disk string, p placed, srcs []string, epoch int64) run.Cmd {
	args := append([]string{"-s", "-Q", "-i", disk + "@@" + strconv.FormatInt(p.offset, 10)}, srcs...)
	return run.Cmd{Name: "mcopy", Args: append(args, "::/"),
		Env: []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10), "MTOOLS_SKIP_CHECK=1"}}
}

// mksquashfs packs rootfs into out. zstd level 3 packs a 1 GiB rootfs in ~6 s
// where the default level 15 takes ~70 s for 11 % less (perf-baselines.md §2);
// the Ubuntu and openSUSE kernels Kairos uses read zstd squashfs.
// SOURCE_DATE_EPOCH (not -mkfs-time: mksquashfs refuses both) sets the
// creation time and clamps later file times to it.
func mksquashfs(rootfs, out string, epoch int64) run.Cmd {
	return run.Cmd{Name: "mksquashfs", Args: []string{rootfs, out,
		"-comp", "zstd", "-Xcompression-level", "3", "-noappend", "-no-progress", "-quiet"},
		Env: []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10)}}
}

// extDevice names partition p of disk for e2fsprogs: "path?offset=N" opens the
// file system at that byte offset (lib/ext2fs io options), so debugfs edits it
// in place.
func extDevice(disk string, p placed) string {
	return disk + "?offset=" + strconv.FormatInt(p.offset, 10)
}

// debugfs runs a debugfs request file against the ext file system on p;
// write opens it read-write. debugfs reports errors of single requests on
// stderr but still exits 0, so callers read back what they wrote.
func debugfs(disk string, p placed, script string, write bool, epoch int64) run.Cmd {
	args := []string{"-f", script}
	if write {
		args = append([]string{"-w"}, args...)
	}
	return run.Cmd{Name: "debugfs", Args: append(args, extDevice(disk, p)),
		Env: []string{"E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(epoch, 10)}}
}

// debugfsRequest runs a single read-only debugfs request (e.g. "cat /grubenv").
func debugfsRequest(disk string, p placed, request string) run.Cmd {
	return run.Cmd{Name: "debugfs", Args: []string{"-R", request, extDevice(disk, p)}}
}
