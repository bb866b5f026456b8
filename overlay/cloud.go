package overlay

import (
	"embed"
	"io/fs"
)

// cloudFS holds what CanvOS' +iso-image adds with IS_CLOUD_IMAGE=true
// (cloud-images/workaround/ and cloudconfigs/cloud-*.sh).
//
//go:embed cloud/*
var cloudFS embed.FS

// cloudFiles maps each file of cloud/ to its image path and mode.
var cloudFiles = []struct {
	name, path string
	mode       fs.FileMode
}{
	{"grubmenu.cfg", "/etc/kairos/branding/grubmenu.cfg", 0o644},
	{"custom-post-reset.yaml", "/system/oem/custom-post-reset.yaml", 0o644},
	{"cloud-content.sh", CloudContentScript, 0o755},
	{"cloud-extend-persistent.sh", CloudExtendScript, 0o755},
}

// The first-boot scripts of a cloud image, run by custom-post-reset.yaml.
const (
	CloudContentScript = "/opt/spectrocloud/scripts/cloud-content.sh"
	CloudExtendScript  = "/opt/spectrocloud/scripts/cloud-extend-persistent.sh"
)

// CloudImage returns the files a cloud image's installer rootfs gets on top of
// the ISO one: the GRUB menu with the Reset and Registration entries, the
// after-reset cloud-config and the two first-boot scripts it runs.
func CloudImage() []File {
	files := make([]File, len(cloudFiles))
	for i, f := range cloudFiles {
		data, err := cloudFS.ReadFile("cloud/" + f.name)
		if err != nil {
			panic(err) // embedded above: cannot fail
		}
		files[i] = File{Path: f.path, Mode: f.mode, Data: data}
	}
	return files
}
