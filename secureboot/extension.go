package secureboot

import (
	"crypto/x509"
	"encoding/pem"

	"github.com/foxboron/go-uefi/efi/util"

	"dagger/canvos/usererr"
)

// extensionOwner is the signature owner CanvOS gives the Palette
// system-extension certificate in db (its +spectro-extension-cert-esl:
// cert-to-efi-sig-list -g 8be4df61-…, EFI_GLOBAL_VARIABLE's GUID).
var extensionOwner = *util.StringToGUID("8be4df61-93ca-11d2-aa0d-00e098032b8c")

// ExtensionOwner is that GUID as text, for tests and tools that check a db.
const ExtensionOwner = "8be4df61-93ca-11d2-aa0d-00e098032b8c"

// ParseExtensionCert reads the Palette system-extension certificate (CanvOS'
// /palette-sysext-cert.pem of SPECTRO_EXTENSION_CERT_IMAGE): one PEM or DER
// X.509 certificate. CanvOS enrolls it into db (ENROLL_SPECTRO_EXTENSION_CERT)
// so the signed Kubernetes and agent-provider system extensions Palette
// delivers at runtime pass Secure Boot's db check.
func ParseExtensionCert(name string, b []byte) (*x509.Certificate, error) {
	der := b
	if block, rest := pem.Decode(b); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, usererr.New(name, "PEM "+block.Type, "one PEM CERTIFICATE")
		}
		if next, _ := pem.Decode(rest); next != nil {
			return nil, usererr.New(name, "several PEM blocks", "one PEM CERTIFICATE")
		}
		der = block.Bytes
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, usererr.Newf(name, "not an X.509 certificate (PEM or DER): %v", err)
	}
	return c, nil
}
