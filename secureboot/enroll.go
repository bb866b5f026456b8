package secureboot

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/foxboron/go-uefi/efi/signature"
	"github.com/foxboron/go-uefi/efi/util"

	"dagger/canvos/usererr"
)

// Keys is the key material of a tree.
type Keys struct {
	PK, KEK, DB *Key
	PCR         *rsa.PrivateKey // signs TPM PCR policies (.pcrsig); not part of Secure Boot
}

// Key returns the key of h (nil for dbx).
func (k Keys) Key(h Hierarchy) *Key {
	switch h {
	case PK:
		return k.PK
	case KEK:
		return k.KEK
	case DB:
		return k.DB
	}
	return nil
}

func (k *Keys) set(h Hierarchy, key *Key) {
	switch h {
	case PK:
		k.PK = key
	case KEK:
		k.KEK = key
	case DB:
		k.DB = key
	}
}

// Signer returns the key that signs updates of h: the one function that
// encodes the chain PK → PK, KEK; KEK → db, dbx.
func (k Keys) Signer(h Hierarchy) Signer { return k.Key(h.Parent()) }

// Exported holds the signature databases exported from a machine's firmware
// (CanvOS secure-boot/exported-keys), merged into ours so the machine keeps
// booting what its vendor signed.
type Exported map[Hierarchy]signature.SignatureDatabase

// EnrollOptions say what goes into the enrollment files besides our keys.
type EnrollOptions struct {
	Time      time.Time // timestamp of the .auth updates (SOURCE_DATE_EPOCH), required
	Microsoft bool      // enroll Microsoft's KEK and db certificates
	Exported  Exported  // firmware-exported KEK, db and dbx entries to keep
	// Extension is the Palette system-extension certificate, appended to db
	// last with CanvOS' owner GUID (ENROLL_SPECTRO_EXTENSION_CERT); nil for none.
	Extension *x509.Certificate
	Printf    func(string, ...any) // progress and warnings; nil for none
}

// Variable is the enrollment data of one Secure Boot variable.
type Variable struct {
	ESL  []byte // the variable content: EFI signature lists
	Auth []byte // the signed update: EFI_VARIABLE_AUTHENTICATION_2 + ESL
	DER  []byte // our certificate in DER (PK, KEK, db); nil for dbx
}

// Enrollment is what firmware or systemd-boot enrolls, per variable.
type Enrollment map[Hierarchy]Variable

// Enroll builds the signature lists of every variable and signs them with
// the parent keys: PK holds our PK; KEK our KEK, Microsoft's KEK CAs and the
// exported KEK; db our db, Microsoft's db CAs, the exported db and the
// extension certificate (CanvOS' order: appended after genkey's db); dbx the
// exported dbx or nothing.
func Enroll(keys Keys, o EnrollOptions) (Enrollment, error) {
	if o.Time.IsZero() {
		return nil, usererr.Newf("time", "no .auth timestamp given")
	}
	printf := o.Printf
	if printf == nil {
		printf = func(string, ...any) {}
	}
	if !o.Microsoft {
		printf("warning: Microsoft certificates are not enrolled: hardware whose GPU, NIC or storage controller has an option ROM signed by Microsoft may not boot, and Windows and Microsoft-signed shims will not")
	}
	owner := efiGUID(OwnerGUID(keys.PK.Certificate()))
	e := Enrollment{}
	for _, h := range Hierarchies() {
		db, err := database(h, keys, owner, o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", h, err)
		}
		v := Variable{ESL: db.Bytes()}
		if v.Auth, err = SignVariable(h, v.ESL, keys.Signer(h), o.Time); err != nil {
			return nil, err
		}
		if k := keys.Key(h); k != nil {
			v.DER = k.Certificate().Raw
		}
		e[h] = v
		printf("%s: %d signature lists, signed by %s", h, len(db), keys.Signer(h).Certificate().Subject.CommonName)
	}
	return e, nil
}

func database(h Hierarchy, keys Keys, owner util.EFIGUID, o EnrollOptions) (signature.SignatureDatabase, error) {
	db := signature.SignatureDatabase{}
	if k := keys.Key(h); k != nil {
		if err := appendCert(&db, owner, k.Certificate()); err != nil {
			return nil, err
		}
	}
	if o.Microsoft && h != PK && h != DBX {
		ms, err := MicrosoftCertificates(h)
		if err != nil {
			return nil, err
		}
		for _, c := range ms {
			if err := appendCert(&db, microsoftOwner, c); err != nil {
				return nil, err
			}
		}
	}
	if h != PK {
		if err := appendDatabase(&db, owner, o.Exported[h]); err != nil {
			return nil, fmt.Errorf("exported %s: %w", h, err)
		}
	}
	if h == DB && o.Extension != nil {
		if err := appendCert(&db, extensionOwner, o.Extension); err != nil {
			return nil, fmt.Errorf("extension certificate: %w", err)
		}
	}
	return db, nil
}
