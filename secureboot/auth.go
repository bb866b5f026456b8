package secureboot

// Why this file signs by hand: go-uefi's signature.SignEFIVariable stamps
// the update with time.Now() in local time and its PKCS#7 with a signingTime
// attribute, so two runs never give the same .auth and SOURCE_DATE_EPOCH
// cannot be honoured. The ~20 lines below build the same
// EFI_VARIABLE_AUTHENTICATION_2 from go-uefi's own types and pkcs7.SignPKCS7,
// with the caller's time and without authenticated attributes, exactly as
// efitools' sign-efi-sig-list does (PKCS7_NOATTR).

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/foxboron/go-uefi/efi/signature"
	"github.com/foxboron/go-uefi/efi/util"
	"github.com/foxboron/go-uefi/pkcs7"
	"golang.org/x/crypto/cryptobyte"
)

// SignVariable returns the signed update (.auth) that replaces variable h
// with payload (an EFI signature list), signed by signer at time t.
func SignVariable(h Hierarchy, payload []byte, signer Signer, t time.Time) ([]byte, error) {
	et := efiTime(t)
	der, err := pkcs7.SignPKCS7(signer.Signer(), signer.Certificate(), pkcs7.OIDData, signedData(h, et, payload), pkcs7.NoAttr())
	if err != nil {
		return nil, fmt.Errorf("%s.auth: sign: %w", h, err)
	}
	// The update carries the SignedData itself, not its ContentInfo wrapper
	// (UEFI 2.10 §8.2.2).
	cs := cryptobyte.String(der)
	_, sd, err := pkcs7.ParseContentInfo(&cs)
	if err != nil {
		return nil, fmt.Errorf("%s.auth: sign: %w", h, err)
	}
	auth := signature.NewEFIVariableAuthentication2()
	auth.Time = et
	auth.AuthInfo.Header.Length += uint32(len(sd))
	auth.AuthInfo.CertData = sd
	var b bytes.Buffer
	auth.Marshal(&b)
	b.Write(payload)
	return b.Bytes(), nil
}

// efiTime is t in UTC at second resolution, as firmware compares it.
func efiTime(t time.Time) util.EFITime {
	t = t.UTC()
	return util.EFITime{
		Year: uint16(t.Year()), Month: uint8(t.Month()), Day: uint8(t.Day()),
		Hour: uint8(t.Hour()), Minute: uint8(t.Minute()), Second: uint8(t.Second()),
	}
}

// signedData is what the signature covers: variable name (UTF-16, no NUL),
// vendor GUID, attributes, timestamp and the new content (UEFI 2.10 §8.2.2).
func signedData(h Hierarchy, t util.EFITime, payload []byte) []byte {
	v := h.efivar()
	var b bytes.Buffer
	for _, d := range []any{utf16.Encode([]rune(v.Name)), *v.GUID, v.Attributes, t, payload} {
		binary.Write(&b, binary.LittleEndian, d) //nolint:errcheck // fixed-size values into a bytes.Buffer cannot fail
	}
	return b.Bytes()
}

// authHeader is EFI_TIME + WIN_CERTIFICATE_UEFI_GUID without its data.
const authHeader = int(util.SizeofEFITime + signature.SizeofWinCertificateUEFIGUID)

// VerifyAuth checks that auth is a signed update of variable h whose PKCS#7
// signer is cert and whose signature verifies, and returns its payload (the
// signature list) and timestamp. It accepts signatures with or without
// authenticated attributes (go-uefi's and efitools' forms).
func VerifyAuth(h Hierarchy, auth []byte, cert *x509.Certificate) ([]byte, time.Time, error) {
	sd, et, payload, err := splitAuth(auth)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s.auth: %w", h, err)
	}
	p7, err := pkcs7.ParsePKCS7(sd)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s.auth: pkcs7: %w", h, err)
	}
	if len(p7.SignerInfo) != 1 || !p7.HasCertificate(cert) {
		return nil, time.Time{}, fmt.Errorf("%s.auth: not signed by %q", h, cert.Subject.CommonName)
	}
	si := p7.SignerInfo[0]
	signed := signedData(h, et, payload)
	if si.AuthenticatedAttributes == nil {
		err = cert.CheckSignature(x509.SHA256WithRSA, signed, si.EncryptedDigest)
	} else if sum := sha256.Sum256(signed); !bytes.Equal(si.AuthenticatedAttributes.MessageDigest, sum[:]) {
		err = errors.New("message digest does not match the content")
	} else {
		err = cert.CheckSignature(x509.SHA256WithRSA, si.AuthenticatedAttributes.RawBytes, si.EncryptedDigest)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s.auth: signature by %q: %w", h, cert.Subject.CommonName, err)
	}
	t := time.Date(int(et.Year), time.Month(et.Month), int(et.Day), int(et.Hour), int(et.Minute), int(et.Second), 0, time.UTC)
	return payload, t, nil
}

// splitAuth checks the header before handing it to go-uefi, whose reader
// calls log.Fatal on a short or foreign header instead of returning an error.
func splitAuth(b []byte) (sd []byte, t util.EFITime, payload []byte, err error) {
	if len(b) < authHeader {
		return nil, t, nil, fmt.Errorf("%d bytes is shorter than an authentication header", len(b))
	}
	hdr := b[util.SizeofEFITime:]
	length := int(binary.LittleEndian.Uint32(hdr))
	revision := binary.LittleEndian.Uint16(hdr[4:])
	certType := signature.WINCertType(binary.LittleEndian.Uint16(hdr[6:]))
	switch {
	case length < int(signature.SizeofWinCertificateUEFIGUID) || length > len(hdr):
		return nil, t, nil, fmt.Errorf("certificate length %d out of range", length)
	case revision != signature.WIN_CERTIFICATE_REVISION || certType != signature.WIN_CERT_TYPE_EFI_GUID:
		return nil, t, nil, fmt.Errorf("not a WIN_CERTIFICATE_UEFI_GUID (revision %#x, type %#x)", revision, certType)
	}
	r := bytes.NewReader(b)
	auth, err := signature.ReadEFIVariableAuthencation2(r)
	if err != nil {
		return nil, t, nil, err
	}
	if auth.AuthInfo.CertType != signature.EFI_CERT_TYPE_PKCS7_GUID {
		return nil, t, nil, errors.New("certificate is not PKCS#7")
	}
	return auth.AuthInfo.CertData, auth.Time, b[len(b)-r.Len():], nil
}
