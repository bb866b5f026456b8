package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"dagger/canvos/maas"
	"dagger/canvos/outfile"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "cloud-image", summary: "build a cloud image: Kairos raw disk + COS_CONTENT partition (CanvOS +cloud-image)", run: runCloudImage})
}

// dirList is a repeatable flag.
type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(v string) error { *d = append(*d, v); return nil }

func runCloudImage(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cloud-image")
	var o maas.CloudImageOptions
	fs.StringVar(&o.Rootfs, "rootfs", "", "installer rootfs with the cloud-image files (required)")
	fs.StringVar(&o.Out, "out", "", "raw disk file to write, or an existing directory for <AuroraBoot's name>.raw (required)")
	fs.Var((*dirList)(&o.Content), "content", "directory of content bundles (*.zst, *.tar) for COS_CONTENT/bundle-content/ (repeatable)")
	fs.StringVar(&o.ClusterConfig, "cluster-config", "", "SPC file (CLUSTERCONFIG) for COS_CONTENT/spc-config/spc.tgz")
	fs.StringVar(&o.EdgeConfig, "edge-config", "", "EDGE_CUSTOM_CONFIG file for COS_CONTENT/edge-config/")
	userData := fs.String("user-data", "", "cloud-config for COS_OEM (default: an empty #cloud-config)")
	scratchDir := scratchFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Rootfs == "" || o.Out == "" {
		return usererr.New("--rootfs/--out", o.Rootfs+"/"+o.Out, "both set")
	}
	inputs := []outfile.Input{{Flag: "--rootfs", Path: o.Rootfs}, {Flag: "--user-data", Path: *userData},
		{Flag: "--cluster-config", Path: o.ClusterConfig}, {Flag: "--edge-config", Path: o.EdgeConfig}}
	for _, c := range o.Content {
		inputs = append(inputs, outfile.Input{Flag: "--content", Path: c})
	}
	outDir := o.Out // an existing directory gets AuroraBoot's name in it
	if fi, err := os.Stat(o.Out); err == nil && fi.IsDir() {
		if err := outfile.CheckDir("--out", o.Out, inputs...); err != nil {
			return err
		}
	} else {
		if err := outfile.Check("--out", o.Out, inputs...); err != nil {
			return err
		}
		outDir = filepath.Dir(o.Out)
	}
	var err error
	if o.UserData, err = rawUserData(*userData); err != nil {
		return err
	}
	if o.ScratchDir, err = prepareScratch(e, *scratchDir, outDir, inputs...); err != nil {
		return err
	}
	o.Printf = e.printf
	if o.Epoch, err = sourceDateEpoch(o.Rootfs); err != nil {
		return err
	}
	res, err := maas.BuildCloudImage(ctx, o)
	if err != nil {
		return err
	}
	e.printf("cloud-image: wrote %s and %s.sha256", res.Path, filepath.Base(res.Path))
	return nil
}
