package main

import (
	"context"
	"encoding/hex"
	"flag"
	"path/filepath"

	"dagger/canvos/installer/iso"
	"dagger/canvos/outfile"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "iso", summary: "build the installer ISO (+ .sha256) from an installer rootfs", run: runISO})
}

// biosFallback is the worker's grub-pc-bin, used when the rootfs ships no
// GRUB for i386-pc.
const biosFallback = "/usr/lib/grub/i386-pc"

func runISO(ctx context.Context, e *env, args []string) error {
	var o iso.Options
	var comp, table, arch string
	fs := newFlags(e, "iso")
	fs.StringVar(&o.Rootfs, "rootfs", "", "installer rootfs directory (Kairos layout: /boot/vmlinuz, /boot/initrd)")
	fs.StringVar(&o.OutPath, "out", "", "ISO to write (FILE.iso; FILE.iso.sha256 is written beside it)")
	payloadFlags(fs, &o.Payload, "#cloud-config user-data to embed", "local-ui tar, extracted into the rootfs /opt/spectrocloud")
	fs.StringVar(&o.UserDataPath, "user-data-path", "config.yaml", "ISO path of the user-data: config.yaml (Kairos, AuroraBoot, CanvOS UKI) or files-iso/config.yaml (CanvOS non-UKI)")
	fs.StringVar(&o.Label, "label", iso.DefaultLabel, "ISO volume label")
	fs.BoolVar(&o.Interactive, "force-interactive", false, "boot the interactive installer by default (FORCE_INTERACTIVE_INSTALL)")
	fs.BoolVar(&o.Debug, "debug", false, "add debug kernel arguments (DEBUG)")
	fs.StringVar(&comp, "compression", string(iso.CompZstd), "squashfs compression: zstd, xz, gzip, lz4, none")
	fs.IntVar(&o.Level, "compression-level", 0, "compression level (zstd 1–22, default 3; gzip 1–9)")
	fs.StringVar(&o.Boot.Shim, "shim", "", "signed shim (default: from the rootfs)")
	fs.StringVar(&o.Boot.GrubEFI, "grub-efi", "", "signed GRUB EFI binary (default: from the rootfs, CD variant first)")
	fs.StringVar(&o.Boot.MokMgr, "mokmanager", "", "MokManager EFI binary (default: from the rootfs, optional)")
	fs.StringVar(&o.Boot.GrubBIOS, "grub-bios", "", "GRUB i386-pc directory, amd64 only (default: the rootfs', else "+biosFallback+")")
	fs.StringVar(&table, "partition-table", string(iso.TableGPT), "hybrid partition table for USB boot: gpt (protective MBR + GPT ESP, AuroraBoot's layout) or mbr (active 0xEF partition)")
	fs.StringVar(&arch, "arch", string(iso.ArchAMD64), "target architecture: amd64 (BIOS + UEFI) or arm64 (UEFI only: BOOTAA64.EFI, no BIOS entry)")
	scratchDir := scratchFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Rootfs == "" || o.OutPath == "" {
		return usererr.New("--rootfs/--out", "", "both are required")
	}
	o.Compression = iso.Compression(comp)
	o.PartitionTable = iso.PartitionTable(table)
	o.Arch = iso.Arch(arch)
	o.BIOSFallback = biosFallback
	o.Printf = e.printf
	epoch, err := sourceDateEpoch(o.Rootfs)
	if err != nil {
		return err
	}
	o.Epoch = epoch
	inputs := append(payloadInputs(o.Payload), outfile.Input{Flag: "--rootfs", Path: o.Rootfs}, outfile.Input{Flag: "--shim", Path: o.Boot.Shim},
		outfile.Input{Flag: "--grub-efi", Path: o.Boot.GrubEFI}, outfile.Input{Flag: "--mokmanager", Path: o.Boot.MokMgr},
		outfile.Input{Flag: "--grub-bios", Path: o.Boot.GrubBIOS})
	if err := outfile.Check("--out", o.OutPath, inputs...); err != nil {
		return err
	}
	if o.ScratchDir, err = prepareScratch(e, *scratchDir, filepath.Dir(o.OutPath), inputs...); err != nil {
		return err
	}
	res, err := iso.BuildISO(ctx, o)
	if err != nil {
		return err
	}
	e.printf("iso: %s (%d bytes, sha256 %s)", res.Path, res.Size, hex.EncodeToString(res.SHA256[:]))
	return nil
}

// payloadFlags registers the payload flags both ISO verbs share; the
// user-data and local-ui help differs with where they land.
func payloadFlags(fs *flag.FlagSet, p *iso.Payload, userDataHelp, localUIHelp string) {
	fs.StringVar(&p.UserData, "user-data", "", userDataHelp)
	fs.StringVar(&p.ContentDir, "content", "", "directory of content bundles (*.zst) → /opt/spectrocloud/content/<name>_partNN")
	fs.StringVar(&p.ClusterConfig, "cluster-config", "", "SPC file → /opt/spectrocloud/clusterconfig/spc.tgz")
	fs.StringVar(&p.EdgeConfig, "edge-config", "", "edge custom config → /.edge_custom_config.yaml")
	fs.StringVar(&p.LocalUI, "local-ui", "", localUIHelp)
	fs.StringVar(&p.Overlay, "overlay", "", "directory copied onto the ISO root (e.g. stylus-image.tar, luet)")
}

// payloadInputs are the payload's files and trees, which no output or
// scratch directory may replace or sit in.
func payloadInputs(p iso.Payload) []outfile.Input {
	return []outfile.Input{{Flag: "--user-data", Path: p.UserData}, {Flag: "--content", Path: p.ContentDir},
		{Flag: "--cluster-config", Path: p.ClusterConfig}, {Flag: "--edge-config", Path: p.EdgeConfig},
		{Flag: "--local-ui", Path: p.LocalUI}, {Flag: "--overlay", Path: p.Overlay}}
}
