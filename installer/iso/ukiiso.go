package iso

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"dagger/canvos/scratch"
	"dagger/canvos/usererr"
)

// UKILabel is the volume label of UKI installer ISOs: enki build-uki names
// them UKI_ISO_INSTALL (xorriso -V in kairos-io/enki pkg/action/build-uki.go).
const UKILabel = "UKI_ISO_INSTALL"

// UKIOptions describe a UKI installer ISO (CanvOS +build-uki-iso, canvos.md
// §8.5): UEFI-only, no squashfs, no GRUB. The El Torito UEFI image — and the
// GPT's EFI system partition when the ISO is written to a disk — is a
// prepared systemd-boot ESP (uki.WriteESPImage: signed systemd-boot, signed
// UKIs, loader.conf, auto-enroll keys); the ISO 9660 tree carries the
// payload. Paths are read only; OutPath and its .sha256 are the only files
// written outside ScratchDir.
type UKIOptions struct {
	ESPImage   string      // FAT image of the ESP → boot/efiboot.img, El Torito UEFI entry, GPT partition 1
	OutPath    string      // the ISO to write; OutPath+".sha256" is written beside it
	ScratchDir string      // throwaway staging directory; must exist
	Payload                // user-data → /config.yaml (the UKI ISO's place, canvos.md §16); local UI into the ISO tree
	Stylus     StylusFiles // stylus-image.tar and luet → the ISO root
	Label      string      // volume label; default UKILabel
	Epoch      int64       // SOURCE_DATE_EPOCH for every timestamp
	Printf     func(string, ...any)
}

// BuildUKIISO builds a UKI installer ISO and its .sha256 from a prepared ESP
// image and the payload, reusing the ISO writer of BuildISO (go-diskfs,
// date/owner fix-ups, GPT over the ESP image) without its squashfs and BIOS
// steps. Every input is checked before anything is written.
func BuildUKIISO(ctx context.Context, u UKIOptions) (Result, error) {
	o := u.isoOptions()
	if err := o.realTrees(false); err != nil {
		return Result{}, err
	}
	in, err := checkUKI(u, o)
	if err != nil {
		return Result{}, err
	}
	ws, err := scratch.Dir(o.ScratchDir, "uki-iso-root")
	if err != nil {
		return Result{}, fmt.Errorf("uki iso: workspace: %w", err)
	}
	defer os.RemoveAll(ws) // Finalize removes it too; this covers failures before
	st := stager{o: o, in: in, ws: ws}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"esp", func(context.Context) error { o.printf("esp: %s", u.ESPImage); return st.copyIn(u.ESPImage, isoESP) }},
		{"payload", st.payload},
		{"stylus", func(context.Context) error { return st.stylus(u.Stylus) }},
		{"local-ui", func(context.Context) error { return extractLocalUI(u.LocalUI, ws, in.localUI) }},
	}
	for _, s := range steps {
		if err := context.Cause(ctx); err != nil {
			return Result{}, fmt.Errorf("uki iso: before %s: %w", s.name, err)
		}
		if err := s.fn(ctx); err != nil {
			return Result{}, fmt.Errorf("uki iso: %s: %w", s.name, err)
		}
	}
	return st.writeISO(ctx)
}

// isoOptions maps u onto the installer ISO's options: the payload fields
// mean the same, user-data goes to /config.yaml, the table is always GPT
// (AuroraBoot's layout, CanvOS #738).
func (u UKIOptions) isoOptions() Options {
	return Options{
		OutPath: u.OutPath, ScratchDir: u.ScratchDir,
		Payload: u.Payload, UserDataPath: defaultUserData,
		Label: cmp.Or(u.Label, UKILabel), Epoch: u.Epoch, PartitionTable: TableGPT, Printf: u.Printf,
	}
}

// CheckPayload validates every input but the ESP image, so a caller that
// still has to build the ESP can fail on a bad payload first.
func (u UKIOptions) CheckPayload() error {
	_, err := checkUKIPayload(u, u.isoOptions())
	return err
}

// checkUKI validates every input of a UKI ISO; it reads but never writes.
func checkUKI(u UKIOptions, o Options) (inputs, error) {
	if err := checkESPImage(u.ESPImage); err != nil {
		return inputs{}, err
	}
	return checkUKIPayload(u, o)
}

func checkUKIPayload(u UKIOptions, o Options) (inputs, error) {
	if err := checkOutput(o); err != nil {
		return inputs{}, err
	}
	in, err := checkPayload(o, inputs{})
	if err != nil {
		return in, err
	}
	if err := u.Stylus.check(in.overlay, o.printf); err != nil {
		return in, err
	}
	// No rootfs: the local UI lands in the ISO tree, where nothing may clash.
	for _, e := range in.localUI {
		if reserved(e.name) {
			return in, usererr.New("--local-ui", e.name, "paths other than those canvos writes ("+isoContentDir+"/, "+isoSPC+")")
		}
	}
	return in, nil
}

// checkOutput checks the output, scratch and label options shared by both
// ISO kinds.
func checkOutput(o Options) error {
	if o.OutPath == "" || !strings.HasSuffix(o.OutPath, ".iso") {
		return usererr.New("--out", o.OutPath, "a file name ending in .iso")
	}
	if fi, err := os.Stat(filepath.Dir(o.OutPath)); err != nil || !fi.IsDir() {
		return usererr.New("--out", o.OutPath, "a file in an existing directory")
	}
	if fi, err := os.Stat(o.ScratchDir); err != nil || !fi.IsDir() {
		return usererr.New("--scratch", o.ScratchDir, "an existing directory")
	}
	if !labelRE.MatchString(o.Label) {
		return usererr.New("--label", o.Label, "1–32 characters A–Z, 0–9, _")
	}
	return nil
}

// checkESPImage accepts a regular file that starts with a FAT boot sector
// and fits one ISO 9660 extent.
func checkESPImage(p string) error {
	const flag = "--esp-img"
	if p == "" {
		return usererr.New(flag, "", "a FAT image of the ESP")
	}
	if err := readable(flag, p); err != nil {
		return err
	}
	f, err := os.Open(p)
	if err != nil {
		return usererr.Newf(flag, "%v", err)
	}
	defer f.Close()
	b := make([]byte, 512)
	if _, err := f.ReadAt(b, 0); err != nil {
		return usererr.New(flag, p, "a FAT image (too short)")
	}
	fat := strings.HasPrefix(string(b[0x36:0x3e]), "FAT") || strings.HasPrefix(string(b[0x52:0x5a]), "FAT32")
	if b[510] != 0x55 || b[511] != 0xaa || !fat {
		return usererr.New(flag, p, "a FAT image (no FAT boot sector)")
	}
	if fi, err := f.Stat(); err == nil && fi.Size() > maxISOFile {
		return usererr.New(flag, p, "an image under 4 GiB (one ISO 9660 extent)")
	}
	return nil
}
