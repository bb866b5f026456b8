package oci

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"dagger/canvos/imageplan"
)

// view is the flattened file system of an image, by path without a leading
// slash. Steps that edit existing files (move, remove, chmod) read it.
type view map[string]entry

func readView(img v1.Image) (view, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	v := view{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return v, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading image: %w", err)
		}
		name := rel(h.Name)
		e := entry{Name: name, Mode: h.FileInfo().Mode(), Linkname: h.Linkname}
		if h.Typeflag == tar.TypeReg {
			if e.Data, err = io.ReadAll(tr); err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
		}
		v[name] = e
	}
}

// paths returns the view's paths in lexical order.
func (v view) paths() []string {
	out := make([]string, 0, len(v))
	for p := range v {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// subtree returns p and everything below it, in lexical order.
func (v view) subtree(p string) []string {
	var out []string
	for _, q := range v.paths() {
		if q == p || strings.HasPrefix(q, p+"/") {
			out = append(out, q)
		}
	}
	return out
}

// whiteout is the OCI marker deleting p in a lower layer.
func whiteout(p string) entry {
	return entry{Name: path.Join(path.Dir(p), ".wh."+path.Base(p)), Mode: 0o644}
}

func viewEntries(v view, s imageplan.Step) ([]entry, error) {
	switch s.Op {
	case imageplan.Chmod:
		e, ok := v[rel(s.Dest)]
		if !ok || !e.Mode.IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file in the image", s.Dest)
		}
		e.Mode = s.Mode.Perm()
		return withParents(s.Dest, []entry{e}), nil
	case imageplan.Remove:
		return removeEntries(v, s), nil
	case imageplan.Move:
		return moveEntries(v, s)
	}
	return nil, fmt.Errorf("op %s does not edit the image", s.Op)
}

// matches lists the view's paths matching any glob (sh semantics: * stops
// at /), outermost first, skipping paths below an earlier match and the
// exceptions.
func (v view) matches(globs, except []string) []string {
	var out []string
	for _, p := range v.paths() {
		abs := "/" + p
		if slices.Contains(except, abs) || slices.ContainsFunc(out, func(m string) bool { return strings.HasPrefix(p, m+"/") }) {
			continue
		}
		for _, g := range globs {
			if ok, _ := path.Match(g, abs); ok {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func removeEntries(v view, s imageplan.Step) []entry {
	var out []entry
	for _, p := range v.matches(s.Paths, s.Except) {
		out = append(out, whiteout(p))
	}
	return out
}

func moveEntries(v view, s imageplan.Step) ([]entry, error) {
	if ok, _ := path.Match(s.Glob, ""); ok || strings.Contains(s.Glob, "/") {
		return nil, fmt.Errorf("glob %q must match names in %s", s.Glob, s.Src)
	}
	out := withParents(path.Join(s.Dest, "x"), nil)
	for _, p := range v.matches([]string{path.Join(s.Src, s.Glob)}, nil) {
		for _, q := range v.subtree(p) {
			e := v[q]
			e.Name = rel(path.Join(s.Dest, strings.TrimPrefix(q, path.Dir(p))))
			out = append(out, e)
		}
		out = append(out, whiteout(p))
	}
	return out, nil
}
