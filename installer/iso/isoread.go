package iso

// Hand-written ISO 9660 / El Torito readers. go-diskfs' reader exposes files
// but neither the boot catalog nor the byte position of directory records,
// which the hybrid MBR (boot image LBAs) and the timestamp fix-up (Rock Ridge
// TF fields) need. Layouts: ECMA-119 §8.4 (PVD), §9.1 (directory record);
// El Torito 1.0 §2 (boot record, catalog); SUSP 1.12 / RRIP 1.12 (SU entries).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	sector      = 2048
	pvdSector   = 16
	bootRecSect = 17 // go-diskfs writes the boot record right after the PVD (Joliet off)
)

// pvd is what we read of the primary volume descriptor.
type pvd struct {
	label            string
	blocks           uint32 // volume space size
	rootLBA, rootLen uint32
}

func readPVD(r io.ReaderAt) (pvd, error) {
	b := make([]byte, sector)
	if _, err := r.ReadAt(b, pvdSector*sector); err != nil {
		return pvd{}, fmt.Errorf("read primary volume descriptor: %w", err)
	}
	if b[0] != 1 || string(b[1:6]) != "CD001" {
		return pvd{}, errors.New("no ISO 9660 primary volume descriptor at sector 16")
	}
	root := b[156 : 156+34]
	return pvd{
		label:   strings.TrimRight(string(b[40:72]), " "),
		blocks:  binary.LittleEndian.Uint32(b[80:84]),
		rootLBA: binary.LittleEndian.Uint32(root[2:6]),
		rootLen: binary.LittleEndian.Uint32(root[10:14]),
	}, nil
}

// BootEntry is one El Torito boot catalog entry.
type BootEntry struct {
	Platform  string // "BIOS" or "UEFI" (or the hex platform id)
	Bootable  bool
	Emulation byte
	Sectors   uint16 // 512-byte sectors to load (0 or 1 for UEFI often means "the whole image")
	LBA       uint32 // 2048-byte sector of the boot image
}

// readBootCatalog returns the El Torito entries, or nil when the ISO has no
// boot record.
func readBootCatalog(r io.ReaderAt) ([]BootEntry, error) {
	vd := make([]byte, sector)
	var catLBA uint32
	for s := int64(pvdSector); s < pvdSector+8; s++ {
		if _, err := r.ReadAt(vd, s*sector); err != nil {
			return nil, fmt.Errorf("read volume descriptors: %w", err)
		}
		if vd[0] == 255 {
			return nil, nil
		}
		if vd[0] == 0 && strings.HasPrefix(string(vd[7:39]), "EL TORITO SPECIFICATION") {
			catLBA = binary.LittleEndian.Uint32(vd[71:75])
			break
		}
	}
	if catLBA == 0 {
		return nil, nil
	}
	cat := make([]byte, sector)
	if _, err := r.ReadAt(cat, int64(catLBA)*sector); err != nil {
		return nil, fmt.Errorf("read boot catalog: %w", err)
	}
	if cat[0] != 1 || cat[30] != 0x55 || cat[31] != 0xaa {
		return nil, errors.New("boot catalog: bad validation entry")
	}
	platform := cat[1]
	var out []BootEntry
	for off := 32; off+32 <= sector; off += 32 {
		e := cat[off : off+32]
		switch e[0] {
		case 0x88, 0x00:
			if e[0] == 0 && binary.LittleEndian.Uint32(e[8:12]) == 0 {
				return out, nil
			}
			out = append(out, BootEntry{
				Platform:  platformName(platform),
				Bootable:  e[0] == 0x88,
				Emulation: e[1],
				Sectors:   binary.LittleEndian.Uint16(e[6:8]),
				LBA:       binary.LittleEndian.Uint32(e[8:12]),
			})
		case 0x90, 0x91:
			platform = e[1]
		default:
			return out, nil
		}
	}
	return out, nil
}

func platformName(p byte) string {
	switch p {
	case 0:
		return "BIOS"
	case 0xef:
		return "UEFI"
	}
	return fmt.Sprintf("0x%02x", p)
}

