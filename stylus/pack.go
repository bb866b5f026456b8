// Package stylus packs the stylus package image into stylus-image.tar, the
// file CanvOS' +stylus-image-pack puts on the root of UKI ISOs:
//
//	tar -czf stylus.tar <package image rootfs>
//	luet util pack $STYLUS_BASE stylus.tar stylus-image.tar
//
// luet pack (mudler/luet pkg/api/core/image CreateTar) writes, with
// go-containerregistry, a docker-save tarball of one image: the tar as its
// only layer on the empty image, linux/<arch> in the config, tagged with the
// given name. After install, 80_stylus_uki.yaml copies it to /oem/opt.bind
// and every boot unpacks it with `luet util unpack file://…/stylus-image.tar
// /`, which reads it with tarball.ImageFromPath. So go-containerregistry
// writes it here too; only the tar of a directory is ours, because no kept
// library archives a tree with its owners, links and device nodes.
package stylus

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"dagger/canvos/outfile"
	"dagger/canvos/usererr"
)

// ImageFile is the name CanvOS gives the packed image on the ISO root.
const ImageFile = "stylus-image.tar"

// Options describe one pack.
type Options struct {
	Rootfs string    // the stylus package image's file system (STYLUS_PACKAGE_BASE)
	Ref    string    // the tag of the packed image; CanvOS uses STYLUS_BASE
	Arch   string    // amd64 or arm64
	Epoch  time.Time // SOURCE_DATE_EPOCH: image creation time and the clamp for file times; zero keeps the tree's times
}

// Write packs o.Rootfs into the docker tarball out (via a temp file, renamed).
func Write(out string, o Options) error {
	ref, err := name.NewTag(o.Ref)
	if err != nil {
		return usererr.New("--ref", o.Ref, "an image tag reference (STYLUS_BASE), e.g. registry/edge/stylus-framework-linux-amd64:v4.10.0")
	}
	if o.Arch != "amd64" && o.Arch != "arm64" {
		return usererr.New("--arch", o.Arch, usererr.OneOf("amd64", "arm64"))
	}
	if fi, err := os.Stat(o.Rootfs); err != nil || !fi.IsDir() {
		return usererr.New("--rootfs", o.Rootfs, "the stylus package image's root directory")
	}
	// The layer's tar is staged beside out: the package image runs to
	// hundreds of MB, too much to hold in memory.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".stylus-layer-*.tar")
	if err != nil {
		return fmt.Errorf("stylus: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := tarTree(tmp, o.Rootfs, o.Epoch); err != nil {
		return fmt.Errorf("stylus: %w", err)
	}
	layer, err := tarball.LayerFromFile(tmp.Name())
	if err != nil {
		return fmt.Errorf("stylus: layer: %w", err)
	}
	img, err := image(layer, o)
	if err != nil {
		return err
	}
	return outfile.Write(out, 0o644, func(w io.Writer) error { return tarball.Write(ref, img, w) })
}

// image is luet pack's image: one layer on the empty image, linux/<arch>.
func image(layer v1.Layer, o Options) (v1.Image, error) {
	cfg, err := empty.Image.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", o.Arch
	cfg.Created = v1.Time{Time: o.Epoch.UTC()}
	img, err := mutate.ConfigFile(empty.Image, cfg)
	if err != nil {
		return nil, fmt.Errorf("stylus: config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{
		Created: v1.Time{Time: o.Epoch.UTC()}, CreatedBy: "canvos stylus-image", Comment: "stylus package (CanvOS +stylus-image-pack)"}})
	if err != nil {
		return nil, fmt.Errorf("stylus: layer: %w", err)
	}
	return img, nil
}

// tarTree archives root in lexical order with the owners, modes, symlinks,
// hard links and device nodes of the tree (CanvOS' tar -czf of a --keep-ts
// copy). Times after epoch are clamped to it, so a rebuild from the same
// image gives the same bytes; user and group names are left out (numeric
// ids, as container layers carry them).
func tarTree(w io.Writer, root string, epoch time.Time) error {
	tw := tar.NewWriter(w)
	links := map[[2]uint64]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		h, err := header(p, filepath.ToSlash(rel), links, epoch)
		if err != nil || h == nil {
			return err
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// header is the tar header of p; nil for a socket (no tar can hold one).
func header(p, rel string, links map[[2]uint64]string, epoch time.Time) (*tar.Header, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSocket != 0 {
		return nil, nil
	}
	target := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = os.Readlink(p); err != nil {
			return nil, err
		}
	}
	h, err := tar.FileInfoHeader(fi, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	h.Name, h.Uname, h.Gname = rel, "", ""
	h.Format = tar.FormatPAX
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	if !epoch.IsZero() && h.ModTime.After(epoch) {
		h.ModTime = epoch
	}
	if fi.IsDir() {
		h.Name += "/"
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New("stylus: no stat of " + rel)
	}
	if fi.Mode().IsRegular() && st.Nlink > 1 {
		key := [2]uint64{uint64(st.Dev), st.Ino}
		if first, seen := links[key]; seen {
			h.Typeflag, h.Linkname, h.Size = tar.TypeLink, first, 0
			return h, nil
		}
		links[key] = rel
	}
	return h, nil
}
