// Package oci applies the file steps of an imageplan onto an OCI image with
// go-containerregistry: one reproducible layer per step, history naming the
// step. It is the engine-free executor of the same plan stage.go hands to
// Dagger, so layer order, paths and tags can be checked where no engine runs.
// Steps that need the image's package manager (Exec) cannot run here and are
// reported as ErrNeedsEngine.
package oci

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"dagger/canvos/imageplan"
)

// ErrNeedsEngine marks a step only a container runtime can apply.
var ErrNeedsEngine = errors.New("step runs a script in the image; it needs a container engine")

// Options controls Apply.
type Options struct {
	// Sources are the trees the steps read, by source; paths in steps are
	// taken relative to each tree's root.
	Sources map[imageplan.Source]fs.FS
	// Epoch is the modification time of every entry and the image's creation
	// time (SOURCE_DATE_EPOCH), so the same inputs give the same digests.
	Epoch time.Time
	// Printf reports progress; nil is silent.
	Printf func(string, ...any)
}

// Apply returns base with one layer per step, in order. An optional copy
// whose source is missing adds no layer.
func Apply(base v1.Image, steps []imageplan.Step, o Options) (v1.Image, error) {
	img := base
	for _, s := range steps {
		if err := s.Validate(); err != nil {
			return nil, err
		}
		entries, err := layerEntries(img, s, o.Sources)
		if err != nil {
			return nil, fmt.Errorf("oci: step %s: %w", s.Name, err)
		}
		if entries == nil {
			continue
		}
		layer, err := tarLayer(entries, o.Epoch)
		if err != nil {
			return nil, fmt.Errorf("oci: step %s: %w", s.Name, err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{
			Layer:   layer,
			History: v1.History{CreatedBy: s.String(), Created: v1.Time{Time: o.Epoch}},
		}); err != nil {
			return nil, fmt.Errorf("oci: step %s: %w", s.Name, err)
		}
		if o.Printf != nil {
			o.Printf("oci: %s: %d entries\n", s.Name, len(entries))
		}
	}
	img, err := mutate.CreatedAt(img, v1.Time{Time: o.Epoch})
	if err != nil {
		return nil, fmt.Errorf("oci: created: %w", err)
	}
	return img, nil
}

// entry is one tar member of a layer; Name has no leading slash.
type entry struct {
	Name     string
	Mode     fs.FileMode // type bits + permissions
	Data     []byte
	Linkname string
}

// layerEntries computes what step s adds on top of img; nil means no layer.
func layerEntries(img v1.Image, s imageplan.Step, sources map[imageplan.Source]fs.FS) ([]entry, error) {
	switch s.Op {
	case imageplan.CopyDir, imageplan.CopyFile:
		src, ok := sources[s.From]
		if !ok {
			return nil, fmt.Errorf("no tree for source %s", s.From)
		}
		return copyEntries(src, s)
	case imageplan.Write:
		return withParents(s.Dest, []entry{{Name: rel(s.Dest), Mode: s.Mode.Perm(), Data: []byte(s.Content)}}), nil
	case imageplan.Symlink:
		return withParents(s.Dest, []entry{{Name: rel(s.Dest), Mode: fs.ModeSymlink | 0o777, Linkname: s.Target}}), nil
	case imageplan.LinkTree:
		src, ok := sources[s.From]
		if !ok {
			return nil, fmt.Errorf("no tree for source %s", s.From)
		}
		return linkTreeEntries(src, s)
	case imageplan.Chmod, imageplan.Move, imageplan.Remove:
		view, err := readView(img)
		if err != nil {
			return nil, err
		}
		return viewEntries(view, s)
	case imageplan.Exec:
		return nil, fmt.Errorf("%s %s: %w", s.Src, strings.Join(s.Args, " "), ErrNeedsEngine)
	}
	return nil, fmt.Errorf("unknown op %d", int(s.Op))
}

func copyEntries(src fs.FS, s imageplan.Step) ([]entry, error) {
	root := rel(s.Src)
	if root == "" {
		root = "."
	}
	info, err := fs.Stat(src, root)
	if errors.Is(err, fs.ErrNotExist) && s.Optional {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.From, err)
	}
	if s.Op == imageplan.CopyFile {
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("source %s:%s is not a regular file", s.From, s.Src)
		}
		data, err := fs.ReadFile(src, root)
		if err != nil {
			return nil, err
		}
		return withParents(s.Dest, []entry{{Name: rel(s.Dest), Mode: info.Mode().Perm(), Data: data}}), nil
	}
	var out []entry
	err = fs.WalkDir(src, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		if root == "." {
			sub = strings.TrimPrefix(p, ".")
		}
		name := rel(path.Join(s.Dest, sub))
		if name == "" {
			return nil // the destination root itself
		}
		e, err := fsEntry(src, p, d, name)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.From, err)
	}
	return withParents(s.Dest, out), nil
}

// linkTreeEntries links every non-directory of the source tree from Dest to
// Target, creating the directories between (mkdir -p, mode 0755).
func linkTreeEntries(src fs.FS, s imageplan.Step) ([]entry, error) {
	root := strings.TrimPrefix(rel(s.Src), "/")
	if root == "" {
		root = "."
	}
	var out []entry
	err := fs.WalkDir(src, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		sub := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		if sub == "" {
			return nil
		}
		name := rel(path.Join(s.Dest, sub))
		if d.IsDir() {
			out = append(out, entry{Name: name, Mode: fs.ModeDir | 0o755})
			return nil
		}
		out = append(out, entry{Name: name, Mode: fs.ModeSymlink | 0o777, Linkname: path.Join(s.Target, sub)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.From, err)
	}
	return withParents(path.Join(s.Dest, "x"), out), nil
}

func fsEntry(src fs.FS, p string, d fs.DirEntry, name string) (entry, error) {
	info, err := d.Info()
	if err != nil {
		return entry{}, err
	}
	e := entry{Name: name, Mode: info.Mode()}
	switch {
	case d.Type()&fs.ModeSymlink != 0:
		e.Linkname, err = fs.ReadLink(src, p)
	case d.IsDir():
	case info.Mode().IsRegular():
		e.Data, err = fs.ReadFile(src, p)
	default:
		err = fmt.Errorf("%s: unsupported file type %s", p, info.Mode().Type())
	}
	return e, err
}

// withParents prefixes entries with the directories leading to dest, as a
// copy into a fresh path creates them.
func withParents(dest string, entries []entry) []entry {
	var parents []entry
	for dir := path.Dir(path.Clean(dest)); dir != "/"; dir = path.Dir(dir) {
		parents = append(parents, entry{Name: rel(dir), Mode: fs.ModeDir | 0o755})
	}
	slices.Reverse(parents)
	return append(parents, entries...)
}

func rel(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// tarLayer writes entries as an uncompressed tar with fixed owner and time
// and wraps it as a gzip-compressed layer.
func tarLayer(entries []entry, epoch time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: int64(e.Mode.Perm()), ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case e.Mode&fs.ModeDir != 0:
			h.Typeflag, h.Name = tar.TypeDir, e.Name+"/"
		case e.Mode&fs.ModeSymlink != 0:
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Linkname
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}
