package secureboot

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"dagger/canvos/outfile"
	"dagger/canvos/usererr"
)

// Directories and files of the CanvOS key tree (canvos.md §8.1): private
// keys, their certificates, and what firmware enrolls.
const (
	PrivateDir    = "private-keys"
	PublicDir     = "public-keys"
	EnrollmentDir = "enrollment"
	PCRKeyFile    = "tpm2-pcr-private.pem"
)

// KeyPath is h's private key relative to the tree root.
func KeyPath(h Hierarchy) string { return filepath.Join(PrivateDir, h.String()+".key") }

// CertPath is h's certificate relative to the tree root.
func CertPath(h Hierarchy) string { return filepath.Join(PublicDir, h.String()+".pem") }

// ESLPath is h's signature list relative to the tree root.
func ESLPath(h Hierarchy) string { return filepath.Join(EnrollmentDir, h.String()+".esl") }

// AuthPath is h's signed update relative to the tree root.
func AuthPath(h Hierarchy) string { return filepath.Join(EnrollmentDir, h.String()+".auth") }

// DERPath is h's certificate in DER relative to the tree root.
func DERPath(h Hierarchy) string { return filepath.Join(EnrollmentDir, h.String()+".der") }

// PCRKeyPath is the PCR policy key relative to the tree root.
var PCRKeyPath = filepath.Join(PrivateDir, PCRKeyFile)

// ErrTreeExists is returned when writing would replace files of a key tree.
var ErrTreeExists = errors.New("key tree exists")

// Tree is a complete key tree: keys and the enrollment files built from them.
type Tree struct {
	Keys
	Enrollment Enrollment
}

// Options describe a tree to generate.
type Options struct {
	Org       string               // subject CN prefix: "<org> PK", "<org> KEK", "<org> db"
	Days      int                  // certificate validity; 0 means DefaultDays
	KeySize   int                  // 2048 or 4096 bits; 0 means DefaultKeySize
	Time      time.Time            // SOURCE_DATE_EPOCH: certificates' NotBefore and the .auth timestamp
	Microsoft bool                 // enroll Microsoft's KEK and db certificates (CanvOS default)
	Exported  Exported             // firmware-exported KEK, db and dbx to keep
	Extension *x509.Certificate    // Palette system-extension certificate for db; nil for none
	Printf    func(string, ...any) // progress and warnings; nil for none
}

// Generate creates new keys and their enrollment files.
func Generate(o Options) (*Tree, error) {
	keys, err := GenerateKeys(KeyOptions{Org: o.Org, Days: o.Days, KeySize: o.KeySize, NotBefore: o.Time})
	if err != nil {
		return nil, err
	}
	e, err := Enroll(keys, EnrollOptions{Time: o.Time, Microsoft: o.Microsoft, Exported: o.Exported, Extension: o.Extension, Printf: o.Printf})
	if err != nil {
		return nil, err
	}
	return &Tree{Keys: keys, Enrollment: e}, nil
}

// GenerateKeys creates the PK, KEK and db keys and the PCR policy key.
func GenerateKeys(o KeyOptions) (Keys, error) {
	o = o.withDefaults()
	if err := o.Validate(); err != nil {
		return Keys{}, err
	}
	var k Keys
	for _, h := range Hierarchies() {
		if !h.HasKey() {
			continue
		}
		key, err := newKey(h, o)
		if err != nil {
			return Keys{}, err
		}
		k.set(h, key)
	}
	pcr, err := newPCRKey()
	if err != nil {
		return Keys{}, err
	}
	k.PCR = pcr
	return k, nil
}

// File is one file of a tree, relative to its root.
type File struct {
	Path string
	Data []byte
	Perm os.FileMode
}

// Files lists every file of the tree; private keys are 0600.
func (t *Tree) Files() ([]File, error) {
	files, err := t.Keys.Files()
	if err != nil {
		return nil, err
	}
	return append(files, t.Enrollment.Files()...), nil
}

// Files lists the private keys (0600) and certificates of the tree.
func (k Keys) Files() ([]File, error) {
	var files []File
	for _, h := range Hierarchies() {
		key := k.Key(h)
		if key == nil {
			continue
		}
		pemKey, err := KeyPEM(key.key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h, err)
		}
		files = append(files,
			File{KeyPath(h), pemKey, 0o600},
			File{CertPath(h), CertPEM(key.cert), 0o644})
	}
	pcr, err := KeyPEM(k.PCR)
	if err != nil {
		return nil, fmt.Errorf("pcr: %w", err)
	}
	return append(files, File{PCRKeyPath, pcr, 0o600}), nil
}

// Files lists the enrollment files: {PK,KEK,db}.{esl,auth,der}, dbx.{esl,auth}.
func (e Enrollment) Files() []File {
	var files []File
	for _, h := range Hierarchies() {
		v := e[h]
		files = append(files, File{ESLPath(h), v.ESL, 0o644}, File{AuthPath(h), v.Auth, 0o644})
		if h.HasKey() {
			files = append(files, File{DERPath(h), v.DER, 0o644})
		}
	}
	return files
}

// WriteFiles writes files under dir, each atomically. Unless force, it
// refuses before writing anything if one of them exists: replacing a key
// tree loses the keys that enrolled machines trust.
func WriteFiles(dir string, files []File, force bool) error {
	if !force {
		for _, f := range files {
			p := filepath.Join(dir, f.Path)
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%w: %w", ErrTreeExists,
					usererr.Newf("out", "%s exists; pass --force to replace the key tree (its private keys are lost)", p))
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("key tree: %w", err)
			}
		}
	}
	for _, f := range files {
		p := filepath.Join(dir, f.Path)
		dirPerm := os.FileMode(0o755)
		if f.Perm&0o077 == 0 { // a directory made for private files is private too
			dirPerm = 0o700
		}
		if err := os.MkdirAll(filepath.Dir(p), dirPerm); err != nil {
			return fmt.Errorf("key tree: %w", err)
		}
		if err := outfile.Write(p, f.Perm, func(w io.Writer) error {
			_, err := w.Write(f.Data)
			return err
		}); err != nil {
			return fmt.Errorf("key tree: %w", err)
		}
	}
	return nil
}

// Write writes the whole tree under dir (see WriteFiles).
func (t *Tree) Write(dir string, force bool) error {
	files, err := t.Files()
	if err != nil {
		return err
	}
	return WriteFiles(dir, files, force)
}
