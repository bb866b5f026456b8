package main

import (
	"context"
	"os"
	"path/filepath"

	"dagger/canvos/maas"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "raw", summary: "build a Kairos raw EFI disk from a rootfs (CanvOS +kairos-raw-image)", run: runRaw})
}

func runRaw(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "raw")
	rootfs := fs.String("rootfs", "", "installer rootfs directory (required)")
	out := fs.String("out", "", "raw disk file to write (required)")
	userData := fs.String("user-data", "", "cloud-config for COS_OEM (default: an empty #cloud-config)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rootfs == "" || *out == "" {
		return usererr.New("--rootfs/--out", *rootfs+"/"+*out, "both set")
	}
	o := maas.RawOptions{Rootfs: *rootfs, Out: *out, ScratchDir: filepath.Dir(*out), Printf: e.printf}
	if *userData != "" {
		b, err := os.ReadFile(*userData)
		if err != nil {
			return usererr.New("--user-data", *userData, "a readable cloud-config file")
		}
		o.UserData = b
	}
	var err error
	if o.Epoch, err = sourceDateEpoch(*rootfs); err != nil {
		return err
	}
	if err := maas.BuildRaw(ctx, o); err != nil {
		return err
	}
	e.printf("raw: wrote %s", *out)
	return nil
}
