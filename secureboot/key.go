package secureboot

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
	"unicode"

	"dagger/canvos/usererr"
)

// Signer is a key that signs with a certificate: what signing an .auth
// update or a UKI needs. Generated and brought keys both implement it.
type Signer interface {
	Signer() crypto.Signer
	Certificate() *x509.Certificate
}

// Key is an RSA private key with its X.509 certificate.
type Key struct {
	key  *rsa.PrivateKey
	cert *x509.Certificate
}

var _ Signer = (*Key)(nil)

// Signer returns the private key.
func (k *Key) Signer() crypto.Signer { return k.key }

// Certificate returns the key's certificate.
func (k *Key) Certificate() *x509.Certificate { return k.cert }

// Key size limits and defaults (CanvOS: 5475 days; RSA-4096 here, 2048 for
// firmware that cannot verify larger keys).
const (
	DefaultDays    = 5475
	DefaultKeySize = 4096
	maxDays        = 36500
	maxOrgLen      = 60 // the CN "<org> KEK" must fit X.520's 64 characters
	pcrKeySize     = 2048
)

// KeyOptions describe the certificates of a generated tree.
type KeyOptions struct {
	Org       string    // subject CN prefix: "<org> PK", "<org> KEK", "<org> db"
	Days      int       // validity in days from NotBefore; 0 means DefaultDays
	KeySize   int       // RSA modulus bits, 2048 or 4096; 0 means DefaultKeySize
	NotBefore time.Time // start of validity (SOURCE_DATE_EPOCH), required
}

func (o KeyOptions) withDefaults() KeyOptions {
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.KeySize == 0 {
		o.KeySize = DefaultKeySize
	}
	return o
}

// Validate checks the options as given (0 days or key size is refused
// here; GenerateKeys applies the defaults first). Errors name the genkey
// flags.
func (o KeyOptions) Validate() error {
	switch {
	case o.Org == "" || len(o.Org) > maxOrgLen || !printable(o.Org):
		return usererr.New("--org", o.Org, fmt.Sprintf("1 to %d printable characters", maxOrgLen))
	case o.Days < 1 || o.Days > maxDays:
		return usererr.New("--days", fmt.Sprint(o.Days), fmt.Sprintf("1 to %d", maxDays))
	case o.KeySize != 2048 && o.KeySize != 4096:
		return usererr.New("--key-size", fmt.Sprint(o.KeySize), usererr.OneOf("2048", "4096"))
	case o.NotBefore.IsZero():
		return usererr.Newf("SOURCE_DATE_EPOCH", "no certificate start time given")
	case o.NotBefore.AddDate(0, 0, o.Days).Year() > 9999:
		return usererr.Newf("SOURCE_DATE_EPOCH", "certificates starting %s for %d days would end after year 9999, which X.509 cannot express", o.NotBefore.Format(time.DateOnly), o.Days)
	}
	return nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// newKey generates the key pair of h and its certificate.
func newKey(h Hierarchy, o KeyOptions) (*Key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, o.KeySize)
	if err != nil {
		return nil, fmt.Errorf("%s: generate key: %w", h, err)
	}
	cert, err := certificate(h, o, priv)
	if err != nil {
		return nil, fmt.Errorf("%s: certificate: %w", h, err)
	}
	return &Key{key: priv, cert: cert}, nil
}

// certificate self-signs priv as h's certificate; the same key and options
// give the same bytes (PKCS#1 v1.5 signatures are deterministic).
// Every Secure Boot certificate is its own root: firmware trusts the
// certificates in the variables directly and never builds a chain from PK
// down, so each is a CA (it may certify signing keys of its own) and db also
// carries codeSigning for the UKIs it signs directly.
func certificate(h Hierarchy, o KeyOptions, priv *rsa.PrivateKey) (*x509.Certificate, error) {
	notBefore := o.NotBefore.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: o.Org + " " + h.String()},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(time.Duration(o.Days) * 24 * time.Hour),
		SignatureAlgorithm:    x509.SHA256WithRSA,
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if h == DB {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}
	}
	var err error
	if tmpl.SerialNumber, err = serial(tmpl, &priv.PublicKey); err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// serial derives a positive 127-bit serial number from the subject, the
// start of validity and the public key, so it is unique per key without a
// random source and the same inputs give the same certificate.
func serial(tmpl *x509.Certificate, pub *rsa.PublicKey) (*big.Int, error) {
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("serial: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(tmpl.Subject.CommonName))
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(tmpl.NotBefore.Unix())))
	h.Write(pubDER)
	sum := h.Sum(nil)[:16]
	sum[0] &= 0x7f // positive (RFC 5280 §4.1.2.2)
	sum[0] |= 0x40 // never shorter than 16 bytes, never zero
	return new(big.Int).SetBytes(sum), nil
}

// newPCRKey generates the RSA-2048 key that signs TPM PCR policies
// (systemd-measure --private-key, the UKI .pcrsig section).
func newPCRKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, pcrKeySize)
	if err != nil {
		return nil, fmt.Errorf("pcr key: %w", err)
	}
	return k, nil
}

// ParseKey parses a PEM private key (PKCS#8 or PKCS#1 RSA) and its PEM
// certificate, and refuses a key that does not belong to the certificate.
// name says which key it is in errors (e.g. "private-keys/db.key").
func ParseKey(name string, keyPEM, certPEM []byte) (*Key, error) {
	priv, err := ParsePrivateKey(name, keyPEM)
	if err != nil {
		return nil, err
	}
	cert, err := parseCertPEM(name, certPEM)
	if err != nil {
		return nil, err
	}
	if !priv.PublicKey.Equal(cert.PublicKey) {
		return nil, usererr.Newf(name, "private key does not match its certificate %q", cert.Subject.CommonName)
	}
	return &Key{key: priv, cert: cert}, nil
}

// ParsePrivateKey parses one PEM RSA private key, PKCS#8 or PKCS#1.
func ParsePrivateKey(name string, keyPEM []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, usererr.New(name, "not PEM", "a PEM RSA private key (PKCS#8 \"PRIVATE KEY\" or PKCS#1 \"RSA PRIVATE KEY\")")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, usererr.New(name, block.Type, usererr.OneOf("PRIVATE KEY", "RSA PRIVATE KEY"))
	}
	if err != nil {
		return nil, usererr.Newf(name, "parse private key: %v", err)
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, usererr.New(name, fmt.Sprintf("%T", key), "an RSA key (UEFI verifies RSA signatures only)")
	}
	return rsaKey, nil
}

func parseCertPEM(name string, certPEM []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, usererr.New(name, "no PEM CERTIFICATE", "a PEM X.509 certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, usererr.Newf(name, "parse certificate: %v", err)
	}
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, usererr.New(name, cert.PublicKeyAlgorithm.String(), "an RSA certificate (UEFI verifies RSA signatures only)")
	}
	return cert, nil
}

// KeyPEM encodes a private key as PKCS#8 PEM, the form go-uefi and sbsign read.
func KeyPEM(k *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// CertPEM encodes a certificate as PEM.
func CertPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
