package main

import (
	"cmp"
	"context"
	"strconv"

	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
)

// IsoEfiSizeCheck builds the EFI size probe of CanvOS' iso-efi-size-check
// target: an ISO whose EFI_IMG_SIZE MiB FAT ESP boots the UEFI shell, which has the
// firmware load an EFI_MAX_SIZE MiB EFI image from it and prints
// "efi-size-check: PASS" or "efi-size-check: FAIL" on the console. Boot it
// on the target hardware before trusting a UKI of that size to it (Secure
// Boot off: the probe is unsigned, like CanvOS'). Returns a directory with
// efi-size-check.iso and its .sha256.
func (m *Canvos) IsoEfiSizeCheck(
	ctx context.Context,
	// MiB of the EFI image the firmware must load; EFI_MAX_SIZE from the configuration (2048) when 0
	// +optional
	maxSize int,
	// MiB of the FAT ESP that holds it; EFI_IMG_SIZE from the configuration (2200) when 0
	// +optional
	imgSize int,
	// The x86-64 UEFI shell (shellx64.efi); taken from Debian's efi-shell-x64 package in shellImage when absent
	// +optional
	shell *dagger.File,
	// Debian image with efi-shell-x64 in its archive (trixie or later; a mirror's reference works)
	// +optional
	// +default="debian:trixie-slim"
	shellImage string,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if shell == nil {
		shell = dag.Container().From(shellImage).
			WithExec([]string{"sh", "-c", aptInstall, "sh", "efi-shell-x64"}).
			File("/usr/share/efi-shell-x64/shellx64.efi")
	}
	// The probe is x86-64 (the shell is shellx64.efi).
	return m.worker(config.AMD64).
		WithMountedFile("/in/shellx64.efi", shell).
		WithExec([]string{"mkdir", "-p", "/out", "/scratch"}).
		WithExec([]string{"canvos", "iso-efi-size-check", "--shell", "/in/shellx64.efi",
			"--max-size", strconv.Itoa(cmp.Or(maxSize, cfg.EFIMaxSize)), "--img-size", strconv.Itoa(cmp.Or(imgSize, cfg.EFIImgSize)),
			"--out", "/out/efi-size-check.iso", "--scratch", "/scratch"}).
		Directory("/out"), nil
}
