package uki

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/foxboron/go-uefi/authenticode"

	"dagger/canvos/secureboot"
)

// Sign Authenticode-signs the PE image in (an EFI application: UKI,
// systemd-boot) with s and writes the signed image to out. It streams: in is
// read through its ReaderAt, never loaded whole. The signature is
// deterministic (see pkcs7.go), so the same image and key give the same bytes.
func Sign(in io.ReaderAt, out io.Writer, s secureboot.Signer) error {
	if _, ok := s.Signer().(*rsa.PrivateKey); !ok {
		return fmt.Errorf("sign: %T key: UEFI verifies RSA signatures only", s.Signer())
	}
	bin, err := authenticode.Parse(in)
	if err != nil {
		return fmt.Errorf("sign: parse PE: %w", err)
	}
	if bin.Datadir.Size != 0 {
		return fmt.Errorf("sign: %w", ErrSigned)
	}
	digest := bin.Hash(crypto.SHA256) // nil when reading the image failed
	if digest == nil {
		return fmt.Errorf("sign: read image: hashing failed")
	}
	sig, err := authenticodeSignature(digest, s.Signer(), s.Certificate())
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if err := bin.AppendSignature(sig); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	if _, err := io.Copy(out, bin.Open()); err != nil {
		return fmt.Errorf("sign: write: %w", err)
	}
	return nil
}

// ErrSigned means the image to sign already carries a signature.
var ErrSigned = errors.New("image is already signed")

// ErrCertValidity means a signing certificate is not valid at build time.
var ErrCertValidity = errors.New("certificate not valid now")

// CheckValidity refuses a certificate that is expired or not yet valid at
// now: firmware with a clock rejects such signatures, and a UKI signed with
// an expired db key is a device that stops booting on its next update.
func CheckValidity(c *x509.Certificate, now time.Time) error {
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return fmt.Errorf("%w: %q is valid from %s to %s", ErrCertValidity, c.Subject.CommonName,
			c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly))
	}
	return nil
}
