package iso

import (
	"fmt"
	"strconv"

	"dagger/canvos/run"
)

// squashfsCmd builds the mksquashfs call that packs the rootfs (plus the
// local-ui pseudo definitions in pseudoFile and the paths they replace in
// excludeFile, when set). mksquashfs keeps owners, modes, xattrs, hardlinks
// and device nodes, which go-diskfs' squashfs writer does not
// (libs-and-tools.md A1). 4.5 writes reproducibly by default; every inode
// time and the superblock time are pinned to the epoch through
// SOURCE_DATE_EPOCH (4.5 refuses -all-time/-mkfs-time when the caller's
// environment already has SOURCE_DATE_EPOCH, so the variable is the one way
// that always works; ours overrides an inherited one).
func squashfsCmd(o Options, out, pseudoFile, excludeFile string) run.Cmd {
	args := []string{o.Rootfs, out, "-noappend", "-no-progress", "-quiet"}
	args = append(args, compressionArgs(o.Compression, o.Level)...)
	if pseudoFile != "" {
		args = append(args, "-pf", pseudoFile)
	}
	if excludeFile != "" {
		args = append(args, "-ef", excludeFile)
	}
	return run.Cmd{Name: "mksquashfs", Args: args, Env: []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(o.Epoch, 10)}}
}

// defaultZstdLevel: see Compression.
const defaultZstdLevel = 3

func compressionArgs(c Compression, level int) []string {
	switch c {
	case CompNone:
		// 4.5 has no -no-compression (4.6 added it): switch off each part.
		return []string{"-noI", "-noD", "-noF", "-noX"}
	case CompZstd:
		if level == 0 {
			level = defaultZstdLevel
		}
		return []string{"-comp", "zstd", "-Xcompression-level", fmt.Sprint(level)}
	case CompGzip:
		if level != 0 {
			return []string{"-comp", "gzip", "-Xcompression-level", fmt.Sprint(level)}
		}
	}
	return []string{"-comp", string(c)}
}
