package main

import (
	"context"
	"slices"
	"strconv"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/overlay"
	"dagger/canvos/usererr"
)

// KairosRawImage builds a Kairos raw EFI disk (CanvOS +kairos-raw-image) from
// an installer rootfs: efi, oem and recovery partitions, booting into Kairos
// recovery, which installs the system. Returns a directory with kairos.raw.
func (m *Canvos) KairosRawImage(
	ctx context.Context,
	// Installer rootfs (a Kairos image with GRUB and /etc/cos/grub.cfg)
	rootfs *dagger.Directory,
	// Cloud-config for the OEM partition; an empty #cloud-config when not given
	// +optional
	userData *dagger.File,
	// Add the MAAS cloud-config and content script to the rootfs (IS_MAAS)
	// +optional
	isMaas bool,
	// SOURCE_DATE_EPOCH for every time stamp; the rootfs' os-release mtime when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	return m.kairosRaw(cfg.Arch, rootfs, userData, isMaas, sourceDateEpoch), nil
}

// kairosRaw runs `canvos raw` in the worker; KairosRawImage and MaasImage
// call it.
func (m *Canvos) kairosRaw(arch config.Arch, rootfs *dagger.Directory, userData *dagger.File, isMaas bool, sourceDateEpoch int) *dagger.Directory {
	if isMaas {
		rootfs = rootfs.
			WithNewFile("system/oem/80_stylus_maas.yaml", string(overlay.StylusMAAS)).
			WithNewFile("opt/spectrocloud/scripts/maas-content.sh", string(overlay.MAASContent), dagger.DirectoryWithNewFileOpts{Permissions: 0o755})
	}
	ctr := withEpoch(m.worker(arch), sourceDateEpoch).WithMountedDirectory("/in/rootfs", rootfs)
	args := []string{"canvos", "raw", "--rootfs", "/in/rootfs", "--out", "/out/kairos.raw"}
	if userData != nil {
		ctr = ctr.WithMountedFile("/in/user-data", userData)
		args = append(args, "--user-data", "/in/user-data")
	}
	return ctr.WithExec([]string{"mkdir", "-p", "/out"}).WithExec(args).Directory("/out")
}

// MaasImage builds the MAAS composite disk, as CanvOS ./earthly.sh +maas-image does:
// <MAAS_IMAGE_NAME>.raw.gz and its .sha256, to upload to MAAS as a ddgz
// custom image. The Kairos partitions come from kairosRaw, or from a Kairos
// raw disk built from rootfs; the Ubuntu partition from ubuntuRootfs, from the
// root file system of ubuntuCloudImage, or from ubuntuImage with a kernel,
// initrd and cloud-init installed.
func (m *Canvos) MaasImage(
	ctx context.Context,
	// Kairos raw disk (kairos-raw-image); built from rootfs when not given
	// +optional
	kairosRaw *dagger.File,
	// Installer rootfs to build the Kairos raw disk from; when absent, installer-image is built
	// with IS_MAAS=true and user-data, content-*/, CLUSTERCONFIG and EDGE_CUSTOM_CONFIG come from
	// the build context, as CanvOS ./earthly.sh +maas-image does
	// +optional
	rootfs *dagger.Directory,
	// Cloud-config for the Kairos raw disk's OEM partition
	// +optional
	userData *dagger.File,
	// Ubuntu rootfs with /boot/vmlinuz, /boot/initrd.img and cloud-init; built from ubuntuImage when not given
	// +optional
	ubuntuRootfs *dagger.Directory,
	// Ubuntu cloud image whose root file system becomes the Ubuntu partition instead of ubuntuRootfs: a raw
	// GPT disk (qemu-img convert -O raw of noble-server-cloudimg-amd64.img) or the ext4 image from
	// noble-server-cloudimg-amd64.tar.gz; only read
	// +optional
	ubuntuCloudImage *dagger.File,
	// Ubuntu image the Ubuntu rootfs is built from (a mirror's reference works)
	// +optional
	// +default="ubuntu:24.04"
	ubuntuImage string,
	// MAAS_IMAGE_NAME; the .arg value (default kairos-ubuntu-maas) when empty
	// +optional
	maasImageName string,
	// Content bundles (*.zst, *.tar) for the COS_CONTENT partition
	// +optional
	content *dagger.Directory,
	// Cluster profile (SPC, CLUSTERCONFIG) for the COS_CONTENT partition
	// +optional
	clusterConfig *dagger.File,
	// EDGE_CUSTOM_CONFIG for the COS_CONTENT partition
	// +optional
	edgeConfig *dagger.File,
	// Size of the Ubuntu partition in MiB
	// +optional
	// +default=3072
	ubuntuRootfsSize int,
	// SOURCE_DATE_EPOCH for every time stamp; the Ubuntu rootfs' os-release mtime when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if cfg.OSDistribution != config.Ubuntu {
		return nil, usererr.New("OS_DISTRIBUTION", string(cfg.OSDistribution), "ubuntu (MAAS images are Ubuntu only)")
	}
	if cfg.Arch != config.AMD64 {
		return nil, usererr.New("ARCH", string(cfg.Arch), "amd64 (MAAS images are amd64 only, as in CanvOS)")
	}
	if maasImageName == "" {
		maasImageName = cfg.MAASImageName
	}
	in := payload{userData: userData, content: content, clusterConfig: clusterConfig, edgeConfig: edgeConfig}
	if kairosRaw == nil && rootfs == nil {
		if rootfs, _, in, err = m.contextInstaller(ctx, in, Override{Key: "IS_MAAS", Value: "true"}); err != nil {
			return nil, err
		}
	}
	if kairosRaw == nil {
		kairosRaw = m.kairosRaw(cfg.Arch, rootfs, in.userData, true, sourceDateEpoch).File("kairos.raw")
	}
	if ubuntuRootfs != nil && ubuntuCloudImage != nil {
		return nil, usererr.New("--ubuntu-rootfs/--ubuntu-cloud-image", "both", "at most one of them")
	}
	ctr := withEpoch(m.worker(cfg.Arch), sourceDateEpoch).WithMountedFile("/in/kairos.raw", kairosRaw)
	args := []string{"canvos", "maas", "--kairos-raw", "/in/kairos.raw",
		"--out-dir", "/out", "--ubuntu-rootfs-size", strconv.Itoa(ubuntuRootfsSize)}
	if ubuntuCloudImage != nil {
		// withMountedFile has no read-only option (v0.21.9); the mount is a
		// snapshot the CLI only reads (its root file system is copied to scratch).
		ctr = ctr.WithMountedFile("/in/ubuntu-cloud.img", ubuntuCloudImage)
		args = append(args, "--ubuntu-cloud-image", "/in/ubuntu-cloud.img")
	} else {
		if ubuntuRootfs == nil {
			ubuntuRootfs = maasUbuntuRootfs(ubuntuImage)
		}
		ctr = ctr.WithMountedDirectory("/in/ubuntu", ubuntuRootfs)
		args = append(args, "--ubuntu-rootfs", "/in/ubuntu")
	}
	if maasImageName != "" {
		args = append(args, "--name", maasImageName)
	}
	if in.content != nil {
		ctr = ctr.WithMountedDirectory("/in/content", in.content)
		args = append(args, "--content", "/in/content")
	}
	if in.clusterConfig != nil {
		ctr = ctr.WithMountedFile("/in/spc.tgz", in.clusterConfig)
		args = append(args, "--cluster-config", "/in/spc.tgz")
	}
	if in.edgeConfig != nil {
		ctr = ctr.WithMountedFile("/in/edge-config.yaml", in.edgeConfig)
		args = append(args, "--edge-config", "/in/edge-config.yaml")
	}
	return ctr.WithExec([]string{"mkdir", "-p", "/out"}).WithExec(args).Directory("/out"), nil
}