// dirRecord is one directory record, located in the image.
type dirRecord struct {
	off   int64  // byte offset of the record in the image
	dir   uint32 // first sector of the directory holding it
	raw   []byte // the record
	name  string // ISO 9660 identifier ("\x00" = ".", "\x01" = "..")
	lba   uint32
	size  uint32
	isDir bool
}

// suArea returns the offset (in raw) where the System Use area starts.
func (d dirRecord) suArea() int {
	n := 33 + int(d.raw[32])
	if n%2 == 1 {
		n++
	}
	return n
}

// maxDirExtent bounds one directory's extent: 64 MiB is some 300,000
// entries, and a corrupt size must not allocate gigabytes.
const maxDirExtent = 64 << 20

// walkDirs calls fn for every directory record reachable from the root,
// each directory's "." and ".." included, each directory extent once.
func walkDirs(r io.ReaderAt, p pvd, fn func(dirRecord) error) error {
	seen := map[uint32]bool{}
	var walk func(lba, size uint32) error
	walk = func(lba, size uint32) error {
		if seen[lba] {
			return nil
		}
		seen[lba] = true
		if size > maxDirExtent {
			return fmt.Errorf("directory at sector %d: %d bytes, more than a directory can hold here (%d)", lba, size, maxDirExtent)
		}
		buf := make([]byte, size)
		if _, err := r.ReadAt(buf, int64(lba)*sector); err != nil {
			return fmt.Errorf("read directory at sector %d: %w", lba, err)
		}
		for pos := 0; pos < len(buf); {
			n := int(buf[pos])
			if n == 0 { // records never cross sectors: skip to the next one
				pos = (pos/sector + 1) * sector
				continue
			}
			if pos+n > len(buf) || n < 34 || 33+int(buf[pos+32]) > n {
				return fmt.Errorf("directory at sector %d: bad record at %d", lba, pos)
			}
			raw := buf[pos : pos+n]
			d := dirRecord{
				off:   int64(lba)*sector + int64(pos),
				dir:   lba,
				raw:   raw,
				name:  string(raw[33 : 33+int(raw[32])]),
				lba:   binary.LittleEndian.Uint32(raw[2:6]),
				size:  binary.LittleEndian.Uint32(raw[10:14]),
				isDir: raw[25]&2 != 0,
			}
			if err := fn(d); err != nil {
				return err
			}
			if d.isDir && d.name != "\x00" && d.name != "\x01" {
				if err := walk(d.lba, d.size); err != nil {
					return err
				}
			}
			pos += n
		}
		return nil
	}
	return walk(p.rootLBA, p.rootLen)
}

// suEntry is one SUSP entry: its signature and where it sits in the image.
type suEntry struct {
	sig  string
	off  int64 // byte offset of the entry in the image
	data []byte
}

// suEntries returns a record's System Use entries, following CE
// continuation areas.
func suEntries(r io.ReaderAt, d dirRecord) ([]suEntry, error) {
	var out []suEntry
	if d.suArea() >= len(d.raw) {
		return nil, nil
	}
	area, base := d.raw[d.suArea():], d.off+int64(d.suArea())
	for hops := 0; hops < 16; hops++ {
		var next []byte
		var nextBase int64
		for pos := 0; pos+4 <= len(area); {
			n := int(area[pos+2])
			if n < 4 || pos+n > len(area) {
				break
			}
			e := suEntry{sig: string(area[pos : pos+2]), off: base + int64(pos), data: area[pos : pos+n]}
			out = append(out, e)
			if e.sig == "ST" {
				break
			}
			if e.sig == "CE" && n >= 28 {
				ceLBA := binary.LittleEndian.Uint32(e.data[4:8])
				ceOff := binary.LittleEndian.Uint32(e.data[12:16])
				ceLen := binary.LittleEndian.Uint32(e.data[20:24])
				if ceLen > sector { // SUSP 5.1: a continuation area lies within one block
					return nil, fmt.Errorf("continuation area of %d bytes at sector %d", ceLen, ceLBA)
				}
				next = make([]byte, ceLen)
				nextBase = int64(ceLBA)*sector + int64(ceOff)
				if _, err := r.ReadAt(next, nextBase); err != nil {
					return nil, fmt.Errorf("read continuation area: %w", err)
				}
			}
			pos += n
		}
		if next == nil {
			return out, nil
		}
		area, base = next, nextBase
	}
	return out, nil
}
