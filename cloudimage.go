package main

import (
	"context"
	"strings"

	"dagger/canvos/internal/dagger"
	"dagger/canvos/maas"
	"dagger/canvos/overlay"
)

// CloudImage builds a cloud image (CanvOS +cloud-image): the Kairos raw disk
// of an installer rootfs carrying the cloud-image files (GRUB Reset and
// Registration entries, after-reset config, first-boot content and
// extend-persistent scripts), plus a fourth partition COS_CONTENT with the
// content bundles, cluster profile and edge config, which the installed
// system unpacks and deletes at its first boot. Returns a directory with
// <name>.raw and <name>.raw.sha256.
func (m *Canvos) CloudImage(
	ctx context.Context,
	// Installer rootfs (a Kairos image with GRUB and /etc/cos/grub.cfg); the cloud-image files are
	// added to it. When absent, installer-image is built, with local-ui.tar of the build context
	// extracted into /opt/spectrocloud, and user-data, content-*/, CLUSTERCONFIG and
	// EDGE_CUSTOM_CONFIG come from the build context, as CanvOS +cloud-image takes them
	// +optional
	rootfs *dagger.Directory,
	// Cloud-config for the OEM partition; an empty #cloud-config when not given
	// +optional
	userData *dagger.File,
	// Content bundles (*.zst, *.tar) for COS_CONTENT/bundle-content/
	// +optional
	content *dagger.Directory,
	// Cluster profile (SPC, CLUSTERCONFIG) for COS_CONTENT/spc-config/spc.tgz
	// +optional
	clusterConfig *dagger.File,
	// EDGE_CUSTOM_CONFIG for COS_CONTENT/edge-config/
	// +optional
	edgeConfig *dagger.File,
	// File name of the disk without .raw; empty names it as AuroraBoot does, from the rootfs'
	// /etc/kairos-release (kairos-<flavor>-<release>-<variant>-<arch>-<model>-<version>)
	// +optional
	imageName string,
	// SOURCE_DATE_EPOCH for every time stamp; the rootfs' os-release mtime when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	out := "/out"
	if imageName != "" {
		imageName = strings.TrimSuffix(imageName, ".raw")
		if err := maas.CheckName("--image-name", imageName); err != nil {
			return nil, err
		}
		out = "/out/" + imageName + ".raw"
	}
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	in := payload{userData: userData, content: content, clusterConfig: clusterConfig, edgeConfig: edgeConfig}
	if rootfs == nil {
		// CanvOS +cloud-image: +iso-image with IS_CLOUD_IMAGE=true.
		if rootfs, _, in, err = m.contextInstaller(ctx, in, Override{Key: "IS_CLOUD_IMAGE", Value: "true"}); err != nil {
			return nil, err
		}
	} else {
		rootfs = withCloudFiles(rootfs)
	}
	ctr := withEpoch(m.worker(cfg.Arch), sourceDateEpoch).WithMountedDirectory("/in/rootfs", rootfs)
	args := []string{"canvos", "cloud-image", "--rootfs", "/in/rootfs", "--out", out}
	for _, f := range []struct {
		file       *dagger.File
		flag, path string
	}{
		{in.userData, "--user-data", "/in/user-data"},
		{in.clusterConfig, "--cluster-config", "/in/spc.tgz"},
		{in.edgeConfig, "--edge-config", "/in/edge-config.yaml"},
	} {
		if f.file != nil {
			ctr = ctr.WithMountedFile(f.path, f.file)
			args = append(args, f.flag, f.path)
		}
	}
	if in.content != nil {
		ctr = ctr.WithMountedDirectory("/in/content", in.content)
		args = append(args, "--content", "/in/content")
	}
	return ctr.WithExec([]string{"mkdir", "-p", "/out"}).WithExec(args).Directory("/out"), nil
}

// withCloudFiles adds the cloud-image files (overlay.CloudImage: GRUB Reset
// and Registration entries, after-reset config, first-boot scripts) to a
// rootfs, as CanvOS' +iso-image does with IS_CLOUD_IMAGE=true.
func withCloudFiles(rootfs *dagger.Directory) *dagger.Directory {
	for _, f := range overlay.CloudImage() {
		rootfs = rootfs.WithNewFile(strings.TrimPrefix(f.Path, "/"), string(f.Data), dagger.DirectoryWithNewFileOpts{Permissions: int(f.Mode)})
	}
	return rootfs
}