// contextInstaller is the installer rootfs of CanvOS' raw-disk flows
// (+iso-image with overrides: IS_MAAS=true for MAAS, none for cloud images),
// its build set, and the payload from the build context wherever the caller
// gave none.
func (m *Canvos) contextInstaller(ctx context.Context, in payload, overrides ...Override) (*dagger.Directory, buildSet, payload, error) {
	mm := *m
	mm.Overrides = append(slices.Clone(m.Overrides), overrides...)
	b, err := mm.build(ctx, "")
	if err != nil {
		return nil, b, in, err
	}
	inst, err := mm.installerImage(ctx, b)
	if err != nil {
		return nil, b, in, err
	}
	found, err := mm.contextPayload(ctx, b.cfg, maasBundles)
	if err != nil {
		return nil, b, in, err
	}
	return inst.Rootfs(), b, in.or(found), nil
}

// maasUbuntuPrep installs what MAAS and the CanvOS flow need on the Ubuntu
// partition — a kernel and initrd at the paths the grubcustom entry boots,
// cloud-init (MAAS datasource), grub-editenv for setup-recovery.sh — and
// makes the image a bootable root: fstab by label, empty machine-id.
const maasUbuntuPrep = `set -eu
apt-get update -qq
apt-get install -y -qq --no-install-recommends linux-image-virtual initramfs-tools cloud-init \
	grub2-common systemd-sysv udev kmod netplan.io openssh-server sudo ca-certificates iproute2
ln -sf "$(basename "$(ls /boot/vmlinuz-* | sort -V | tail -n1)")" /boot/vmlinuz
ln -sf "$(basename "$(ls /boot/initrd.img-* | sort -V | tail -n1)")" /boot/initrd.img
echo 'LABEL=UBUNTU_ROOTFS / ext4 defaults 0 1' > /etc/fstab
printf 'datasource_list: [ MAAS, None ]\n' > /etc/cloud/cloud.cfg.d/90_canvos_datasource.cfg
: > /etc/machine-id
rm -rf /var/lib/apt/lists/*
`

// maasUbuntuRootfs builds the Ubuntu rootfs from an Ubuntu container image,
// instead of CanvOS' download of a cloud image at build time. Pulled for
// linux/amd64 whatever the engine's platform: the disk is amd64.
func maasUbuntuRootfs(image string) *dagger.Directory {
	return dag.Container(dagger.ContainerOpts{Platform: "linux/amd64"}).From(image).
		WithMountedCache("/var/cache/apt/archives", dag.CacheVolume("canvos-maas-ubuntu-apt")).
		WithEnvVariable("DEBIAN_FRONTEND", "noninteractive").
		WithExec([]string{"sh", "-c", maasUbuntuPrep}).
		Rootfs()
}

// withEpoch sets SOURCE_DATE_EPOCH for the worker when epoch is non-zero.
func withEpoch(ctr *dagger.Container, epoch int) *dagger.Container {
	if epoch == 0 {
		return ctr
	}
	return ctr.WithEnvVariable("SOURCE_DATE_EPOCH", strconv.Itoa(epoch))
}
