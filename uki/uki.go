// Package uki builds Unified Kernel Images and the boot artifacts around
// them: it adds the kernel, initrd, command line and os-release to the
// systemd-stub (a small PE section writer), predicts and signs the PCR 11
// policy the way systemd-measure does, Authenticode-signs the result with
// go-uefi, and lays out a systemd-boot ESP. Everything is pure Go, streaming
// and deterministic: the same inputs and keys give the same bytes.
package uki

import (
	"crypto/rsa"
	"fmt"
	"io"

	"dagger/canvos/secureboot"
)

// Options are the inputs of one UKI.
type Options struct {
	Stub      []byte            // systemd-stub, e.g. /usr/lib/systemd/boot/efi/linuxx64.efi.stub
	Kernel    *io.SectionReader // .linux
	Initrd    *io.SectionReader // .initrd
	Cmdline   string            // .cmdline, exactly as given
	OSRelease []byte            // .osrel; optional, but systemd-boot lists only UKIs that have one
	Uname     string            // .uname; optional (systemd 252 ignores it, later versions show it)
	// Signer is the db key the UKI is Authenticode-signed with; nil leaves it
	// unsigned (only useful while firmware is in setup mode).
	Signer secureboot.Signer
	// PCRKey, when set, adds .pcrpkey (its public half) and .pcrsig (the
	// signed PCR 11 policy for Phases).
	PCRKey *rsa.PrivateKey
	Phases []string // boot phases to sign for; nil means DefaultPhases
	Printf func(format string, args ...any)
}

func (o Options) printf(format string, args ...any) {
	if o.Printf != nil {
		o.Printf(format, args...)
	}
}

// Validate checks the stub and that the payload is there, before anything
// is read or written.
func (o Options) Validate() error {
	if err := o.checkStub(); err != nil {
		return err
	}
	switch {
	case o.Kernel == nil || o.Kernel.Size() == 0:
		return fmt.Errorf("uki: kernel is empty")
	case o.Initrd == nil || o.Initrd.Size() == 0:
		return fmt.Errorf("uki: initrd is empty")
	case o.Cmdline == "":
		return fmt.Errorf("uki: command line is empty")
	}
	return nil
}

// checkStub checks that the stub is an unsigned PE32+ with room for every
// section of the UKI.
func (o Options) checkStub() error {
	n := 3 // .cmdline .initrd .linux; a PCR key adds .pcrpkey and .pcrsig
	for _, optional := range []bool{len(o.OSRelease) > 0, o.Uname != "", o.PCRKey != nil, o.PCRKey != nil} {
		if optional {
			n++
		}
	}
	if _, err := parseStub(o.Stub, n); err != nil {
		return fmt.Errorf("uki: %w", err)
	}
	return nil
}

// Sections returns the PE sections of the UKI in file order, including the
// PCR policy when o.PCRKey is set.
func (o Options) Sections() ([]Section, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var secs []Section
	if len(o.OSRelease) > 0 {
		secs = append(secs, BytesSection(".osrel", o.OSRelease))
	}
	secs = append(secs, BytesSection(".cmdline", []byte(o.Cmdline)))
	if o.Uname != "" {
		secs = append(secs, BytesSection(".uname", []byte(o.Uname)))
	}
	payload := []Section{{Name: ".initrd", Data: o.Initrd}, {Name: ".linux", Data: o.Kernel}}
	if o.PCRKey == nil {
		return append(secs, payload...), nil
	}
	pub, err := PublicKeyPEM(o.PCRKey)
	if err != nil {
		return nil, err
	}
	secs = append(secs, BytesSection(".pcrpkey", pub))
	phases := o.Phases
	if phases == nil {
		phases = DefaultPhases
	}
	values, err := PredictPCR11(append(secs, payload...), phases)
	if err != nil {
		return nil, fmt.Errorf("uki: %w", err)
	}
	for _, v := range values {
		o.printf("uki: PCR %d for phase %s: %x", PCR, v.Phase, v.Value)
	}
	sig, err := SignPCRPolicy(values, o.PCRKey)
	if err != nil {
		return nil, fmt.Errorf("uki: %w", err)
	}
	secs = append(secs, BytesSection(".pcrsig", sig))
	return append(secs, payload...), nil
}

// Build writes the UKI described by o to w, signed when o.Signer is set.
func Build(w io.Writer, o Options) error {
	secs, err := o.Sections()
	if err != nil {
		return err
	}
	img, err := Assemble(o.Stub, secs)
	if err != nil {
		return fmt.Errorf("uki: %w", err)
	}
	if o.Signer == nil {
		o.printf("uki: writing unsigned UKI (%d bytes)", img.Size())
		_, err := io.Copy(w, img)
		return err
	}
	o.printf("uki: signing %d bytes with %q", img.Size(), o.Signer.Certificate().Subject.CommonName)
	return Sign(img, w, o.Signer)
}
