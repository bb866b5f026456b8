// Package inputfile reads the small files a user hands a verb (.arg files,
// user-data, edge configs, keys) with a size limit: /dev/zero or a 300 MB
// file given by mistake is refused after reading one byte over the limit,
// not read into memory, and no error ever quotes its content.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"dagger/canvos/usererr"
)

// Limits of the inputs read whole; docs/safety.md lists them.
const (
	ArgFileLimit  = 1 << 20  // a CanvOS .arg file: a few hundred bytes in practice
	UserDataLimit = 8 << 20  // a cloud-config, edge config or SPC: kilobytes in practice
	SmallLimit    = 16 << 20 // keys, certificates, os-release, an EFI stub
)

// Read reads the file path given by flag, refusing it when it is not a
// regular file or a character device (a pipe, /dev/stdin) or when it holds
// more than limit bytes.
func Read(flag, path string, limit int64) ([]byte, error) {
	if path == "" {
		return nil, usererr.New(flag, "", "a file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, OpenErr(flag, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		return nil, usererr.New(flag, path, "a readable file, not a directory")
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, path, err)
	}
	if int64(len(b)) > limit {
		return nil, usererr.Newf(flag, "%s is larger than %s, the limit for this input", path, Size(limit))
	}
	return b, nil
}

// OpenErr is the error for a failed open of the input given by flag: an
// input error for what the user can fix (a wrong name, a mode).
func OpenErr(flag string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return usererr.Newf(flag, "%v", err)
	}
	return fmt.Errorf("%s: %w", flag, err)
}

// Size formats a byte count the way the limits are documented.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
