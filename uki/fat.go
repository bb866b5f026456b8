package uki

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"dagger/canvos/outfile"
	"dagger/canvos/run"
)

// espLabel is the FAT volume label of the ESP image.
const espLabel = "ESP"

// fatEntry is one directory or file of the ESP tree, relative to its root.
type fatEntry struct {
	rel  string // slash-separated
	dir  bool
	size int64
}

// walkESP lists dir in sorted order (filepath.WalkDir is lexical), so the
// image is built the same way every time.
func walkESP(dir string) ([]fatEntry, error) {
	var out []fatEntry
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		e := fatEntry{rel: filepath.ToSlash(rel), dir: d.IsDir()}
		if !e.dir {
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s: not a regular file or directory", rel)
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			e.size = fi.Size()
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// espImageSize is the FAT image size in bytes: the files plus an eighth and
// 2 MiB for FAT tables, directories and cluster slack, in whole MiB.
func espImageSize(entries []fatEntry) int64 {
	var total int64
	for _, e := range entries {
		total += e.size
	}
	return alignUp(total+total/8+2<<20, 1<<20)
}

// espVolumeID derives the FAT serial from the tree's names and contents.
func espVolumeID(dir string, entries []fatEntry) (string, error) {
	h := sha256.New()
	for _, e := range entries {
		io.WriteString(h, e.rel+"\x00")
		if e.dir {
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(e.rel)))
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%08X", binary.BigEndian.Uint32(h.Sum(nil))), nil
}

// espImageCmds formats img (already sized) and copies the tree into it:
// mkfs.fat, then mmd and mcopy per entry in walk order. go-diskfs FAT images
// with subdirectories fail fsck.fat -n (libs-and-tools.md A1), so dosfstools
// and mtools make it. mtools stamps files and directories with
// SOURCE_DATE_EPOCH, but mkfs.fat 4.2 stamps the volume label entry with the
// clock unless --invariant (measured: two runs a second apart differed);
// -i still sets our serial.
func espImageCmds(dir, img string, entries []fatEntry, volID string, epoch int64) []run.Cmd {
	env := []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10), "MTOOLS_SKIP_CHECK=1"}
	cmds := []run.Cmd{{Name: "mkfs.fat", Args: []string{"--invariant", "-i", volID, "-n", espLabel, img}, Env: env}}
	for _, e := range entries {
		dst := "::/" + e.rel
		if e.dir {
			cmds = append(cmds, run.Cmd{Name: "mmd", Args: []string{"-i", img, dst}, Env: env})
			continue
		}
		src := filepath.Join(dir, filepath.FromSlash(e.rel))
		cmds = append(cmds, run.Cmd{Name: "mcopy", Args: []string{"-i", img, src, dst}, Env: env})
	}
	return cmds
}

// WriteESPImage writes a FAT image of the ESP tree dir to img, sized to
// its files. epoch (SOURCE_DATE_EPOCH) stamps every FAT time; the volume
// serial comes from the content, so the same tree gives the same image.
func WriteESPImage(ctx context.Context, dir, img string, epoch int64) error {
	return WriteESPImageSize(ctx, dir, img, 0, epoch)
}

// WriteESPImageSize is WriteESPImage with an image of size bytes (whole
// MiB); 0 sizes it to the files.
func WriteESPImageSize(ctx context.Context, dir, img string, size, epoch int64) error {
	entries, err := walkESP(dir)
	if err != nil {
		return fmt.Errorf("esp image: %w", err)
	}
	if size == 0 {
		size = espImageSize(entries)
	}
	volID, err := espVolumeID(dir, entries)
	if err != nil {
		return fmt.Errorf("esp image: %w", err)
	}
	f, err := outfile.Create(img, 0o644)
	if err != nil {
		return fmt.Errorf("esp image: %w", err)
	}
	defer f.Abort()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("esp image: %w", err)
	}
	for _, c := range espImageCmds(dir, f.Name(), entries, volID, epoch) {
		if _, err := run.Run(ctx, c); err != nil {
			return fmt.Errorf("esp image: %w", err)
		}
	}
	return f.Commit()
}
