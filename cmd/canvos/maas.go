package main

import (
	"context"
	"fmt"
	"path/filepath"

	"dagger/canvos/maas"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "maas", summary: "build a MAAS composite disk <name>.raw.gz (CanvOS +maas-image)", run: runMAAS})
}

func runMAAS(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "maas")
	var o maas.Options
	fs.StringVar(&o.KairosRaw, "kairos-raw", "", "Kairos raw disk from 'canvos raw' (required)")
	fs.StringVar(&o.UbuntuRootfs, "ubuntu-rootfs", "", "Ubuntu rootfs directory with /boot/vmlinuz, /boot/initrd.img, cloud-init (required)")
	fs.StringVar(&o.OutDir, "out-dir", "", "output directory (required)")
	fs.StringVar(&o.Name, "name", maas.DefaultName, "MAAS_IMAGE_NAME: output file name without .raw.gz")
	fs.StringVar(&o.Content, "content", "", "directory of content bundles (*.zst, *.tar) for the COS_CONTENT partition")
	fs.StringVar(&o.ClusterConfig, "cluster-config", "", "SPC file (CLUSTERCONFIG) for COS_CONTENT/spc-config/")
	fs.StringVar(&o.EdgeConfig, "edge-config", "", "EDGE_CUSTOM_CONFIG file for COS_CONTENT/edge-config/")
	sizeMiB := fs.Int64("ubuntu-rootfs-size", 3072, "UBUNTU_ROOTFS partition size in MiB")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.KairosRaw == "" || o.UbuntuRootfs == "" || o.OutDir == "" {
		return usererr.New("--kairos-raw/--ubuntu-rootfs/--out-dir", fmt.Sprintf("%q/%q/%q", o.KairosRaw, o.UbuntuRootfs, o.OutDir), "all three set")
	}
	o.RootfsSize = *sizeMiB << 20
	o.Printf = e.printf
	var err error
	if o.Epoch, err = sourceDateEpoch(o.UbuntuRootfs); err != nil {
		return err
	}
	res, err := maas.Build(ctx, o)
	if err != nil {
		return err
	}
	e.printf("maas: wrote %s and %s.sha256", res.Path, filepath.Base(res.Path))
	return nil
}
