package uki

// Hand-written because neither the Go standard library (debug/pe reads only)
// nor go-uefi (no PE writer at the pinned version) can add sections to a PE
// image, and ukify/objcopy would mean a Python or binutils dependency for what
// is a header rewrite plus concatenation. debug/pe parses; this file only
// patches the few header fields that change and appends the new sections.

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// Section is one PE section to add to the stub, read from Data.
type Section struct {
	Name string            // at most 8 bytes, e.g. ".linux"
	Data *io.SectionReader // contents; Data.Size() is the section's VirtualSize
}

// BytesSection returns a Section over b.
func BytesSection(name string, b []byte) Section {
	return Section{Name: name, Data: io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))}
}

// ErrHeaderFull means the stub's headers have no room left for another
// section header.
var ErrHeaderFull = errors.New("no room for more section headers")

const (
	sectionHeaderSize = 40
	// pageSize aligns the new sections' virtual addresses: systemd-stub and
	// the kernel's EFI handover expect page-aligned payloads.
	pageSize = 4096
	// Initialized, readable data: what ukify and objcopy give UKI payloads.
	sectionFlags = pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ
)

// placement is where one new section goes.
type placement struct {
	sec    Section
	offset int64  // PointerToRawData
	raw    int64  // SizeOfRawData (file-aligned)
	va     uint32 // VirtualAddress (page-aligned)
}

// layout is the patched stub header plus where every new section goes.
type layout struct {
	head   []byte // stub bytes up to the end of its last section, headers patched
	places []placement
	size   int64 // total file size
}

// AppendSections writes the PE image stub with secs added after its last
// section: new headers go into the slack after the section table, data is
// file-aligned after the stub's last section and mapped at page-aligned
// addresses above its image. The COFF symbol table is dropped (go-uefi's
// Authenticode parser cannot read a stub's leftover string table, and
// firmware never uses it).
func AppendSections(w io.Writer, stub []byte, secs []Section) error {
	img, err := Assemble(stub, secs)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, img)
	return err
}

// Assemble returns the image AppendSections writes as a reader over stub and
// the sections' own readers: nothing is copied, so a multi-GiB UKI can be
// signed and written in one streaming pass.
func Assemble(stub []byte, secs []Section) (*io.SectionReader, error) {
	l, err := plan(stub, secs)
	if err != nil {
		return nil, err
	}
	parts := []part{{off: 0, r: bytes.NewReader(l.head), n: int64(len(l.head))}}
	for _, p := range l.places {
		parts = append(parts, part{off: p.offset, r: p.sec.Data, n: p.sec.Data.Size()})
	}
	return io.NewSectionReader(&concat{parts: parts, size: l.size}, 0, l.size), nil
}

// part is one run of bytes of an assembled image; the gaps between parts
// read as zeros (alignment padding).
type part struct {
	off int64
	r   io.ReaderAt
	n   int64
}

type concat struct {
	parts []part // sorted by off, not overlapping
	size  int64
}

