package main

import (
	"context"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
)

// isoInputs are the ISO inputs besides the rootfs: the payload CanvOS puts
// on the ISO (canvos.md §9, §12) and the knobs of the canvos iso verb.
type isoInputs struct {
	payload
	name             string // file name without .iso
	overlay          *dagger.Directory
	forceInteractive bool
	debug            bool
	compression      Compression    // empty: the CLI's default (zstd level 3)
	partitionTable   PartitionTable // empty: the CLI's default (gpt)
	arch             config.Arch    // ARCH: amd64 or arm64 (UEFI only)
	epoch            int
	efiSizes         [2]int // EFI_MAX_SIZE, EFI_IMG_SIZE (MiB): uki-iso warns about a larger ESP
}

// Compression is the squashfs compression of the ISO's rootfs.
type Compression string

const (
	CompressionZstd Compression = "zstd" // zstd level 3: fast, nearly as small as the default level
	CompressionXz   Compression = "xz"
	CompressionGzip Compression = "gzip"
	CompressionLz4  Compression = "lz4"
	CompressionNone Compression = "none"
)

// PartitionTable is the table in the ISO's system area for USB boot.
type PartitionTable string

const (
	PartitionTableGpt PartitionTable = "gpt" // protective MBR + GPT with the ESP, AuroraBoot's layout
	PartitionTableMbr PartitionTable = "mbr" // an active 0xEF partition
)

// Iso builds the installer ISO (CanvOS +iso / +build-iso) from an installer
// rootfs, without privileges: rootfs.squashfs, GRUB for BIOS (amd64) and the
// signed shim + GRUB for UEFI from the rootfs, for the configuration's ARCH
// (arm64: UEFI only), the user-data, content bundles, SPC,
// edge config and local UI. The ISO boots as a CD and, written to a USB
// stick, as a disk. Returns a directory with <ISO_NAME>.iso and its .sha256.
func (m *Canvos) Iso(
	ctx context.Context,
	// Installer rootfs (/boot/vmlinuz, /boot/initrd, the boot files); when absent, installer-image
	// is built from the configuration and user-data, content-*/, CLUSTERCONFIG, EDGE_CUSTOM_CONFIG
	// and local-ui.tar come from the build context, as CanvOS +iso does
	// +optional
	rootfs *dagger.Directory,
	// ISO file name without .iso; ISO_NAME from the configuration when empty
	// +optional
	isoName string,
	// #cloud-config user-data (CanvOS user-data), checked and put on the ISO as /config.yaml
	// +optional
	userData *dagger.File,
	// Content bundles (*.zst) → /opt/spectrocloud/content/<name>_partNN
	// +optional
	content *dagger.Directory,
	// Cluster profile (SPC, CLUSTERCONFIG) → /opt/spectrocloud/clusterconfig/spc.tgz
	// +optional
	clusterConfig *dagger.File,
	// EDGE_CUSTOM_CONFIG → /.edge_custom_config.yaml
	// +optional
	edgeConfig *dagger.File,
	// local-ui.tar, extracted into the squashfs' /opt/spectrocloud
	// +optional
	localUi *dagger.File,
	// Files copied onto the ISO root
	// +optional
	overlay *dagger.Directory,
	// Boot the interactive installer by default (FORCE_INTERACTIVE_INSTALL; also on when the configuration says so)
	// +optional
	forceInteractive bool,
	// Debug kernel arguments (DEBUG; also on when the configuration says so)
	// +optional
	debugCmdline bool,
	// squashfs compression of the rootfs
	// +optional
	// +default="zstd"
	compression Compression,
	// Partition table for USB boot
	// +optional
	// +default="gpt"
	partitionTable PartitionTable,
	// SOURCE_DATE_EPOCH for every time stamp; the rootfs' os-release mtime when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.validateShippedUserData(ctx, cfg, userData, rootfs == nil); err != nil {
		return nil, err
	}
	if isoName == "" {
		isoName = cfg.Plan().ISOName
	}
	in := isoInputs{
		payload: payload{userData: userData, content: content, clusterConfig: clusterConfig, edgeConfig: edgeConfig, localUI: localUi},
		name:    isoName, overlay: overlay,
		forceInteractive: forceInteractive || cfg.ForceInteractiveInstall, debug: debugCmdline || cfg.Debug,
		compression: compression, partitionTable: partitionTable, arch: cfg.Arch, epoch: sourceDateEpoch,
	}
	if rootfs == nil {
		if rootfs, in, err = m.installerISOInputs(ctx, in); err != nil {
			return nil, err
		}
	}
	return m.iso(rootfs, in), nil
}

