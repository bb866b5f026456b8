package main

import (
	"context"
	"path/filepath"

	"dagger/canvos/inputfile"
	"dagger/canvos/maas"
	"dagger/canvos/outfile"
	"dagger/canvos/userdata"
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
	scratchDir := scratchFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rootfs == "" || *out == "" {
		return usererr.New("--rootfs/--out", *rootfs+"/"+*out, "both set")
	}
	if err := outfile.Check("--out", *out, outfile.Input{Flag: "--rootfs", Path: *rootfs}, outfile.Input{Flag: "--user-data", Path: *userData}); err != nil {
		return err
	}
	o := maas.RawOptions{Rootfs: *rootfs, Out: *out, Printf: e.printf}
	var err error
	if o.UserData, err = rawUserData(*userData); err != nil {
		return err
	}
	if o.Epoch, err = sourceDateEpoch(*rootfs); err != nil {
		return err
	}
	if o.ScratchDir, err = prepareScratch(e, *scratchDir, filepath.Dir(*out), outfile.Input{Flag: "--rootfs", Path: *rootfs}); err != nil {
		return err
	}
	if err := maas.BuildRaw(ctx, o); err != nil {
		return err
	}
	e.printf("raw: wrote %s", *out)
	return nil
}

// rawUserData reads --user-data for a disk's COS_OEM (nil when not given)
// and refuses it, naming the file, before the rootfs is read; maas checks
// it again and prints the warnings.
func rawUserData(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := inputfile.Read("--user-data", path, inputfile.UserDataLimit)
	if err != nil {
		return nil, err
	}
	return b, userdata.Check(b).FileErr("--user-data", path)
}
