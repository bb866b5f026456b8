package secureboot

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"dagger/canvos/usererr"
)

// Load reads a key tree written by Write (or CanvOS) and checks that it is
// consistent: every key matches its certificate, every .auth is signed by
// its parent key and carries its .esl, every .der is our certificate.
func Load(dir string) (*Tree, error) {
	keys, err := LoadKeys(dir)
	if err != nil {
		return nil, err
	}
	e, err := LoadEnrollment(dir)
	if err != nil {
		return nil, err
	}
	t := &Tree{Keys: keys, Enrollment: e}
	if err := t.Verify(); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return t, nil
}

// LoadKeys reads private-keys/{PK,KEK,db}.key with public-keys/{PK,KEK,db}.pem
// and, when present, private-keys/tpm2-pcr-private.pem (CanvOS layout, also
// the bring-your-own-keys input).
func LoadKeys(dir string) (Keys, error) {
	var k Keys
	for _, h := range Hierarchies() {
		if !h.HasKey() {
			continue
		}
		keyPEM, err := readFile(dir, KeyPath(h))
		if err != nil {
			return Keys{}, err
		}
		certPEM, err := readFile(dir, CertPath(h))
		if err != nil {
			return Keys{}, err
		}
		key, err := ParseKey(filepath.Join(dir, KeyPath(h)), keyPEM, certPEM)
		if err != nil {
			return Keys{}, err
		}
		k.set(h, key)
	}
	pcr, err := readFile(dir, PCRKeyPath)
	if errors.Is(err, fs.ErrNotExist) {
		return k, nil
	}
	if err != nil {
		return Keys{}, err
	}
	k.PCR, err = ParsePrivateKey(filepath.Join(dir, PCRKeyPath), pcr)
	return k, err
}

// LoadEnrollment reads enrollment/{PK,KEK,db}.{esl,auth,der} and dbx.{esl,auth}.
func LoadEnrollment(dir string) (Enrollment, error) {
	e := Enrollment{}
	for _, h := range Hierarchies() {
		var v Variable
		var err error
		if v.ESL, err = readFile(dir, ESLPath(h)); err != nil {
			return nil, err
		}
		if v.Auth, err = readFile(dir, AuthPath(h)); err != nil {
			return nil, err
		}
		if h.HasKey() {
			if v.DER, err = readFile(dir, DERPath(h)); err != nil {
				return nil, err
			}
		}
		e[h] = v
	}
	return e, nil
}

// readFile reads a tree file; a missing one is an input error naming it.
func readFile(dir, rel string) ([]byte, error) {
	p := filepath.Join(dir, rel)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", usererr.Newf(p, "missing from the key tree"), err)
	}
	if err != nil {
		return nil, fmt.Errorf("key tree: %w", err)
	}
	return b, nil
}

// Verify checks that the enrollment files belong to the keys: .auth signed
// by the parent key over exactly the .esl, our certificate first in each
// list and in .der. Shipping .auth files that do not match would leave a
// machine that enrolls them unable to boot our UKIs.
func (t *Tree) Verify() error {
	for _, h := range Hierarchies() {
		v, ok := t.Enrollment[h]
		if !ok {
			return fmt.Errorf("%s: no enrollment data", h)
		}
		payload, _, err := VerifyAuth(h, v.Auth, t.Signer(h).Certificate())
		if err != nil {
			return err
		}
		if !bytes.Equal(payload, v.ESL) {
			return fmt.Errorf("%s.auth: content differs from %s.esl", h, h)
		}
		if err := t.verifyOwn(h, v); err != nil {
			return err
		}
	}
	return nil
}

// verifyOwn checks that our certificate leads h's list and is its .der.
func (t *Tree) verifyOwn(h Hierarchy, v Variable) error {
	key := t.Key(h)
	if key == nil {
		return nil
	}
	db, err := ParseSignatureDatabase(h.String()+".esl", v.ESL)
	if err != nil {
		return err
	}
	certs, err := Certificates(db)
	if err != nil {
		return fmt.Errorf("%s.esl: %w", h, err)
	}
	if len(certs) == 0 || !bytes.Equal(certs[0].Raw, key.cert.Raw) {
		return fmt.Errorf("%s.esl: does not start with %s", h, CertPath(h))
	}
	if !bytes.Equal(v.DER, key.cert.Raw) {
		return fmt.Errorf("%s.der: is not %s", h, CertPath(h))
	}
	return nil
}

// LoadExported reads the firmware-exported KEK, db and dbx files in dir
// (CanvOS secure-boot/exported-keys, written by efi-readvar -v VAR -o VAR);
// absent ones are skipped, but a directory with none of them is an error.
func LoadExported(dir string) (Exported, error) {
	ex := Exported{}
	for _, h := range []Hierarchy{KEK, DB, DBX} {
		p := filepath.Join(dir, h.String())
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("exported keys: %w", err)
		}
		if ex[h], err = ParseExported(p, b); err != nil {
			return nil, err
		}
	}
	if len(ex) == 0 {
		return nil, usererr.New("exported-keys", dir, "a directory with KEK, db and/or dbx files exported from firmware")
	}
	return ex, nil
}
