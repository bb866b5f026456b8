package installer

import (
	"dagger/canvos/imageplan"
	"dagger/canvos/internal/dagger"
)

// ImageInputs are the trees the installer image steps copy.
type ImageInputs struct {
	Stylus  *dagger.Directory // rootfs of the stylus framework image
	Overlay *dagger.Directory // the image overlay (CanvOS overlay/files/)
	// LocalUI is the extracted local-ui.tar, added under /opt/spectrocloud;
	// nil adds none (the ISO adds it at squashfs time instead).
	LocalUI  *dagger.Directory
	BuildEnv map[string]string // proxies for script steps, never in the image
}

// Image is CanvOS' +iso-image: base + the whole stylus framework +
// overlay/files (+ local UI), UKI-trimmed when asked, without host keys or a
// machine ID. Its rootfs feeds the ISO, raw, MAAS and UKI functions; it is
// never published.
func Image(dag *dagger.Client, base *dagger.Container, opts imageplan.InstallerOptions, in ImageInputs) *dagger.Container {
	opts.LocalUI = in.LocalUI != nil
	dirs := map[imageplan.Source]*dagger.Directory{
		imageplan.Stylus:  in.Stylus,
		imageplan.Overlay: in.Overlay,
		imageplan.LocalUI: in.LocalUI,
	}
	return imageplan.Apply(dag, base, imageplan.Installer(opts), imageplan.Inputs{Dirs: dirs, BuildEnv: in.BuildEnv})
}
