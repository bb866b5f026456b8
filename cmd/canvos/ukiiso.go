package main

import (
	"context"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"

	"dagger/canvos/efiprobe"
	"dagger/canvos/installer/iso"
	"dagger/canvos/outfile"
	"dagger/canvos/scratch"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "uki-iso", summary: "build the UKI installer ISO (+ .sha256): systemd-boot ESP with signed UKIs + the ISO payload", run: runUKIISO})
}

// runUKIISO is CanvOS' +build-uki-iso: the ESP of uki-esp (or a prebuilt
// --esp-img) becomes the El Torito UEFI image and the GPT ESP, the payload
// the ISO 9660 tree. Every input, the payload's included, is checked before
// the ESP is built.
func runUKIISO(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "uki-iso")
	f := newUKIESPFlags(fs)
	var u iso.UKIOptions
	fs.StringVar(&u.ESPImage, "esp-img", "", "prebuilt ESP image (canvos uki-esp --out-img) instead of --rootfs/--initrd + --keys")
	fs.StringVar(&u.OutPath, "out", "", "ISO to write (FILE.iso; FILE.iso.sha256 is written beside it)")
	payloadFlags(fs, &u.Payload, "#cloud-config user-data → /config.yaml", "local-ui tar, extracted under /opt/spectrocloud of the ISO")
	fs.StringVar(&u.Stylus.Image, "stylus-image", "", "stylus-image.tar (canvos stylus-image) → /stylus-image.tar: the agent 80_stylus_uki.yaml installs")
	fs.StringVar(&u.Stylus.Luet, "luet", "", "luet binary (SPECTRO_THIRD_PARTY_IMAGE /binaries/luet/latest/<BIN_TYPE>/<arch>/luet) → /luet, which unpacks stylus-image.tar")
	fs.StringVar(&u.Label, "label", iso.UKILabel, "ISO volume label")
	var probed probedSizes
	fs.IntVar(&probed.maxSize, "efi-max-size", 0, "EFI_MAX_SIZE (MiB) the target passed iso-efi-size-check with: warn about a larger ESP file (0: no check)")
	fs.IntVar(&probed.imgSize, "efi-img-size", 0, "EFI_IMG_SIZE (MiB) of that probe: warn about a larger ESP (0: no check)")
	scratchDir := scratchFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if u.OutPath == "" {
		return usererr.New("--out", "", "FILE.iso")
	}
	u.Printf = e.printf
	inputs := append(payloadInputs(u.Payload), outfile.Input{Flag: "--esp-img", Path: u.ESPImage}, outfile.Input{Flag: "--rootfs", Path: *f.rootfs},
		outfile.Input{Flag: "--initrd", Path: *f.initrd}, outfile.Input{Flag: "--kernel", Path: *f.kernel}, outfile.Input{Flag: "--keys", Path: *f.keys})
	if err := outfile.Check("--out", u.OutPath, inputs...); err != nil {
		return err
	}
	epoch, err := espEpoch(*f.rootfs)
	if err != nil {
		return err
	}
	if u.ScratchDir, err = prepareScratch(e, *scratchDir, filepath.Dir(u.OutPath), inputs...); err != nil {
		return err
	}
	u.Epoch = epoch
	if u.ESPImage != "" {
		if *f.rootfs != "" || *f.initrd != "" || *f.keys != "" || len(f.cmdlines) > 0 {
			return usererr.New("--esp-img", u.ESPImage, "either --esp-img or --rootfs/--initrd with --keys (and --cmdline), not both")
		}
		probed.warn(e, u.ESPImage, "")
		return buildUKIISO(ctx, e, u)
	}
	o, closeInputs, err := f.options(e)
	if err != nil {
		return err
	}
	defer closeInputs()
	if err := u.CheckPayload(); err != nil {
		return err
	}
	work, err := scratch.Dir(u.ScratchDir, "uki-iso-esp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "esp")
	if err := f.writeESP(ctx, e, o, dir); err != nil {
		return err
	}
	u.ESPImage = filepath.Join(work, "esp.img")
	if err := uki.WriteESPImage(ctx, dir, u.ESPImage, epoch); err != nil {
		return err
	}
	probed.warn(e, u.ESPImage, dir)
	return buildUKIISO(ctx, e, u)
}

// probedSizes are the sizes a target's firmware passed the EFI size probe
// with (iso-efi-size-check); zero when not given.
type probedSizes struct{ maxSize, imgSize int }

// warn prints what of the ESP image img (and its tree dir, "" when only the
// image is known) goes beyond the probe. A warning, not an error: the probe
// is a hardware fact the build cannot check.
func (p probedSizes) warn(e *env, img, dir string) {
	if p.maxSize == 0 && p.imgSize == 0 {
		return
	}
	var size, largest int64
	if fi, err := os.Stat(img); err == nil {
		size = fi.Size()
	}
	if dir != "" {
		filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if fi, err := d.Info(); err == nil {
					largest = max(largest, fi.Size())
				}
			}
			return nil
		})
	}
	for _, w := range efiprobe.Beyond(size, largest, p.maxSize, p.imgSize) {
		e.printf("uki-iso: warning: %s; the target may not boot it (run iso-efi-size-check with the larger sizes)", w)
	}
}

func buildUKIISO(ctx context.Context, e *env, u iso.UKIOptions) error {
	res, err := iso.BuildUKIISO(ctx, u)
	if err != nil {
		return err
	}
	e.printf("uki-iso: %s (%d bytes, sha256 %s)", res.Path, res.Size, hex.EncodeToString(res.SHA256[:]))
	return nil
}
