package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"

	"dagger/canvos/installer/iso"
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
	fs.StringVar(&u.ScratchDir, "scratch", "", "scratch directory (default: the system temp dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if u.OutPath == "" {
		return usererr.New("--out", "", "FILE.iso")
	}
	u.ScratchDir = cmp.Or(u.ScratchDir, os.TempDir())
	u.Printf = e.printf
	epoch, err := espEpoch(*f.rootfs)
	if err != nil {
		return err
	}
	u.Epoch = epoch
	if u.ESPImage != "" {
		if *f.rootfs != "" || *f.initrd != "" || *f.keys != "" || len(f.cmdlines) > 0 {
			return usererr.New("--esp-img", u.ESPImage, "either --esp-img or --rootfs/--initrd with --keys (and --cmdline), not both")
		}
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
	work, err := os.MkdirTemp(u.ScratchDir, "uki-iso-esp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := filepath.Join(work, "esp")
	if err := f.writeESP(e, o, dir); err != nil {
		return err
	}
	u.ESPImage = filepath.Join(work, "esp.img")
	if err := uki.WriteESPImage(ctx, dir, u.ESPImage, epoch); err != nil {
		return err
	}
	return buildUKIISO(ctx, e, u)
}

func buildUKIISO(ctx context.Context, e *env, u iso.UKIOptions) error {
	res, err := iso.BuildUKIISO(ctx, u)
	if err != nil {
		return err
	}
	e.printf("uki-iso: %s (%d bytes, sha256 %s)", res.Path, res.Size, hex.EncodeToString(res.SHA256[:]))
	return nil
}
