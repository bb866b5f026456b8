package main

import (
	"context"
	"strconv"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/provider"
	"dagger/canvos/usererr"
)

// UkiIso builds the UKI installer ISO (CanvOS +build-uki-iso with
// AUTO_ENROLL_SECUREBOOT_KEYS, amd64): a UEFI-only ISO whose El Torito image
// and GPT EFI system partition are the systemd-boot ESP of uki (signed
// systemd-boot, one signed UKI per command line with the rootfs as initrd,
// loader.conf, loader/keys/auto/{PK,KEK,db}.auth), and whose ISO 9660 tree
// carries the payload: user-data as /config.yaml, content bundles split into
// _partNN, SPC, edge config, local-ui under /opt/spectrocloud, the overlay.
// Written to a USB stick it boots as a disk. Returns a directory with
// <ISO_NAME>.iso and its .sha256 (CanvOS' UKI ISO has none). Private keys
// enter only as secrets. Like CanvOS +build-uki-iso, the ISO root also gets
// stylus-image.tar (STYLUS_PACKAGE_BASE packed as STYLUS_BASE) and luet
// (SPECTRO_THIRD_PARTY_IMAGE), which installed nodes unpack their agent with.
func (m *Canvos) UkiIso(
	ctx context.Context,
	// Root file system packed into the UKIs (the installer rootfs); give this or rootfsImage. When both are absent,
	// installer-image is built from the configuration and the payload comes from the build context, as CanvOS +iso does
	// +optional
	rootfs *dagger.Directory,
	// Container whose file system is the root file system; give this or rootfs
	// +optional
	rootfsImage *dagger.Container,
	// Kernel command lines, one boot entry each; default the Kairos UKI command line. The CLI splits
	// a list at commas: quote an entry that has one, --cmdline '"console=ttyS0,115200 quiet"'
	// +optional
	cmdline []string,
	// Appended to every command line; default CMDLINE from .arg (stylus.registration)
	// +optional
	extendCmdline string,
	// systemd-boot secure-boot-enroll; default force when AUTO_ENROLL_SECUREBOOT_KEYS=true, else auto: enki's if-safe where the worker's systemd-boot knows it, else manual (systemd-boot 252 has no if-safe)
	// +optional
	secureBootEnroll SecureBootEnroll,
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
	// local-ui.tar, extracted under the ISO's /opt/spectrocloud
	// +optional
	localUi *dagger.File,
	// Files copied onto the ISO root (CanvOS overlay/files-iso); stylus-image.tar and luet are added from the configuration's images
	// +optional
	overlay *dagger.Directory,
	// SOURCE_DATE_EPOCH for every time stamp; the rootfs' os-release mtime when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.validateShippedUserData(ctx, cfg, userData, rootfs == nil && rootfsImage == nil); err != nil {
		return nil, err
	}
	in := isoInputs{
		payload: payload{userData: userData, content: content, clusterConfig: clusterConfig, edgeConfig: edgeConfig, localUI: localUi},
		name:    isoName, overlay: overlay, epoch: sourceDateEpoch, efiSizes: [2]int{cfg.EFIMaxSize, cfg.EFIImgSize},
	}
	if in.name == "" {
		in.name = cfg.Plan().ISOName
	}
	switch {
	case rootfs != nil && rootfsImage != nil:
		return nil, usererr.New("rootfs/rootfs-image", "both", "at most one of them")
	case rootfsImage != nil:
		rootfs = rootfsImage.Rootfs()
	case rootfs == nil:
		if rootfs, in, err = m.installerISOInputs(ctx, in); err != nil {
			return nil, err
		}
	}
	return m.ukiISO(ctx, in, ukiInputs{rootfs: rootfs, cmdline: cmdline,
		extendCmdline: extendCmdline, secureBootEnroll: secureBootEnroll, epoch: sourceDateEpoch})
}

// ukiISO runs `canvos uki-iso` in the worker; UkiIso and build-all with
// IS_UKI call it.
func (m *Canvos) ukiISO(ctx context.Context, in isoInputs, u ukiInputs) (*dagger.Directory, error) {
	ctr, args, err := m.ukiWorker(ctx, u)
	if err != nil {
		return nil, err
	}
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	image, luet := m.stylusFiles(cfg.Plan())
	ctr = ctr.WithExec([]string{"mkdir", "-p", "/out", "/scratch"}).
		WithMountedFile("/in/stylus-image.tar", image).
		WithMountedFile("/in/luet", luet)
	args = append(append([]string{"canvos", "uki-iso"}, args...), "--out", "/out/"+in.name+".iso", "--scratch", "/scratch",
		"--stylus-image", "/in/stylus-image.tar", "--luet", "/in/luet")
	if in.efiSizes[0] > 0 {
		args = append(args, "--efi-max-size", strconv.Itoa(in.efiSizes[0]), "--efi-img-size", strconv.Itoa(in.efiSizes[1]))
	}
	ctr, args = mountPayload(ctr, args, in.payload, in.overlay)
	return ctr.WithExec(args).Directory("/out"), nil
}

// stylusFiles are CanvOS' +stylus-image-pack and +third-party/luet: the
// stylus package image packed into stylus-image.tar, tagged STYLUS_BASE, by
// `canvos stylus-image`, and the luet binary of the third-party image.
func (m *Canvos) stylusFiles(n config.Plan) (image, luet *dagger.File) {
	platform := dagger.ContainerOpts{Platform: dagger.Platform(n.Platform)}
	pkg := dag.Container(platform).From(n.StylusPackage).Rootfs()
	image = m.worker(n.Arch).
		WithMountedDirectory("/in/stylus", pkg, dagger.ContainerWithMountedDirectoryOpts{ReadOnly: true}).
		WithExec([]string{"mkdir", "-p", "/out"}).
		WithExec([]string{"canvos", "stylus-image", "--rootfs", "/in/stylus", "--ref", n.StylusFramework,
			"--arch", string(n.Arch), "--out", "/out/stylus-image.tar"}).
		File("/out/stylus-image.tar")
	luet = dag.Container(platform).From(n.ThirdPartyImage).File(provider.ThirdPartyBinary("luet", n.BinType, string(n.Arch)))
	return image, luet
}

// mountPayload mounts the ISO payload read-only into the worker and adds
// the flags that name it (canvos iso and canvos uki-iso share them).
func mountPayload(ctr *dagger.Container, args []string, p payload, overlay *dagger.Directory) (*dagger.Container, []string) {
	files := []struct {
		flag, path string
		file       *dagger.File
	}{
		{"--user-data", "/in/user-data", p.userData},
		{"--cluster-config", "/in/spc.tgz", p.clusterConfig},
		{"--edge-config", "/in/edge-config.yaml", p.edgeConfig},
		{"--local-ui", "/in/local-ui.tar", p.localUI},
	}
	for _, f := range files {
		if f.file != nil {
			ctr = ctr.WithMountedFile(f.path, f.file)
			args = append(args, f.flag, f.path)
		}
	}
	ro := dagger.ContainerWithMountedDirectoryOpts{ReadOnly: true}
	dirs := []struct {
		flag, path string
		dir        *dagger.Directory
	}{
		{"--content", "/in/content", p.content},
		{"--overlay", "/in/overlay", overlay},
	}
	for _, d := range dirs {
		if d.dir != nil {
			ctr = ctr.WithMountedDirectory(d.path, d.dir, ro)
			args = append(args, d.flag, d.path)
		}
	}
	return ctr, args
}
