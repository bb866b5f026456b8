package secureboot

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"fmt"

	"github.com/foxboron/go-uefi/efi/signature"
	"github.com/foxboron/go-uefi/efi/util"
	"github.com/google/uuid"

	"dagger/canvos/usererr"
)

// ownerNamespace scopes the owner GUIDs this package derives, so they cannot
// collide with name-based GUIDs of other tools hashing the same certificate.
var ownerNamespace = uuid.MustParse("6c1f3e0a-2f4b-4f8e-9a57-5d3c2b7e1a90")

// OwnerGUID is the signature owner of a tree's own entries: a UUIDv8 over
// the SHA-256 of the PK certificate, so one tree has one owner and
// regenerating enrollment files from the same PK gives the same bytes.
func OwnerGUID(pk *x509.Certificate) uuid.UUID {
	return uuid.NewHash(sha256.New(), ownerNamespace, pk.Raw, 8)
}

func efiGUID(u uuid.UUID) util.EFIGUID { return *util.StringToGUID(u.String()) }

// appendCert adds c as its own signature list, as efitools'
// cert-to-efi-sig-list does (so our ESLs are byte-identical to its output),
// unless db already holds the same certificate.
func appendCert(db *signature.SignatureDatabase, owner util.EFIGUID, c *x509.Certificate) error {
	if hasData(*db, c.Raw) {
		return nil
	}
	sl := signature.NewSignatureList(signature.CERT_X509_GUID)
	if err := sl.AppendBytes(owner, c.Raw); err != nil {
		return err
	}
	db.AppendList(sl)
	return nil
}

// appendDatabase merges the entries of src into db: certificates one list
// each (skipping duplicates, e.g. Microsoft's KEK also exported from
// firmware; a bare certificate's nil owner becomes owner), other lists (dbx
// hashes) unchanged.
func appendDatabase(db *signature.SignatureDatabase, owner util.EFIGUID, src signature.SignatureDatabase) error {
	for _, l := range src {
		if l.SignatureType != signature.CERT_X509_GUID {
			db.AppendList(l)
			continue
		}
		for _, s := range l.Signatures {
			c, err := x509.ParseCertificate(s.Data)
			if err != nil {
				return fmt.Errorf("x509 entry: %w", err)
			}
			o := s.Owner
			if o == (util.EFIGUID{}) {
				o = owner
			}
			if err := appendCert(db, o, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func hasData(db signature.SignatureDatabase, data []byte) bool {
	for _, l := range db {
		for _, s := range l.Signatures {
			if bytes.Equal(s.Data, data) {
				return true
			}
		}
	}
	return false
}

// Certificates returns the X.509 certificates in a signature database, in order.
func Certificates(db signature.SignatureDatabase) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, l := range db {
		if l.SignatureType != signature.CERT_X509_GUID {
			continue
		}
		for _, s := range l.Signatures {
			c, err := x509.ParseCertificate(s.Data)
			if err != nil {
				return nil, fmt.Errorf("x509 entry: %w", err)
			}
			certs = append(certs, c)
		}
	}
	return certs, nil
}

// ParseSignatureDatabase parses EFI signature lists. The sizes are checked
// here first: go-uefi trusts them, and a short or inconsistent list makes it
// underflow and read past the data instead of failing.
func ParseSignatureDatabase(name string, b []byte) (signature.SignatureDatabase, error) {
	if err := checkSignatureLists(b); err != nil {
		return nil, usererr.Newf(name, "not an EFI signature list: %v", err)
	}
	db, err := signature.ReadSignatureDatabase(bytes.NewReader(b))
	if err != nil {
		return nil, usererr.Newf(name, "EFI signature list: %v", err)
	}
	return db, nil
}

// EFI_SIGNATURE_LIST header: type GUID, ListSize, HeaderSize, SignatureSize.
const sigListHeader = 16 + 4 + 4 + 4

func checkSignatureLists(b []byte) error {
	for off := 0; off < len(b); {
		if len(b)-off < sigListHeader {
			return fmt.Errorf("truncated list header at offset %d", off)
		}
		h := b[off+16:]
		listSize := int(binary.LittleEndian.Uint32(h[0:]))
		headerSize := int(binary.LittleEndian.Uint32(h[4:]))
		sigSize := int(binary.LittleEndian.Uint32(h[8:]))
		body := listSize - sigListHeader - headerSize
		switch {
		case listSize > len(b)-off || body < 0:
			return fmt.Errorf("list size %d at offset %d does not fit %d bytes", listSize, off, len(b)-off)
		case sigSize <= int(util.SizeofEFIGUID) || body%sigSize != 0:
			return fmt.Errorf("signature size %d at offset %d does not divide the list", sigSize, off)
		}
		off += listSize
	}
	return nil
}

// ParseExported reads one file exported from firmware: an EFI signature list
// as written by efi-readvar or PowerShell Get-SecureBootUEFI (optionally
// with the 4-byte efivarfs attribute prefix), a DER certificate, or PEM
// certificates.
func ParseExported(name string, b []byte) (signature.SignatureDatabase, error) {
	if len(b) == 0 {
		return nil, usererr.New(name, "empty file", "an EFI signature list, a DER certificate or PEM certificates")
	}
	if c, err := x509.ParseCertificate(b); err == nil {
		return certDatabase(name, []*x509.Certificate{c})
	}
	if block, _ := pem.Decode(b); block != nil {
		return parsePEMCerts(name, b)
	}
	if checkSignatureLists(b) == nil {
		return ParseSignatureDatabase(name, b)
	}
	if len(b) > 4 && checkSignatureLists(b[4:]) == nil {
		return ParseSignatureDatabase(name, b[4:])
	}
	return nil, usererr.New(name, "unrecognised content", "an EFI signature list (efi-readvar), a DER certificate or PEM certificates")
}

func parsePEMCerts(name string, b []byte) (signature.SignatureDatabase, error) {
	var certs []*x509.Certificate
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			return nil, usererr.New(name, "PEM "+block.Type, "PEM CERTIFICATE blocks")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, usererr.Newf(name, "parse certificate: %v", err)
		}
		certs = append(certs, c)
	}
	return certDatabase(name, certs)
}

// certDatabase makes one list per certificate. Bare certificates carry no
// owner: they get the nil GUID here and the tree's owner when merged.
func certDatabase(name string, certs []*x509.Certificate) (signature.SignatureDatabase, error) {
	var db signature.SignatureDatabase
	for _, c := range certs {
		if err := appendCert(&db, util.EFIGUID{}, c); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	return db, nil
}
