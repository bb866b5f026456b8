package iso

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"

	"dagger/canvos/run"
)

// espFile is one file on the ESP.
type espFile struct {
	dst string // FAT path, e.g. ::/EFI/BOOT/BOOTX64.EFI
	src string // host path
}

// espDirs: EFI/BOOT is the removable-media path every firmware tries; the
// distro directories hold the same GRUB stub config for non-CD GRUB builds
// whose built-in prefix is /EFI/<distro>.
var espDirs = []string{"::/EFI", "::/EFI/BOOT", "::/EFI/debian", "::/EFI/ubuntu"}

// espLabel must not be the ISO's label: GRUB searches by label and would
// find the ESP partition of a USB stick first.
const espLabel = "ISO_EFI"

func espFiles(b bootSet, stubCfg string) []espFile {
	files := []espFile{
		// shim loads grubx64.efi (grubaa64.efi) from its own directory.
		{dst: "::/EFI/BOOT/" + b.arch.efiBoot, src: b.shim},
		{dst: "::/EFI/BOOT/" + b.arch.efiGrub, src: b.grubEFI},
	}
	if b.mok != "" {
		files = append(files, espFile{dst: "::/EFI/BOOT/" + b.arch.efiMok, src: b.mok})
	}
	for _, d := range espDirs[1:] {
		files = append(files, espFile{dst: d + "/grub.cfg", src: stubCfg})
	}
	return files
}

// espSize returns the FAT image size in KiB: the files plus a quarter and a
// MiB for FAT structures and directories, rounded to a MiB.
func espSize(files []espFile) (int64, error) {
	var total int64
	for _, f := range files {
		fi, err := os.Stat(f.src)
		if err != nil {
			return 0, err
		}
		total += fi.Size()
	}
	kib := (total*5/4)/1024 + 1024
	return (kib + 1023) / 1024 * 1024, nil
}

// espVolumeID derives the FAT serial from the ESP's content, so the same
// boot files give the same image.
func espVolumeID(files []espFile) (string, error) {
	h := sha256.New()
	for _, f := range files {
		io.WriteString(h, f.dst+"\x00")
		r, err := os.Open(f.src)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, r)
		r.Close()
		if err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%08X", binary.BigEndian.Uint32(h.Sum(nil))), nil
}

// espCmds builds the FAT image with dosfstools and mtools (go-diskfs FAT
// images fail fsck.fat -n, libs-and-tools.md A1). mtools honours
// SOURCE_DATE_EPOCH (mcopy without -m stamps files with it); mkfs.fat 4.2
// does not, so --invariant pins its own volume-label entry (to a constant
// date) while -i still sets the serial.
func espCmds(img string, files []espFile, sizeKiB int64, volID string, epoch int64) []run.Cmd {
	env := []string{"SOURCE_DATE_EPOCH=" + strconv.FormatInt(epoch, 10), "MTOOLS_SKIP_CHECK=1"}
	cmds := []run.Cmd{
		{Name: "mkfs.fat", Args: []string{"--invariant", "-C", "-i", volID, "-n", espLabel, img, strconv.FormatInt(sizeKiB, 10)}, Env: env},
		{Name: "mmd", Args: append([]string{"-i", img}, espDirs...), Env: env},
	}
	for _, f := range files {
		cmds = append(cmds, run.Cmd{Name: "mcopy", Args: []string{"-i", img, f.src, f.dst}, Env: env})
	}
	return cmds
}
