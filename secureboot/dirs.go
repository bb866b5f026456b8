package secureboot

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ExportedDir holds the KEK, db and dbx exported from the target's firmware
// (efi-readvar), kept in the generated lists.
const ExportedDir = "exported-keys"

// DirMode is the mode of each directory of the secure-boot/ tree. CanvOS'
// +secure-boot-dirs makes exported-keys and private-keys 0600 and the other
// two 0644: directories without the search (x) bit, whose files no one but
// root can open. Ours are 0700 for the private pair and 0755 for the rest.
var DirMode = map[string]fs.FileMode{
	EnrollmentDir: 0o755,
	ExportedDir:   0o700,
	PrivateDir:    0o700,
	PublicDir:     0o755,
}

// EnsureDirs creates or completes the secure-boot/ tree at root (CanvOS
// +secure-boot-dirs): root and each directory of DirMode, with its mode.
// Files already there are kept; a directory's mode is set even when it
// existed. Returns what it changed, for the user.
func EnsureDirs(root string) ([]string, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("secure-boot dirs: %w", err)
	}
	var changed []string
	for _, name := range []string{EnrollmentDir, ExportedDir, PrivateDir, PublicDir} {
		p, mode := filepath.Join(root, name), DirMode[name]
		fi, err := os.Lstat(p)
		switch {
		case os.IsNotExist(err):
			if err := os.Mkdir(p, mode); err != nil {
				return changed, fmt.Errorf("secure-boot dirs: %w", err)
			}
			changed = append(changed, fmt.Sprintf("created %s (%04o)", name, mode))
		case err != nil:
			return changed, fmt.Errorf("secure-boot dirs: %w", err)
		case !fi.IsDir():
			return changed, fmt.Errorf("secure-boot dirs: %s is a %s, not a directory; move it away", p, fi.Mode().Type())
		case fi.Mode().Perm() != mode:
			changed = append(changed, fmt.Sprintf("%s: mode %04o → %04o", name, fi.Mode().Perm(), mode))
		}
		// Mkdir's mode is cut by the umask; Chmod is not.
		if err := os.Chmod(p, mode); err != nil {
			return changed, fmt.Errorf("secure-boot dirs: %w", err)
		}
	}
	return changed, nil
}
