// Package secureboot generates and loads the UEFI Secure Boot key tree of a
// CanvOS Trusted Boot installation: the PK, KEK and db keys with their
// certificates, the TPM PCR policy key, and the enrollment files (EFI
// signature lists and signed .auth updates) that firmware or systemd-boot
// enroll. It is pure: time, randomness for keys and every input come from
// the caller, and the same keys and inputs give the same enrollment bytes.
package secureboot

import (
	"strconv"

	"github.com/foxboron/go-uefi/efivar"
)

// Hierarchy is one of the four Secure Boot variables a key tree fills.
type Hierarchy uint8

// The Secure Boot hierarchy, from the platform owner down.
const (
	PK  Hierarchy = iota + 1 // platform key: signs PK and KEK updates
	KEK                      // key exchange keys: sign db and dbx updates
	DB                       // allowed signatures: UKIs and boot loaders signed by these boot
	DBX                      // forbidden signatures
)

// Hierarchies lists every variable in enrollment order.
func Hierarchies() []Hierarchy { return []Hierarchy{PK, KEK, DB, DBX} }

// String is the variable name firmware and the CanvOS tree use (PK, KEK, db, dbx).
func (h Hierarchy) String() string {
	switch h {
	case PK:
		return "PK"
	case KEK:
		return "KEK"
	case DB:
		return "db"
	case DBX:
		return "dbx"
	}
	return "Hierarchy(" + strconv.Itoa(int(h)) + ")"
}

// Parent is the hierarchy whose key signs updates of h: PK signs itself
// and KEK, KEK signs db and dbx (UEFI 2.10 §32.3).
func (h Hierarchy) Parent() Hierarchy {
	if h == PK || h == KEK {
		return PK
	}
	return KEK
}

// HasKey reports whether the tree holds a key pair for h; dbx is a list only.
func (h Hierarchy) HasKey() bool { return h != DBX }

func (h Hierarchy) efivar() efivar.Efivar {
	switch h {
	case PK:
		return efivar.PK
	case KEK:
		return efivar.KEK
	case DB:
		return efivar.Db
	}
	return efivar.Dbx
}
