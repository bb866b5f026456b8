package uki

// Hand-written because no Go library computes systemd's PCR 11 prediction:
// go-uefi has no TPM policy code and systemd-measure (252) needs a TPM device
// even to sign. The algorithm is systemd 252's src/boot/measure.c + stub.c,
// cross-checked byte for byte against Debian's systemd-measure in
// measure_test.go.

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"strings"
)

// PCR is the TPM PCR that systemd-stub measures the UKI's sections into and
// systemd-pcrphase extends with the boot phases.
const PCR = 11

// DefaultPhases are the boot phases systemd-measure signs for by default: in
// the initrd, early boot, later boot and at runtime.
var DefaultPhases = []string{
	"enter-initrd",
	"enter-initrd:leave-initrd",
	"enter-initrd:leave-initrd:sysinit",
	"enter-initrd:leave-initrd:sysinit:ready",
}

// measuredOrder is the order in which systemd-stub 252 measures sections
// (its UnifiedSection enum); .pcrsig is never measured (it holds the result)
// and .uname is unknown to 252.
var measuredOrder = []string{".linux", ".osrel", ".cmdline", ".initrd", ".splash", ".dtb", ".pcrpkey"}

// PhaseValue is the expected SHA-256 PCR 11 value for one boot phase.
type PhaseValue struct {
	Phase string
	Value [sha256.Size]byte
}

// PredictPCR11 returns the SHA-256 bank value of PCR 11 after systemd-stub
// measured secs (by name; others are ignored) and systemd-pcrphase extended
// each phase's words, for every phase in phases. The empty phase is the
// value right after the stub, before any phase (what an initrd without
// systemd-pcrphase sees).
func PredictPCR11(secs []Section, phases []string) ([]PhaseValue, error) {
	byName := map[string]Section{}
	for _, s := range secs {
		byName[s.Name] = s
	}
	var pcr [sha256.Size]byte
	for _, name := range measuredOrder {
		s, ok := byName[name]
		if !ok {
			continue
		}
		// The stub measures the name with its NUL, then the contents.
		extend(&pcr, sha256.Sum256(append([]byte(name), 0)))
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(s.Data, 0, s.Data.Size())); err != nil {
			return nil, fmt.Errorf("measure %s: %w", name, err)
		}
		extend(&pcr, [sha256.Size]byte(h.Sum(nil)))
	}
	out := make([]PhaseValue, 0, len(phases))
	for _, phase := range phases {
		v := pcr
		if phase == "" {
			out = append(out, PhaseValue{Phase: phase, Value: v})
			continue
		}
		for _, word := range strings.Split(phase, ":") {
			if word == "" {
				return nil, fmt.Errorf("phase %q: empty word", phase)
			}
			extend(&v, sha256.Sum256([]byte(word)))
		}
		out = append(out, PhaseValue{Phase: phase, Value: v})
	}
	return out, nil
}

func extend(pcr *[sha256.Size]byte, digest [sha256.Size]byte) {
	*pcr = sha256.Sum256(append(pcr[:], digest[:]...))
}

// tpmCCPolicyPCR and tpmAlgSHA256 are TPM 2.0 constants (TPM 2.0 Part 2,
// tables 12 and 9).
const (
	tpmCCPolicyPCR = 0x0000017F
	tpmAlgSHA256   = 0x000B
)

// policyPCR is the TPM2_PolicyPCR policy digest that a trial session
// computes for PCR 11 (SHA-256 bank) holding value: starting from the zero
// digest, H(0…0 ‖ TPM_CC_PolicyPCR ‖ TPML_PCR_SELECTION ‖ H(value)).
func policyPCR(value [sha256.Size]byte) [sha256.Size]byte {
	b := make([]byte, 0, 32+4+4+2+1+3+32)
	b = append(b, make([]byte, sha256.Size)...)
	b = binary.BigEndian.AppendUint32(b, tpmCCPolicyPCR)
	b = binary.BigEndian.AppendUint32(b, 1) // one TPMS_PCR_SELECTION
	b = binary.BigEndian.AppendUint16(b, tpmAlgSHA256)
	b = append(b, 3, 0, 0, 0) // sizeofSelect = 3 bytes of bitmap (PCR 0–23)
	b[len(b)-3+PCR/8] |= 1 << (PCR % 8)
	valueDigest := sha256.Sum256(value[:])
	b = append(b, valueDigest[:]...)
	return sha256.Sum256(b)
}

// pcrSignature is one entry of the .pcrsig JSON, in systemd's field order.
type pcrSignature struct {
	PCRs []int  `json:"pcrs"`
	PKFP string `json:"pkfp"` // SHA-256 of the PKCS#1 RSAPublicKey DER
	Pol  string `json:"pol"`  // policy digest, hex
	Sig  string `json:"sig"`  // RSASSA-PKCS1-v1_5/SHA-256 of the policy digest, base64
}

// SignPCRPolicy signs the PCR 11 policy of each phase value with key and
// returns the .pcrsig JSON that systemd-measure sign --json=short prints:
// {"sha256":[{"pcrs":[11],"pkfp":…,"pol":…,"sig":…},…]}.
func SignPCRPolicy(values []PhaseValue, key *rsa.PrivateKey) ([]byte, error) {
	fp := sha256.Sum256(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	sigs := make([]pcrSignature, 0, len(values))
	for _, v := range values {
		pol := policyPCR(v.Value)
		digest := sha256.Sum256(pol[:])
		sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
		if err != nil {
			return nil, fmt.Errorf("pcr policy %s: %w", v.Phase, err)
		}
		sigs = append(sigs, pcrSignature{
			PCRs: []int{PCR},
			PKFP: fmt.Sprintf("%x", fp),
			Pol:  fmt.Sprintf("%x", pol),
			Sig:  base64.StdEncoding.EncodeToString(sig),
		})
	}
	return json.Marshal(map[string][]pcrSignature{"sha256": sigs})
}

// PublicKeyPEM is the .pcrpkey section: the PCR key's public half as a PEM
// SubjectPublicKeyInfo, which systemd-cryptenroll and systemd-creds read
// from the booted UKI.
func PublicKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("pcr public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
