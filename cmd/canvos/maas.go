package main

import (
	"context"
	"fmt"
	"path/filepath"

	"dagger/canvos/maas"
	"dagger/canvos/outfile"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "maas", summary: "build a MAAS composite disk <name>.raw.gz (CanvOS +maas-image)", run: runMAAS})
}

// maxRootfsMiB bounds --ubuntu-rootfs-size: 1 TiB, far above any Ubuntu
// rootfs, below what makes the sparse disk file fail late.
const maxRootfsMiB = 1 << 20

func runMAAS(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "maas")
	var o maas.Options
	fs.StringVar(&o.KairosRaw, "kairos-raw", "", "Kairos raw disk from 'canvos raw' (required)")
	fs.StringVar(&o.UbuntuRootfs, "ubuntu-rootfs", "", "Ubuntu rootfs directory with /boot/vmlinuz, /boot/initrd.img, cloud-init (this or --ubuntu-cloud-image)")
	fs.StringVar(&o.UbuntuCloudImage, "ubuntu-cloud-image", "", "Ubuntu cloud image whose root file system becomes the Ubuntu partition: raw GPT disk (qemu-img convert -O raw) or ext4 image")
	fs.StringVar(&o.OutDir, "out-dir", "", "output directory (required)")
	fs.StringVar(&o.Name, "name", maas.DefaultName, "MAAS_IMAGE_NAME: output file name without .raw.gz")
	fs.StringVar(&o.Content, "content", "", "directory of content bundles (*.zst, *.tar) for the COS_CONTENT partition")
	fs.StringVar(&o.ClusterConfig, "cluster-config", "", "SPC file (CLUSTERCONFIG) for COS_CONTENT/spc-config/")
	fs.StringVar(&o.EdgeConfig, "edge-config", "", "EDGE_CUSTOM_CONFIG file for COS_CONTENT/edge-config/")
	sizeMiB := fs.Int64("ubuntu-rootfs-size", 3072, "UBUNTU_ROOTFS partition size in MiB")
	scratchDir := scratchFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.KairosRaw == "" || o.OutDir == "" {
		return usererr.New("--kairos-raw/--out-dir", fmt.Sprintf("%q/%q", o.KairosRaw, o.OutDir), "both set")
	}
	if (o.UbuntuRootfs == "") == (o.UbuntuCloudImage == "") {
		return usererr.New("--ubuntu-rootfs/--ubuntu-cloud-image", fmt.Sprintf("%q/%q", o.UbuntuRootfs, o.UbuntuCloudImage), "exactly one of them")
	}
	if *sizeMiB < 0 || *sizeMiB > maxRootfsMiB {
		return usererr.New("--ubuntu-rootfs-size", fmt.Sprint(*sizeMiB), fmt.Sprintf("whole MiB from 256 to %d (1 TiB)", maxRootfsMiB))
	}
	o.RootfsSize = *sizeMiB << 20
	o.Printf = e.printf
	inputs := []outfile.Input{{Flag: "--kairos-raw", Path: o.KairosRaw}, {Flag: "--ubuntu-rootfs", Path: o.UbuntuRootfs},
		{Flag: "--ubuntu-cloud-image", Path: o.UbuntuCloudImage}, {Flag: "--content", Path: o.Content},
		{Flag: "--cluster-config", Path: o.ClusterConfig}, {Flag: "--edge-config", Path: o.EdgeConfig}}
	if err := outfile.CheckDir("--out-dir", o.OutDir, inputs...); err != nil {
		return err
	}
	if err := outfile.Check("--out-dir/--name", filepath.Join(o.OutDir, maas.FileName(o.Name)), inputs...); err != nil {
		return err
	}
	var err error
	if o.ScratchDir, err = prepareScratch(e, *scratchDir, o.OutDir, inputs...); err != nil {
		return err
	}
	epochFrom := o.UbuntuRootfs
	if o.UbuntuCloudImage != "" {
		epochFrom = o.UbuntuCloudImage // a file has no etc/os-release: SOURCE_DATE_EPOCH or 1980
	}
	if o.Epoch, err = sourceDateEpoch(epochFrom); err != nil {
		return err
	}
	res, err := maas.Build(ctx, o)
	if err != nil {
		return err
	}
	e.printf("maas: wrote %s and %s.sha256", res.Path, filepath.Base(res.Path))
	return nil
}
