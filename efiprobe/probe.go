// Package efiprobe builds the probe ISO of CanvOS' +iso-efi-size-check: an
// ESP of EFI_IMG_SIZE MiB holding an EFI_MAX_SIZE MiB file and a UEFI
// program that reports whether the firmware can read it. Users boot it on
// their hardware before trusting a large UKI to it.
//
// CanvOS' program (efi-size-check/, Rust) reads the file into ever larger
// buffers and allocates pages up to 2 GiB. Ours asks the firmware to do what
// systemd-boot asks of it for a UKI: the UEFI shell (Debian's efi-shell-x64,
// booted as EFI/BOOT/BOOTX64.EFI) runs startup.nsh, whose `load` has the
// firmware LoadImage an EFI_MAX_SIZE MiB PE image from the ESP — one read of
// the whole file through the firmware's FAT driver into a buffer of its
// size, then a second allocation of the image's size for its sections — and
// prints a verdict line on the console (serial included).
package efiprobe

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"dagger/canvos/installer/iso"
	"dagger/canvos/outfile"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

// CanvOS' defaults (Earthfile ARG EFI_MAX_SIZE, EFI_IMG_SIZE), in MiB.
const (
	DefaultMaxSize = 2048
	DefaultImgSize = 2200
)

// DefaultShell is where Debian's efi-shell-x64 installs the UEFI shell.
const DefaultShell = "/usr/share/efi-shell-x64/shellx64.efi"

// Label is the probe ISO's volume label.
const Label = "EFI_SIZE_CHECK"

// Verdict lines start with Verdict, then PASS or FAIL.
const (
	Verdict = "efi-size-check: "
	Pass    = Verdict + "PASS"
	Fail    = Verdict + "FAIL"
)

// probeName is the large image at the ESP root (CanvOS names its file ABC);
// marker tells the probe's ESP from the machine's other file systems.
const (
	probeName = "PROBE.EFI"
	marker    = `EFI\BOOT\EFISIZE.TXT`
)

const mib = 1 << 20

// Options describe one probe ISO.
type Options struct {
	Shell      string // the UEFI shell, x86-64 (shellx64.efi) → EFI/BOOT/BOOTX64.EFI
	MaxSize    int    // EFI_MAX_SIZE: size of the probe image in MiB
	ImgSize    int    // EFI_IMG_SIZE: size of the FAT ESP in MiB
	OutPath    string // the ISO; OutPath+".sha256" is written beside it
	ScratchDir string // throwaway workspace (the ESP tree and image); must exist
	Epoch      int64  // SOURCE_DATE_EPOCH for every timestamp
	Printf     func(string, ...any)
}

// Validate checks every option before anything is written.
func (o Options) Validate() error {
	if o.MaxSize < 1 {
		return usererr.New("EFI_MAX_SIZE", fmt.Sprint(o.MaxSize), "a size in MiB, at least 1")
	}
	fi, err := os.Stat(o.Shell)
	if err != nil || !fi.Mode().IsRegular() {
		return usererr.New("--shell", o.Shell, "the UEFI shell for x86-64 (Debian efi-shell-x64: "+DefaultShell+")")
	}
	// The ESP holds the probe, the shell and two FATs: at most 4 bytes per
	// 4 KiB cluster each (mkfs.fat's FAT32 size), 2 bytes per 2 KiB for FAT16.
	need := int64(o.MaxSize)*mib + fi.Size() + int64(o.ImgSize)*mib/512 + mib
	if int64(o.ImgSize)*mib < need {
		return usererr.New("EFI_IMG_SIZE", fmt.Sprint(o.ImgSize),
			fmt.Sprintf("at least %d MiB for an EFI_MAX_SIZE of %d MiB, the UEFI shell and the FAT tables", (need+mib-1)/mib, o.MaxSize))
	}
	if !strings.HasSuffix(o.OutPath, ".iso") {
		return usererr.New("--out", o.OutPath, "a file name ending in .iso")
	}
	return nil
}