// installerISOInputs is CanvOS' +iso without a given rootfs: the installer
// image built from the configuration, and the payload from the build context
// wherever the caller gave none.
func (m *Canvos) installerISOInputs(ctx context.Context, in isoInputs) (*dagger.Directory, isoInputs, error) {
	b, err := m.build(ctx, "")
	if err != nil {
		return nil, in, err
	}
	inst, err := m.installerImage(ctx, b)
	if err != nil {
		return nil, in, err
	}
	found, err := m.contextPayload(ctx, b.cfg, isoBundles)
	if err != nil {
		return nil, in, err
	}
	in.payload = in.payload.or(found)
	return inst.Rootfs(), in, nil
}

// iso runs `canvos iso` in the worker with the rootfs and every input
// mounted read-only; build-all calls it too.
func (m *Canvos) iso(rootfs *dagger.Directory, in isoInputs) *dagger.Directory {
	ro := dagger.ContainerWithMountedDirectoryOpts{ReadOnly: true}
	ctr := withEpoch(m.worker(in.arch), in.epoch).
		WithMountedDirectory("/in/rootfs", rootfs, ro).
		WithExec([]string{"mkdir", "-p", "/out", "/scratch"})
	args := []string{"canvos", "iso", "--rootfs", "/in/rootfs", "--out", "/out/" + in.name + ".iso", "--scratch", "/scratch"}
	if in.compression != "" {
		args = append(args, "--compression", string(in.compression))
	}
	if in.partitionTable != "" {
		args = append(args, "--partition-table", string(in.partitionTable))
	}
	if in.arch != "" {
		args = append(args, "--arch", string(in.arch))
	}
	ctr, args = mountPayload(ctr, args, in.payload, in.overlay)
	if in.forceInteractive {
		args = append(args, "--force-interactive")
	}
	if in.debug {
		args = append(args, "--debug")
	}
	return ctr.WithExec(args).Directory("/out")
}

// IsoDiskImage wraps an ISO like CanvOS' +iso-disk-image: a scratch image
// holding it under /disk/, for registries that carry installers as OCI
// artifacts. Publish the returned container to
// IMAGE_REGISTRY/IMAGE_REPO/ISO_NAME:tag (see Plan's isoImage).
func (m *Canvos) IsoDiskImage(
	// The ISO (e.g. from iso)
	iso *dagger.File,
	// File name of the ISO inside /disk/
	// +optional
	// +default="installer.iso"
	name string,
) *dagger.Container {
	return dag.Container().WithFile("/disk/"+name, iso)
}

// PublishIsoDiskImage pushes the ISO disk image to ref (the configuration's
// isoImage when empty), with the login of with-registry-auth, and returns
// the reference with its digest.
// +cache="never"
func (m *Canvos) PublishIsoDiskImage(
	ctx context.Context,
	// The ISO (e.g. from iso)
	iso *dagger.File,
	// Target reference; IMAGE_REGISTRY/IMAGE_REPO/ISO_NAME:<PE_VERSION>[-CUSTOM_TAG] when empty
	// +optional
	ref string,
) (string, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return "", err
	}
	plan := cfg.Plan()
	if ref == "" {
		ref = plan.ISOImage
	}
	ctr, err := m.withRegistryAuth(m.IsoDiskImage(iso, plan.ISOFile), ref)
	if err != nil {
		return "", err
	}
	return ctr.Publish(ctx, ref)
}
