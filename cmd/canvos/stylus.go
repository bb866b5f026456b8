package main

import (
	"context"
	"time"

	"dagger/canvos/stylus"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "stylus-image", summary: "pack the stylus package rootfs into stylus-image.tar for UKI ISOs (CanvOS +stylus-image-pack)", run: runStylusImage})
}

func runStylusImage(_ context.Context, e *env, args []string) error {
	fs := newFlags(e, "stylus-image")
	var o stylus.Options
	fs.StringVar(&o.Rootfs, "rootfs", "", "file system of the stylus package image (STYLUS_PACKAGE_BASE)")
	fs.StringVar(&o.Ref, "ref", "", "tag of the packed image (CanvOS: STYLUS_BASE)")
	fs.StringVar(&o.Arch, "arch", "amd64", "image architecture: amd64 or arm64")
	out := fs.String("out", "", "file to write, e.g. stylus-image.tar")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usererr.New("--out", "", "the file to write (stylus-image.tar)")
	}
	// SOURCE_DATE_EPOCH, else the rootfs' os-release time or 1980: the
	// clamp that makes a rebuild from the same image the same bytes.
	sec, err := sourceDateEpoch(o.Rootfs)
	if err != nil {
		return err
	}
	o.Epoch = time.Unix(sec, 0).UTC()
	if err := stylus.Write(*out, o); err != nil {
		return err
	}
	e.printf("stylus-image: wrote %s (%s)", *out, o.Ref)
	return nil
}