// Build writes the probe ISO: the ESP image is its El Torito UEFI entry and,
// written to a USB stick, its GPT EFI system partition (iso.BuildUKIISO).
func Build(ctx context.Context, o Options) (iso.Result, error) {
	if err := o.Validate(); err != nil {
		return iso.Result{}, err
	}
	work, err := os.MkdirTemp(o.ScratchDir, "efi-size-check-")
	if err != nil {
		return iso.Result{}, fmt.Errorf("efi-size-check: %w", err)
	}
	defer os.RemoveAll(work)
	tree := filepath.Join(work, "esp")
	if err := writeTree(tree, o); err != nil {
		return iso.Result{}, fmt.Errorf("efi-size-check: esp: %w", err)
	}
	img := filepath.Join(work, "esp.img")
	if err := uki.WriteESPImageSize(ctx, tree, img, int64(o.ImgSize)*mib, o.Epoch); err != nil {
		return iso.Result{}, fmt.Errorf("efi-size-check: %w", err)
	}
	return iso.BuildUKIISO(ctx, iso.UKIOptions{
		ESPImage: img, OutPath: o.OutPath, ScratchDir: work, Label: Label, Epoch: o.Epoch, Printf: o.Printf,
	})
}

// writeTree lays out the ESP: the shell as the removable-media boot loader,
// startup.nsh next to it (the shell runs it from its own directory) and the
// probe image at the root.
func writeTree(dir string, o Options) error {
	boot := filepath.Join(dir, "EFI", "BOOT")
	if err := os.MkdirAll(boot, 0o755); err != nil {
		return err
	}
	shell, err := os.ReadFile(o.Shell)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(boot, "BOOTX64.EFI"), shell, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(boot, "startup.nsh"), []byte(Script(o.MaxSize, o.ImgSize)), 0o644); err != nil {
		return err
	}
	note := "CanvOS iso-efi-size-check probe: the UEFI shell's startup.nsh loads \\" + probeName + "\r\n"
	if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(marker, `\`, "/"))), []byte(note), 0o644); err != nil {
		return err
	}
	return writeProbe(filepath.Join(dir, probeName), int64(o.MaxSize)*mib)
}

// writeProbe writes the driver stub plus one section that makes the file
// exactly size bytes.
func writeProbe(path string, size int64) error {
	stub := driverStub()
	// uki.Assemble puts the section right after the stub's file-aligned end.
	body := max(size-int64(len(stub)), 1)
	img, err := uki.Assemble(stub, []uki.Section{{Name: ".probe", Data: io.NewSectionReader(filler{body}, 0, body)}})
	if err != nil {
		return err
	}
	f, err := outfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := io.Copy(f, img); err != nil {
		return err
	}
	return f.Commit()
}

// Script is startup.nsh: find the ESP the shell booted from (the shell runs
// the script with no current directory), `load` the probe and print the
// verdict. The shell aborts a script whose program cannot be started, so
// the probe is a driver loaded by the internal `load` command, whose
// failure only sets lasterror.
func Script(maxSize, imgSize int) string {
	what := fmt.Sprintf("a %d MiB EFI image (EFI_MAX_SIZE=%d) from a %d MiB ESP (EFI_IMG_SIZE=%d)", maxSize, maxSize, imgSize, imgSize)
	lines := []string{
		"@echo -off",
		`echo "` + Verdict + `loading ` + what + `"`,
		"for %i run (0 31)",
		`  if exist fs%i:\` + marker + ` then`,
		`    set -v probe fs%i:\` + probeName,
		"  endif",
		"endfor",
		`if "%probe%" == "" then`,
		`  echo "` + Fail + `: no file system holds \` + marker + `"`,
		"else",
		"  load %probe%",
		"  if %lasterror% == 0 then",
		`    echo "` + Pass + `: the firmware loaded ` + what + `"`,
		"  else",
		`    echo "` + Fail + `: the firmware could not load ` + what + `, shell status %lasterror%"`,
		"  endif",
		"endif",
	}
	return strings.Join(lines, "\r\n") + "\r\n"
}

// Beyond lists how an ESP of espSize bytes whose largest file has largest
// bytes goes beyond what a probe built with maxSize and imgSize (MiB, 0:
// not probed) can vouch for: firmware that passed the probe loaded that
// much, and nothing is known of more.
func Beyond(espSize, largest int64, maxSize, imgSize int) []string {
	var out []string
	if imgSize > 0 && espSize > int64(imgSize)*mib {
		out = append(out, fmt.Sprintf("the ESP is %d MiB, larger than the %d MiB ESP of the size probe (EFI_IMG_SIZE)", (espSize+mib-1)/mib, imgSize))
	}
	if maxSize > 0 && largest > int64(maxSize)*mib {
		out = append(out, fmt.Sprintf("its largest file is %d MiB, larger than the %d MiB image of the size probe (EFI_MAX_SIZE)", (largest+mib-1)/mib, maxSize))
	}
	return out
}
