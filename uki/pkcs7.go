package uki

// Hand-written because go-uefi's pkcs7.SignPKCS7 stamps a signingTime from
// the clock into the authenticated attributes (no option to set or drop it),
// so two signatures of the same image never match; and its NoAttr variant is
// not verifiable by go-uefi itself (nil dereference in signerinfo.verify).
// This builds the same SignedData as go-uefi, with the authenticated
// attributes contentType and messageDigest only, like sbsign minus its clock
// and S/MIME capabilities. go-uefi still parses the PE, computes the
// Authenticode digest, builds SpcIndirectDataContent and the certificate
// table, and verifies the result.

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"

	"github.com/foxboron/go-uefi/authenticode"
	"github.com/foxboron/go-uefi/pkcs7"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// authenticodeSignature returns the PKCS#7 SignedData (RFC 2315) over the
// SpcIndirectDataContent of imageDigest (SHA-256), signed by key for cert.
func authenticodeSignature(imageDigest []byte, key crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	content, err := authenticode.CreateSpcIndirectDataContent(imageDigest, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("spcIndirectDataContent: %w", err)
	}
	contentDigest := sha256.Sum256(content)
	attrs := (&pkcs7.Attributes{
		ContentType:   authenticode.OIDSpcIndirectDataContent,
		MessageDigest: contentDigest[:],
	}).Marshal() // a DER SET OF: the signature covers it with the SET tag
	attrsDigest := sha256.Sum256(attrs)
	sig, err := key.Sign(nil, attrsDigest[:], crypto.SHA256) // RSA PKCS#1 v1.5: deterministic
	if err != nil {
		return nil, fmt.Errorf("rsa sign: %w", err)
	}

	sha256AlgID := func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(pkcs7.OIDDigestAlgorithmSHA256)
			b.AddASN1NULL()
		})
	}
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(pkcs7.OIDSignedData)
		b.AddASN1(asn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(asn1.SET, sha256AlgID)                       // digestAlgorithms
				b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // contentInfo
					b.AddASN1ObjectIdentifier(authenticode.OIDSpcIndirectDataContent)
					b.AddASN1(asn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
						b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddBytes(content) })
					})
				})
				b.AddASN1(asn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) { // certificates
					b.AddBytes(cert.Raw)
				})
				b.AddASN1(asn1.SET, func(b *cryptobyte.Builder) { // signerInfos
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // issuerAndSerialNumber
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						sha256AlgID(b) // digestAlgorithm
						b.AddASN1(asn1.Tag(0).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
							inner := cryptobyte.String(attrs)
							var set cryptobyte.String
							inner.ReadASN1(&set, asn1.SET) // [0] IMPLICIT: the SET's contents
							b.AddBytes(set)
						})
						b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) { // digestEncryptionAlgorithm
							b.AddASN1ObjectIdentifier(pkcs7.OIDEncryptionAlgorithmRSA)
							b.AddASN1NULL()
						})
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return b.Bytes()
}
