// Package overlay holds the files CanvOS ships into images, ISOs and disks —
// the image overlay, the ISO's GRUB configuration, cloud-configs, MAAS scripts
// and curtin hooks — embedded with go:embed so the worker CLI and the Dagger
// layer carry them without a checkout. Each area embeds its own folder.
package overlay
