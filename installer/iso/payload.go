package iso

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"dagger/canvos/overlay"
)

// splitSize is CanvOS' content split (`split --bytes=3GB`, decimal): every
// bundle becomes <name>_partNN, 00 upwards, each under ISO 9660's 4 GiB file
// limit. The Palette agent joins the parts; a small bundle is a single
// _part00, exactly as CanvOS ships it.
const splitSize = 3_000_000_000

func (s stager) grubConfig(name string) ([]byte, error) {
	def := 0
	if s.o.Interactive {
		def = 2
	}
	return overlay.RenderISO(name, overlay.ISOGrub{Label: s.o.Label, DefaultEntry: def, Debug: s.o.Debug, HiddenEntry: s.in.boot.hiddenEntry})
}

func (s stager) render(isoPath, tmpl string) error {
	b, err := s.grubConfig(tmpl)
	if err != nil {
		return err
	}
	return s.writeFile(isoPath, b)
}

func (s stager) writeFile(isoPath string, b []byte) error {
	p, err := s.path(isoPath)
	if err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

// payload stages the overlay, then CanvOS' ISO payload (canvos.md §12):
// user-data, content bundles, the SPC and the edge config.
func (s stager) payload(context.Context) error {
	if err := s.overlay(); err != nil {
		return fmt.Errorf("overlay: %w", err)
	}
	if s.in.userData != nil {
		if err := s.writeFile(s.o.UserDataPath, s.in.userData); err != nil {
			return err
		}
	}
	for _, b := range s.in.content {
		if err := s.split(b, splitSize); err != nil {
			return fmt.Errorf("content %s: %w", b, err)
		}
	}
	for _, f := range []struct{ src, dst string }{{s.o.ClusterConfig, isoSPC}, {s.o.EdgeConfig, isoEdgeConfig}} {
		if f.src == "" {
			continue
		}
		if err := s.copyIn(f.src, f.dst); err != nil {
			return err
		}
	}
	return nil
}

// split stages bundle as <name>_partNN pieces of at most size bytes.
func (s stager) split(bundle string, size int64) error {
	fi, err := os.Stat(bundle)
	if err != nil {
		return err
	}
	base := path.Join(isoContentDir, filepath.Base(bundle))
	if fi.Size() <= size {
		return s.copyIn(bundle, base+"_part00")
	}
	for i, off := 0, int64(0); off < fi.Size(); i, off = i+1, off+size {
		dst, err := s.path(fmt.Sprintf("%s_part%02d", base, i))
		if err != nil {
			return err
		}
		if err := copyRange(bundle, dst, off, size); err != nil {
			return err
		}
	}
	return nil
}

// overlay copies the --overlay tree onto the ISO root. Generated files win
// nowhere: a clash is refused in check (reservedISOPaths).
func (s stager) overlay() error {
	for _, rel := range s.in.overlay {
		src := filepath.Join(s.o.Overlay, filepath.FromSlash(rel))
		fi, err := os.Lstat(src)
		if err != nil {
			return err
		}
		dst, err := s.path(rel)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			err = os.MkdirAll(dst, 0o755)
		case fi.Mode()&fs.ModeSymlink != 0:
			var target string
			if target, err = os.Readlink(src); err == nil {
				err = os.Symlink(target, dst)
			}
		default:
			err = copyRange(src, dst, 0, -1)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
