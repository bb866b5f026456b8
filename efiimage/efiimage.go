// Package efiimage checks that a boot file is what firmware will load: a
// PE/COFF EFI application for the target machine. A shim given as random
// bytes, or an arm64 GRUB on an amd64 ISO, is refused before the build
// instead of shipping an ISO that verify passes and no machine boots.
package efiimage

import (
	"debug/pe"
	"fmt"
	"io"
	"os"
)

// Machine is a PE/COFF machine type.
type Machine uint16

// The machines canvos builds for.
const (
	AMD64 Machine = pe.IMAGE_FILE_MACHINE_AMD64
	ARM64 Machine = pe.IMAGE_FILE_MACHINE_ARM64
)

func (m Machine) String() string {
	switch m {
	case AMD64:
		return "x86-64"
	case ARM64:
		return "AArch64"
	}
	return fmt.Sprintf("machine 0x%04x", uint16(m))
}

// CheckFile is Check of the file path.
func CheckFile(path string, m Machine) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return Check(f, m)
}

// Check returns an error saying what r is when it is not a PE32+ EFI
// application for m.
func Check(r io.ReaderAt, m Machine) error {
	img, err := pe.NewFile(r)
	if err != nil {
		return fmt.Errorf("not a PE/COFF image (an EFI binary): %w", err)
	}
	if got := Machine(img.FileHeader.Machine); got != m {
		return fmt.Errorf("a PE image for %v, not %v", got, m)
	}
	oh, ok := img.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return fmt.Errorf("a 32-bit PE image, not a PE32+ %v EFI application", m)
	}
	if oh.Subsystem != pe.IMAGE_SUBSYSTEM_EFI_APPLICATION {
		return fmt.Errorf("PE subsystem %d, not an EFI application (%d)", oh.Subsystem, pe.IMAGE_SUBSYSTEM_EFI_APPLICATION)
	}
	return nil
}

// Minimal returns the smallest PE32+ image Check accepts for m, with
// subsystem: headers and no sections. Tests use it as a stand-in boot file.
func Minimal(m Machine, subsystem uint16) []byte {
	const lfanew, optSize = 0x40, 240
	b := make([]byte, lfanew+4+20+optSize)
	copy(b, "MZ")
	b[0x3c] = lfanew
	copy(b[lfanew:], "PE\x00\x00")
	coff := b[lfanew+4:]
	put16(coff[0:], uint16(m))
	put16(coff[16:], optSize)
	put16(coff[18:], 0x22) // executable, large address aware
	opt := coff[20:]
	put16(opt[0:], 0x20b) // PE32+
	put16(opt[68:], subsystem)
	opt[108] = 16 // data directories
	return b
}

func put16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }
