package main

import (
	"context"
	"io"
	"time"

	"dagger/canvos/ctxio"
	"dagger/canvos/initrd"
	"dagger/canvos/outfile"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "initrd", summary: "pack a rootfs directory into a compressed cpio initrd (for a UKI)", run: runInitrd})
}

func runInitrd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "initrd")
	rootfs := fs.String("rootfs", "", "root file system directory; /sys /proc /dev /run /tmp are kept as empty mount points")
	out := fs.String("out", "", "initrd file to write")
	comp := fs.String("compression", string(initrd.Zstd), "zstd or gzip")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := outfile.Check("--out", *out, outfile.Input{Flag: "--rootfs", Path: *rootfs}); err != nil {
		return err
	}
	o, err := initrdOptions(e, *rootfs, *comp)
	if err != nil {
		return err
	}
	if err := outfile.Write(*out, 0o644, func(w io.Writer) error { return initrd.Write(ctxio.Writer(ctx, w), o) }); err != nil {
		return err
	}
	e.printf("initrd: wrote %s", *out)
	return nil
}

// initrdOptions validates the initrd inputs; every mtime is SOURCE_DATE_EPOCH
// or the rootfs' os-release time (sourceDateEpoch).
func initrdOptions(e *env, rootfs, comp string) (initrd.Options, error) {
	c, err := initrd.ParseCompression(comp)
	if err != nil {
		return initrd.Options{}, err
	}
	o := initrd.Options{Root: rootfs, Compression: c, Printf: e.printf}
	if rootfs == "" {
		return o, usererr.New("--rootfs", "", "a root file system directory")
	}
	if err := o.Validate(); err != nil {
		return o, err
	}
	epoch, err := sourceDateEpoch(rootfs)
	if err != nil {
		return o, err
	}
	o.Epoch = time.Unix(epoch, 0).UTC()
	return o, nil
}
