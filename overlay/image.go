package overlay

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
)

// The image overlay (CanvOS overlay/files/) and the cloud-configs the base
// image installs (CanvOS cloudconfigs/; the MAAS one is StylusMAAS, maas.go).
// image.modes records their modes.
//
//go:embed all:files cloudconfigs image.modes
var imageFS embed.FS

// File is one file of an overlay, ready to be written into an image.
type File struct {
	Path string      // absolute path in the image, e.g. /etc/rsyslog.d/49-stylus.conf
	Mode fs.FileMode // permission bits (image.modes)
	Data []byte
}

// Image returns CanvOS' image overlay, sorted by path: what the installer image
// copies onto / and (the /etc part, see ImageEtc) what provider images copy.
func Image() ([]File, error) { return image() }

// ImageEtc returns the files of Image under /etc/, which is what CanvOS copies
// into provider images (COPY overlay/files/etc/ /etc/).
func ImageEtc() ([]File, error) {
	all, err := image()
	if err != nil {
		return nil, err
	}
	var etc []File
	for _, f := range all {
		if strings.HasPrefix(f.Path, "/etc/") {
			etc = append(etc, f)
		}
	}
	return etc, nil
}

// ImageFile returns the overlay file at the absolute image path p.
func ImageFile(p string) (File, error) {
	all, err := image()
	if err != nil {
		return File{}, err
	}
	for _, f := range all {
		if f.Path == p {
			return f, nil
		}
	}
	return File{}, fmt.Errorf("overlay: %s: %w", p, fs.ErrNotExist)
}

// UKICloudConfig is cloudconfigs/80_stylus_uki.yaml at its image path
// /etc/kairos/80_stylus_uki.yaml (Trusted Boot builds only).
func UKICloudConfig() (File, error) {
	return cloudConfig("80_stylus_uki.yaml", "/etc/kairos/80_stylus_uki.yaml")
}

// JetsonMountConfig is cloudconfigs/mount.yaml at its image path
// /etc/kairos/mount.yaml (NVIDIA Jetson builds only).
func JetsonMountConfig() (File, error) {
	return cloudConfig("mount.yaml", "/etc/kairos/mount.yaml")
}

// MAASCloudConfig is StylusMAAS at its image path
// /system/oem/80_stylus_maas.yaml (IS_MAAS builds only), readable by all like
// the other cloud-configs.
func MAASCloudConfig() (File, error) {
	return File{Path: "/system/oem/80_stylus_maas.yaml", Mode: 0o644, Data: StylusMAAS}, nil
}

func cloudConfig(name, imagePath string) (File, error) {
	return load("cloudconfigs/"+name, imagePath)
}

// image walks files/ once; WalkDir visits in lexical order, so the result is
// sorted by path.
var image = sync.OnceValues(func() ([]File, error) {
	var files []File
	err := fs.WalkDir(imageFS, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := load(p, strings.TrimPrefix(p, "files"))
		files = append(files, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("overlay: image: %w", err)
	}
	return files, nil
})

// load reads the embedded file p and gives it its recorded mode.
func load(p, imagePath string) (File, error) {
	modes, err := modes()
	if err != nil {
		return File{}, err
	}
	mode, ok := modes[p]
	if !ok {
		return File{}, fmt.Errorf("overlay: %s: no mode in image.modes", p)
	}
	data, err := imageFS.ReadFile(p)
	if err != nil {
		return File{}, fmt.Errorf("overlay: %w", err)
	}
	return File{Path: imagePath, Mode: mode, Data: data}, nil
}

// modes parses image.modes: "mode path" lines, # comments.
var modes = sync.OnceValues(func() (map[string]fs.FileMode, error) {
	data, err := imageFS.ReadFile("image.modes")
	if err != nil {
		return nil, fmt.Errorf("overlay: %w", err)
	}
	m := map[string]fs.FileMode{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		mode, p, ok := strings.Cut(line, " ")
		n, err := strconv.ParseUint(mode, 8, 32)
		if !ok || err != nil || n > 0o777 || path.Clean(p) != p {
			return nil, fmt.Errorf("overlay: image.modes:%d: want \"<octal mode> <path>\", got %q", i+1, line)
		}
		m[p] = fs.FileMode(n)
	}
	return m, nil
})
