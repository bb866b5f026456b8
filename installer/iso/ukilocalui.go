package iso

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
)

// extractLocalUI extracts the checked local-ui entries into the ISO staging
// tree ws (the UKI ISO's overlay: CanvOS extracts local-ui.tar under
// /overlay/opt/spectrocloud). Everything goes through an os.Root, so a
// symlink in the tar can never lead a later member outside ws. Tar entries
// win over overlay files at the same path, as tar -x over the overlay does.
// Directory modes are applied last, so a read-only directory still gets its
// files. Owners are not kept: the ISO's Rock Ridge owners are root:root
// (pinOwner).
func extractLocalUI(tarPath, ws string, entries []uiEntry) error {
	if len(entries) == 0 {
		return nil
	}
	root, err := os.OpenRoot(ws)
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := os.Open(tarPath)
	if err != nil {
		return err
	}
	defer f.Close()
	byIndex := map[int]uiEntry{}
	for _, e := range entries {
		byIndex[e.index] = e
	}
	var dirs []uiEntry
	tr := tar.NewReader(f)
	for i := 0; ; i++ {
		if _, err := tr.Next(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
		e, ok := byIndex[i]
		if !ok {
			continue
		}
		if e.typ == tar.TypeDir {
			dirs = append(dirs, e)
		}
		if err := extractEntry(root, e, tr); err != nil {
			return err
		}
	}
	for _, d := range slices.Backward(dirs) {
		if err := root.Chmod(d.name, fs.FileMode(d.mode)&fs.ModePerm); err != nil {
			return err
		}
	}
	return nil
}

func extractEntry(root *os.Root, e uiEntry, r io.Reader) error {
	if err := root.MkdirAll(path.Dir(e.name), 0o755); err != nil {
		return err
	}
	if e.typ == tar.TypeDir {
		return root.MkdirAll(e.name, 0o755)
	}
	if err := root.RemoveAll(e.name); err != nil {
		return err
	}
	switch e.typ {
	case tar.TypeSymlink:
		return root.Symlink(e.target, e.name)
	case tar.TypeLink:
		return root.Link(e.target, e.name)
	}
	out, err := root.OpenFile(e.name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, r)
	if err = errors.Join(err, out.Close()); err != nil {
		return err
	}
	return root.Chmod(e.name, fs.FileMode(e.mode)&fs.ModePerm)
}
