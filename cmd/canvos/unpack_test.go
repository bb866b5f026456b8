package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/pe"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// markers finds every marker matching re in file and in everything packed
// inside it, unpacked with the tools that read each format: ISO 9660
// (xorriso), GPT disks (each partition), FAT (mcopy), ext2/4 (debugfs
// rdump), squashfs (unsquashfs), gzip and zstd streams, PE images (each
// section: a UKI's .initrd is a zstd cpio, whose members are stored as is).
// kinds counts the formats met, so a test can tell the search went deep.
func markers(t *testing.T, re *regexp.Regexp, file string, found map[string]bool, kinds map[string]int) {
	t.Helper()
	testutil.RequireTool(t, "xorriso", "mcopy", "debugfs", "unsquashfs")
	scan(t, re, file, found, kinds, 0)
}

func scan(t *testing.T, re *regexp.Regexp, file string, found map[string]bool, kinds map[string]int, depth int) {
	t.Helper()
	require.Less(t, depth, 8, "%s: packed too deep", file)
	grep(t, re, file, found)
	head := make([]byte, 0x8006)
	f, err := os.Open(file)
	require.NoError(t, err)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	kind := formatOf(head)
	if kind == "" {
		return
	}
	out := filepath.Join(t.TempDir(), "x")
	switch kind {
	case "iso9660":
		runTool(t, "xorriso", "-osirrox", "on", "-indev", file, "-extract", "/", out)
	case "gpt":
		out = partitions(t, file)
	case "fat":
		require.NoError(t, os.Mkdir(out, 0o755))
		runTool(t, "mcopy", "-s", "-n", "-i", file, "::/", out)
	case "ext":
		require.NoError(t, os.Mkdir(out, 0o755))
		runTool(t, "debugfs", "-R", "rdump / "+out, file)
	case "squashfs":
		runTool(t, "unsquashfs", "-no-xattrs", "-no-progress", "-d", out, file)
	case "gzip", "zstd":
		out = decompress(t, kind, file)
	case "pe":
		out = sections(t, file)
	}
	if out == "" {
		return
	}
	kinds[kind]++
	require.NoError(t, filepath.Walk(out, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
			scan(t, re, p, found, kinds, depth+1)
		}
		return err
	}))
}

func formatOf(b []byte) string {
	at := func(off int, magic string) bool {
		return len(b) >= off+len(magic) && string(b[off:off+len(magic)]) == magic
	}
	switch {
	case at(0x8001, "CD001"):
		return "iso9660"
	case at(512, "EFI PART"):
		return "gpt"
	case at(0, "hsqs"):
		return "squashfs"
	case at(1080, "\x53\xef"):
		return "ext"
	case at(510, "\x55\xaa") && (at(0x36, "FAT") || at(0x52, "FAT32")):
		return "fat"
	case at(0, "\x1f\x8b"):
		return "gzip"
	case at(0, "\x28\xb5\x2f\xfd"):
		return "zstd"
	case at(0, "MZ"):
		return "pe"
	}
	return ""
}

// markerPrefix starts every marker re matches.
const markerPrefix = "CANVOS-"

// grep streams file through re, a chunk at a time with an overlap longer
// than any marker.
func grep(t *testing.T, re *regexp.Regexp, file string, found map[string]bool) {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	const overlap = 512
	var tail []byte
	buf := make([]byte, 8<<20)
	for {
		n, err := io.ReadFull(r, buf)
		chunk := append(tail, buf[:n]...)
		// bytes.Index finds the fixed prefix fast; the regexp reads only there.
		for rest := chunk; ; {
			i := bytes.Index(rest, []byte(markerPrefix))
			if i < 0 {
				break
			}
			if m := re.Find(rest[i:min(len(rest), i+overlap)]); m != nil {
				found[string(m)] = true
			}
			rest = rest[i+len(markerPrefix):]
		}
		if err != nil {
			return
		}
		tail = append([]byte(nil), chunk[max(0, len(chunk)-overlap):]...)
	}
}

// partitions copies each GPT partition of disk into its own file.
func partitions(t *testing.T, disk string) string {
	t.Helper()
	f, err := os.Open(disk)
	require.NoError(t, err)
	defer f.Close()
	hdr := make([]byte, 92)
	_, err = f.ReadAt(hdr, 512)
	require.NoError(t, err)
	entries := int64(binary.LittleEndian.Uint64(hdr[72:]))
	count := binary.LittleEndian.Uint32(hdr[80:])
	size := int64(binary.LittleEndian.Uint32(hdr[84:]))
	dir := t.TempDir()
	for i := int64(0); i < int64(count); i++ {
		e := make([]byte, size)
		_, err := f.ReadAt(e, entries*512+i*size)
		require.NoError(t, err)
		first, last := int64(binary.LittleEndian.Uint64(e[32:])), int64(binary.LittleEndian.Uint64(e[40:]))
		if first == 0 {
			continue
		}
		sparseCopy(t, filepath.Join(dir, "p"+strconv.FormatInt(i, 10)), io.NewSectionReader(f, first*512, (last-first+1)*512))
	}
	return dir
}

// decompress unpacks a gzip or zstd stream; a file that only starts like
// one is left as it is ("").
// sparseCopy writes r to the new file dst, leaving holes where r has whole
// MiBs of zeros (disk images are mostly empty).
func sparseCopy(t *testing.T, dst string, r *io.SectionReader) {
	t.Helper()
	out, err := os.Create(dst)
	require.NoError(t, err)
	defer out.Close()
	buf, zero := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); off < r.Size(); off += int64(len(buf)) {
		n, err := r.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			require.NoError(t, err)
		}
		if !bytes.Equal(buf[:n], zero[:n]) {
			_, err = out.WriteAt(buf[:n], off)
			require.NoError(t, err)
		}
	}
	require.NoError(t, out.Truncate(r.Size()))
}

func decompress(t *testing.T, kind, file string) string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var r io.Reader
	if kind == "gzip" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return ""
		}
		r = zr
	} else {
		zr, err := zstd.NewReader(f)
		require.NoError(t, err)
		defer zr.Close()
		r = zr
	}
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, "data"))
	require.NoError(t, err)
	_, err = io.Copy(out, r)
	require.NoError(t, out.Close())
	if err != nil {
		return ""
	}
	return dir
}

// sections writes each section of the PE image file to its own file; a file
// that only starts like one is left as it is.
func sections(t *testing.T, file string) string {
	t.Helper()
	dir := t.TempDir()
	p, err := pe.Open(file)
	if err != nil {
		return ""
	}
	defer p.Close()
	for _, s := range p.Sections {
		b, err := io.ReadAll(s.Open())
		require.NoError(t, err)
		b = b[:min(len(b), int(s.VirtualSize))] // without the file alignment's padding
		require.NoError(t, os.WriteFile(filepath.Join(dir, "section"+s.Name), b, 0o644))
	}
	return dir
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}
