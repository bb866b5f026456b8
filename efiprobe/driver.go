package efiprobe

// Hand-written because no kept library writes a PE image from nothing: the
// probe needs an x86-64 UEFI boot-service driver whose entry point only
// returns EFI_SUCCESS, and Debian ships none small enough to pad. The
// headers below are the minimum the EDK II PE/COFF loader accepts (DOS stub
// with e_lfanew, COFF header, PE32+ optional header, one .text section);
// uki.Assemble adds the large section.

import (
	"debug/pe"
	"encoding/binary"
	"io"
)

const (
	fileAlign    = 0x200
	sectionAlign = 0x1000
	peOffset     = 0x40 // e_lfanew: the PE signature right after the DOS header
	optSize      = 240  // PE32+ optional header with 16 data directories
	textRVA      = sectionAlign
	imageBase    = 0x10000000
	// EFI_IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER: the shell's `load` starts
	// drivers and refuses applications, and a driver that returns success
	// stays loaded, so `load`'s status is the firmware's verdict.
	subsystemBootDriver = 11
)

// entry is the driver's code: xor eax, eax; ret — return EFI_SUCCESS (0).
var entry = []byte{0x31, 0xc0, 0xc3}

// driverStub returns a PE32+ UEFI boot-service driver of two file-aligned
// blocks: the headers (with room for more section headers) and .text.
func driverStub() []byte {
	b := make([]byte, 2*fileAlign)
	le := binary.LittleEndian
	copy(b, "MZ")
	le.PutUint32(b[0x3c:], peOffset)
	copy(b[peOffset:], "PE\x00\x00")
	coff := b[peOffset+4:]
	le.PutUint16(coff[0:], pe.IMAGE_FILE_MACHINE_AMD64)
	le.PutUint16(coff[2:], 1) // NumberOfSections
	le.PutUint16(coff[16:], optSize)
	le.PutUint16(coff[18:], pe.IMAGE_FILE_EXECUTABLE_IMAGE|pe.IMAGE_FILE_LARGE_ADDRESS_AWARE)
	opt := coff[20:]
	le.PutUint16(opt[0:], 0x20b)           // PE32+
	le.PutUint32(opt[4:], fileAlign)       // SizeOfCode
	le.PutUint32(opt[16:], textRVA)        // AddressOfEntryPoint
	le.PutUint32(opt[20:], textRVA)        // BaseOfCode
	le.PutUint64(opt[24:], imageBase)      // ImageBase
	le.PutUint32(opt[32:], sectionAlign)   // SectionAlignment
	le.PutUint32(opt[36:], fileAlign)      // FileAlignment
	le.PutUint32(opt[56:], 2*sectionAlign) // SizeOfImage: headers + .text
	le.PutUint32(opt[60:], fileAlign)      // SizeOfHeaders
	le.PutUint16(opt[68:], subsystemBootDriver)
	le.PutUint64(opt[72:], 0x100000) // SizeOfStackReserve
	le.PutUint64(opt[80:], 0x1000)   // SizeOfStackCommit
	le.PutUint64(opt[88:], 0x100000) // SizeOfHeapReserve
	le.PutUint64(opt[96:], 0x1000)   // SizeOfHeapCommit
	le.PutUint32(opt[108:], 16)      // NumberOfRvaAndSizes; all directories empty (no relocations: the code is position-independent)
	sec := opt[optSize:]
	copy(sec[0:8], ".text")
	le.PutUint32(sec[8:], uint32(len(entry))) // VirtualSize
	le.PutUint32(sec[12:], textRVA)
	le.PutUint32(sec[16:], fileAlign) // SizeOfRawData
	le.PutUint32(sec[20:], fileAlign) // PointerToRawData
	le.PutUint32(sec[36:], pe.IMAGE_SCN_CNT_CODE|pe.IMAGE_SCN_MEM_EXECUTE|pe.IMAGE_SCN_MEM_READ)
	copy(b[fileAlign:], entry)
	return b
}

// filler is size bytes of a fixed pattern that does not compress (so a
// transport that compresses cannot make the probe look cheaper than a UKI's
// initrd), the same on every run.
type filler struct{ size int64 }

// block is the repeated 64 KiB of the filler: a xorshift64 stream.
var block = func() []byte {
	b := make([]byte, 64<<10)
	x := uint64(0x9e3779b97f4a7c15)
	for i := 0; i < len(b); i += 8 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		binary.LittleEndian.PutUint64(b[i:], x)
	}
	return b
}()

func (f filler) ReadAt(p []byte, off int64) (int, error) {
	if off >= f.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && off+int64(n) < f.size {
		pos := off + int64(n)
		k := copy(p[n:min(len(p), n+int(f.size-pos))], block[pos%int64(len(block)):])
		n += k
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