func (c *concat) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.size {
		return 0, io.EOF
	}
	want := len(p)
	if rest := c.size - off; int64(want) > rest {
		p = p[:rest]
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		chunk := p[n:]
		i := sort.Search(len(c.parts), func(i int) bool { return c.parts[i].off+c.parts[i].n > pos })
		if i == len(c.parts) || c.parts[i].off > pos {
			// padding up to the next part (or the end)
			end := c.size
			if i < len(c.parts) {
				end = c.parts[i].off
			}
			k := min(int64(len(chunk)), end-pos)
			clear(chunk[:k])
			n += int(k)
			continue
		}
		pt := c.parts[i]
		k := min(int64(len(chunk)), pt.off+pt.n-pos)
		m, err := pt.r.ReadAt(chunk[:k], pos-pt.off)
		n += m
		if m < int(k) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// stubInfo is what plan needs to know of the stub's headers.
type stubInfo struct {
	opt      *pe.OptionalHeader64
	sections int
	coff     int64  // offset of the COFF file header
	tableEnd int64  // end of the section table: where new headers go
	fileEnd  int64  // end of the last section's raw data
	vaEnd    uint32 // end of the last section in memory
}

// parseStub parses the stub and checks that sections can be added to it.
func parseStub(stub []byte, newSections int) (stubInfo, error) {
	f, err := pe.NewFile(bytes.NewReader(stub))
	if err != nil {
		return stubInfo{}, fmt.Errorf("parse stub: %w", err)
	}
	opt, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	switch {
	case !ok:
		return stubInfo{}, fmt.Errorf("stub is not PE32+ (64-bit)")
	case opt.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_SECURITY].Size != 0:
		return stubInfo{}, fmt.Errorf("stub: %w", ErrSigned)
	case len(f.Sections) == 0:
		return stubInfo{}, fmt.Errorf("stub has no sections")
	}
	si := stubInfo{opt: opt, sections: len(f.Sections), coff: int64(binary.LittleEndian.Uint32(stub[0x3c:])) + 4}
	si.tableEnd = si.coff + 20 + int64(f.SizeOfOptionalHeader) + sectionHeaderSize*int64(len(f.Sections))
	need := sectionHeaderSize * int64(newSections)
	if free := int64(opt.SizeOfHeaders) - si.tableEnd; free < need {
		return stubInfo{}, fmt.Errorf("%w: stub has room for %d, %d requested", ErrHeaderFull, free/sectionHeaderSize, newSections)
	}
	if !allZero(stub[si.tableEnd : si.tableEnd+need]) {
		return stubInfo{}, fmt.Errorf("%w: header slack of the stub is not empty", ErrHeaderFull)
	}
	for _, s := range f.Sections {
		si.fileEnd = max(si.fileEnd, int64(s.Offset)+int64(s.Size))
		si.vaEnd = max(si.vaEnd, s.VirtualAddress+max(s.VirtualSize, s.Size))
	}
	if si.fileEnd > int64(len(stub)) {
		return stubInfo{}, fmt.Errorf("stub is truncated: sections end at %d, file has %d bytes", si.fileEnd, len(stub))
	}
	return si, nil
}

// plan validates the stub and the sections and computes the new headers.
func plan(stub []byte, secs []Section) (layout, error) {
	si, err := parseStub(stub, len(secs))
	if err != nil {
		return layout{}, err
	}
	head := bytes.Clone(stub[:si.fileEnd])
	falign := int64(si.opt.FileAlignment)
	l := layout{head: head}
	off := alignUp(si.fileEnd, falign)
	va := alignUp(int64(si.vaEnd), pageSize)
	var initData int64
	for i, s := range secs {
		if len(s.Name) == 0 || len(s.Name) > 8 {
			return layout{}, fmt.Errorf("section name %q: must be 1 to 8 bytes", s.Name)
		}
		size := s.Data.Size()
		if size == 0 {
			return layout{}, fmt.Errorf("section %s is empty", s.Name)
		}
		raw := alignUp(size, falign)
		p := placement{sec: s, offset: off, raw: raw, va: uint32(va)}
		l.places = append(l.places, p)
		putSectionHeader(head[si.tableEnd+sectionHeaderSize*int64(i):], p)
		initData += raw
		off += raw
		va = alignUp(va+size, pageSize)
	}
	// PE32+ addresses and sizes are 32-bit; firmware loads far less (~1 GiB).
	if va > math.MaxUint32 || int64(si.opt.SizeOfInitializedData)+initData > math.MaxUint32 {
		return layout{}, fmt.Errorf("sections too large for a PE image: %d bytes of image", va)
	}
	l.size = off

	binary.LittleEndian.PutUint16(head[si.coff+2:], uint16(si.sections+len(secs))) // NumberOfSections
	binary.LittleEndian.PutUint32(head[si.coff+8:], 0)                             // PointerToSymbolTable
	binary.LittleEndian.PutUint32(head[si.coff+12:], 0)                            // NumberOfSymbols
	optOff := si.coff + 20
	binary.LittleEndian.PutUint32(head[optOff+8:], si.opt.SizeOfInitializedData+uint32(initData))
	binary.LittleEndian.PutUint32(head[optOff+56:], uint32(alignUp(va, int64(si.opt.SectionAlignment)))) // SizeOfImage
	binary.LittleEndian.PutUint32(head[optOff+64:], 0)                                                   // CheckSum: firmware ignores it; zero is "not computed"
	return l, nil
}

func putSectionHeader(b []byte, p placement) {
	copy(b[:8], p.sec.Name)
	binary.LittleEndian.PutUint32(b[8:], uint32(p.sec.Data.Size())) // VirtualSize
	binary.LittleEndian.PutUint32(b[12:], p.va)
	binary.LittleEndian.PutUint32(b[16:], uint32(p.raw))
	binary.LittleEndian.PutUint32(b[20:], uint32(p.offset))
	binary.LittleEndian.PutUint32(b[36:], sectionFlags)
}

func alignUp(n, a int64) int64 { return (n + a - 1) / a * a }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
