package main

import (
	"cmp"
	"context"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

// Paths inside the worker container for uki.
const (
	ukiRootfs = "/in/rootfs"
	ukiKeys   = "/in/keys"
	ukiOut    = "/out"
)

// Uki builds the Trusted Boot boot files from a root file system, like the
// UKI build inside CanvOS +uki-iso and +build-provider-trustedboot-image does it:
// the rootfs (minus /sys /proc /dev /run /tmp) packed into a zstd initrd,
// one UKI per command line in EFI/kairos with its loader/entries conf, titled
// BRANDING (kernel from /boot/vmlinuz, os-release, signed PCR 11 policy when
// pcrKey is given), systemd-boot as EFI/BOOT/BOOTX64.EFI, all signed with
// the db key, loader/loader.conf and loader/keys/auto/{PK,KEK,db}.auth — the
// layout enki writes and the Kairos agent installs from. Returns a directory with esp/ and,
// with espImage, esp.img. Private keys enter only as secrets: mounted on
// tmpfs for the one exec that signs, never in a layer, argv or log.
func (m *Canvos) Uki(
	ctx context.Context,
	// Root file system to boot (e.g. the installer or provider rootfs); give this or rootfsImage
	// +optional
	rootfs *dagger.Directory,
	// Container whose file system is the root file system to boot; give this or rootfs
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
	// Also return the ESP as a FAT image, esp.img
	// +optional
	espImage bool,
	// SOURCE_DATE_EPOCH for the initrd and FAT time stamps; the rootfs' os-release time when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	if rootfsImage != nil {
		if rootfs != nil {
			return nil, usererr.New("rootfs/rootfs-image", "both", "exactly one of them")
		}
		rootfs = rootfsImage.Rootfs()
	}
	if rootfs == nil {
		return nil, usererr.New("rootfs/rootfs-image", "", "exactly one of them")
	}
	return m.uki(ctx, ukiInputs{rootfs: rootfs, cmdline: cmdline,
		extendCmdline: extendCmdline, secureBootEnroll: secureBootEnroll, espImage: espImage, epoch: sourceDateEpoch})
}

// SecureBootEnroll is systemd-boot's secure-boot-enroll setting.
type SecureBootEnroll string

const (
	SecureBootEnrollForce  SecureBootEnroll = "force"  // enroll the keys of loader/keys/auto at boot (AUTO_ENROLL_SECUREBOOT_KEYS=true)
	SecureBootEnrollManual SecureBootEnroll = "manual" // offer enrollment in the boot menu
	SecureBootEnrollOff    SecureBootEnroll = "off"    // never enroll
)

// ukiInputs are the inputs of uki besides the keys of with-uki-keys; zero
// values take the configuration's defaults.
type ukiInputs struct {
	rootfs           *dagger.Directory
	cmdline          []string
	extendCmdline    string
	secureBootEnroll SecureBootEnroll
	espImage         bool
	epoch            int
	// provider marks the UKIs of a provider image: CanvOS'
	// +build-provider-trustedboot-image passes enki no --extend-cmdline, so
	// they boot the plain install line; registration is the ISO's alone.
	provider bool
}

// uki runs `canvos uki-esp` in the worker; the Uki function and the IS_UKI
// provider images call it.
func (m *Canvos) uki(ctx context.Context, in ukiInputs) (*dagger.Directory, error) {
	ctr, args, err := m.ukiWorker(ctx, in)
	if err != nil {
		return nil, err
	}
	args = append(append([]string{"canvos", "uki-esp"}, args...), "--out-dir", ukiOut+"/esp")
	if in.espImage {
		args = append(args, "--out-img", ukiOut+"/esp.img")
	}
	return ctr.WithExec(args).Directory(ukiOut), nil
}

// ukiWorker returns the worker with the rootfs, the public key tree and the
// private keys mounted (secrets, mode 0600, never in a layer, argv or log)
// and the ESP flags shared by uki-esp and uki-iso, defaults resolved from
// the configuration.
func (m *Canvos) ukiWorker(ctx context.Context, in ukiInputs) (*dagger.Container, []string, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := m.requireUKIKeys(); err != nil {
		return nil, nil, err
	}
	args, err := ukiFlags(cfg, in)
	if err != nil {
		return nil, nil, err
	}
	secret := dagger.ContainerWithMountedSecretOpts{Mode: 0o600}
	ctr := m.worker(config.AMD64).
		WithMountedDirectory(ukiRootfs, in.rootfs, dagger.ContainerWithMountedDirectoryOpts{ReadOnly: true}).
		WithMountedDirectory(ukiKeys+"/public-keys", m.UkiKeys.Directory("public-keys")).
		WithMountedDirectory(ukiKeys+"/enrollment", m.UkiKeys.Directory("enrollment")).
		WithMountedSecret(ukiKeys+"/private-keys/db.key", m.UkiDbKey, secret)
	if m.UkiPcrKey != nil {
		ctr = ctr.WithMountedSecret(ukiKeys+"/private-keys/tpm2-pcr-private.pem", m.UkiPcrKey, secret)
	}
	return withEpoch(ctr, in.epoch), args, nil
}

// ukiFlags are the ESP flags of uki-esp and uki-iso: the inputs, else the
// configuration's CMDLINE, AUTO_ENROLL_SECUREBOOT_KEYS and BRANDING.
func ukiFlags(cfg config.Config, in ukiInputs) ([]string, error) {
	enroll := cmp.Or(string(in.secureBootEnroll), uki.EnrollModeFor(cfg.AutoEnrollSecureBoot))
	if _, err := uki.ParseEnrollMode(enroll); err != nil {
		return nil, err
	}
	extend := cmp.Or(in.extendCmdline, cfg.Cmdline, uki.DefaultExtendCmdline)
	if in.provider {
		extend = ""
	}
	args := []string{"--rootfs", ukiRootfs, "--keys", ukiKeys,
		"--extend-cmdline", extend, "--secure-boot-enroll", enroll, "--title", cfg.Branding}
	for _, c := range in.cmdline {
		args = append(args, "--cmdline", c)
	}
	return args, nil
}
