package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"dagger/canvos/maas"
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
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Rootfs == "" || o.Out == "" {
		return usererr.New("--rootfs/--out", o.Rootfs+"/"+o.Out, "both set")
	}
	if *userData != "" {
		b, err := os.ReadFile(*userData)
		if err != nil {
			return usererr.New("--user-data", *userData, "a readable cloud-config file")
		}
		o.UserData = b
	}
	o.ScratchDir = o.Out
	if fi, err := os.Stat(o.Out); err != nil || !fi.IsDir() {
		o.ScratchDir = filepath.Dir(o.Out)
	}
	o.Printf = e.printf
	var err error
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
