package iso

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// extent is where one file's data lies in the image.
type extent struct {
	name  string
	lba   uint32
	size  uint32
	isDir bool
}

// maxListed bounds the lines about one kind of problem.
const maxListed = 5

// outside lists what the image's own structures place past the end of the
// file (size bytes), as a truncated download or copy has it: the volume
// (PVD), the boot images, the MBR and GPT partitions, the backup GPT and
// every directory and file extent.
func outside(f io.ReaderAt, size int64, v pvd, r Report, extents []extent) []string {
	var out []string
	past := func(what string, end int64) {
		out = append(out, fmt.Sprintf("%s ends at byte %d, past the end of the file (%d bytes)", what, end, size))
	}
	if end := int64(v.blocks) * sector; end > size {
		past(fmt.Sprintf("the volume (%d sectors)", v.blocks), end)
	}
	for _, b := range r.Boot {
		end := int64(b.LBA)*sector + max(int64(b.Sectors)*512, sector)
		for _, e := range extents {
			if e.lba == b.LBA && !e.isDir {
				end = int64(e.lba)*sector + int64(e.size)
			}
		}
		if end > size {
			past(fmt.Sprintf("the %s El Torito boot image", b.Platform), end)
		}
	}
	if r.MBR != nil {
		for _, p := range r.MBR.Partitions {
			if end := (int64(p.Start) + int64(p.Len)) * 512; p.Type != 0xee && end > size {
				past(fmt.Sprintf("MBR partition %d", p.Index), end)
			}
		}
	}
	for _, p := range r.GPT {
		if end := (int64(p.End) + 1) * 512; end > size {
			past(fmt.Sprintf("GPT partition %d (%s)", p.Index, p.Name), end)
		}
	}
	if r.MBR.protective() {
		if backup, ok := gptBackupLBA(f); ok && (int64(backup)+1)*512 > size {
			past("the backup GPT header", (int64(backup)+1)*512)
		}
	}
	var files []string
	for _, e := range extents {
		if end := int64(e.lba)*sector + int64(e.size); end > size {
			files = append(files, fmt.Sprintf("/%s ends at byte %d", e.name, end))
		}
	}
	if len(files) > maxListed {
		files = append(files[:maxListed], fmt.Sprintf("and %d more", len(files)-maxListed))
	}
	if len(files) > 0 {
		out = append(out, fmt.Sprintf("data past the end of the file (%d bytes): %s", size, strings.Join(files, ", ")))
	}
	return out
}

// gptBackupLBA is the primary GPT header's alternate (backup) LBA.
func gptBackupLBA(f io.ReaderAt) (uint64, bool) {
	h := make([]byte, 92)
	if _, err := f.ReadAt(h, 512); err != nil || string(h[:8]) != "EFI PART" {
		return 0, false
	}
	return binary.LittleEndian.Uint64(h[32:40]), true
}

// checkSHA256 compares the ISO at p with p.sha256 (sha256sum format, as
// canvos iso writes it), when there is one: it returns the sidecar's path
// ("" for none) and a problem ("" when it matches).
func checkSHA256(f *os.File, p string) (sidecar, problem string, err error) {
	sidecar = p + ".sha256"
	line, err := readSmall(sidecar, 4096)
	if errors.Is(err, fs.ErrNotExist) {
		return "", "", nil
	}
	if err != nil {
		return sidecar, "", err
	}
	fields := strings.Fields(string(line))
	want, herr := hex.DecodeString(firstOr(fields, ""))
	if herr != nil || len(want) != sha256.Size {
		return sidecar, filepath.Base(sidecar) + " is not a sha256sum line (<64 hex digits>  <name>)", nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return sidecar, "", err
	}
	if got := h.Sum(nil); !bytes.Equal(got, want) {
		return sidecar, fmt.Sprintf("sha256 is %x, %s says %x", got, filepath.Base(sidecar), want), nil
	}
	return sidecar, "", nil
}

// readSmall reads a file that must be under limit bytes.
func readSmall(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("%s: larger than %d bytes", p, limit)
	}
	return b, err
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}
