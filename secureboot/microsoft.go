package secureboot

import (
	"crypto/x509"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sync"

	"github.com/foxboron/go-uefi/efi/util"
)

// microsoftOwner is the signature owner GUID Microsoft's certificates carry
// in firmware databases (as in sbctl, virt-firmware and OEM defaults).
var microsoftOwner = *util.StringToGUID("77fa9abd-0359-4d32-bd60-28f4e78f784b")

// Microsoft's Secure Boot CAs, both generations; see certs/README.md for
// subjects, fingerprints, validity and where they come from.
//
//go:embed certs/KEK/*.der certs/db/*.der
var microsoftFS embed.FS

// microsoftCerts are the embedded certificates by hierarchy, parsed once.
// A parse failure is a build defect and fails every caller, never silently
// giving an empty list.
var microsoftCerts = sync.OnceValues(func() (map[Hierarchy][]*x509.Certificate, error) {
	certs := map[Hierarchy][]*x509.Certificate{}
	for _, h := range []Hierarchy{KEK, DB} {
		dir := path.Join("certs", h.String())
		entries, err := fs.ReadDir(microsoftFS, dir) // sorted by name
		if err != nil {
			return nil, fmt.Errorf("microsoft certificates: %w", err)
		}
		for _, e := range entries {
			der, err := fs.ReadFile(microsoftFS, path.Join(dir, e.Name()))
			if err != nil {
				return nil, fmt.Errorf("microsoft certificates: %w", err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("microsoft certificates: %s: %w", e.Name(), err)
			}
			certs[h] = append(certs[h], c)
		}
	}
	return certs, nil
})

// MicrosoftCertificates returns the Microsoft certificates enrolled into h
// (KEK or db) when Microsoft certificates are on.
func MicrosoftCertificates(h Hierarchy) ([]*x509.Certificate, error) {
	certs, err := microsoftCerts()
	if err != nil {
		return nil, err
	}
	return certs[h], nil
}
