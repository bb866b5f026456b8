package iso

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// The ISO must be the same bytes for the same inputs, but go-diskfs v1.9.4
// stamps the volume descriptor and the boot catalog with time.Now() and
// every Rock Ridge TF entry with the staged file's ctime, which no caller can
// set (finalize.go: `now := time.Now()`, `changeTime: t.ChangeTime()`). After
// Finalize, pinTimes rewrites all of them to the epoch (and Rock Ridge
// owners, see pinOwner); the layout is untouched, only these bytes change. padPVD fixes the other go-diskfs PVD
// quirk: identifiers padded with NULs where ECMA-119 §8.4 wants spaces (blkid
// and dracut's live:CDLABEL= compare the space-trimmed label).

type readWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// PVD date fields (ECMA-119 §8.4.26–29): creation, modification, expiration,
// effective; 17 bytes each.
const (
	pvdRootRecord = 156
	pvdCreation   = 813
	pvdExpiration = 847
)

// pvdStrings are the PVD's a-/d-character fields: system, volume, volume
// set, publisher, preparer, application identifiers and the three file ids.
var pvdStrings = [][2]int{{8, 40}, {40, 72}, {190, 318}, {318, 446}, {446, 574}, {574, 702}, {702, 739}, {739, 776}, {776, 813}}

func padPVD(f readWriterAt) error {
	b := make([]byte, sector)
	if _, err := f.ReadAt(b, pvdSector*sector); err != nil {
		return fmt.Errorf("pad volume descriptor: %w", err)
	}
	for _, r := range pvdStrings {
		for i := r[0]; i < r[1]; i++ {
			if b[i] == 0 {
				b[i] = ' '
			}
		}
	}
	_, err := f.WriteAt(b, pvdSector*sector)
	return err
}

// tailPad is mkisofs' default -pad: 150 sectors (300 KiB) of zeros inside the
// volume after the last file, so read-ahead past the last file never hits the
// end of the medium.
const tailPad = 150

// padVolume makes the image as long as its volume: go-diskfs v1.9.4 declares
// a volume space size beyond the last byte it writes (seen: 10 sectors), and
// GRUB's cdboot.img, reading the BIOS image — the last file — in whole CD
// sectors, then gets a read error and loads a corrupt core ("incompatible
// license"). The volume grows by tailPad and the file is extended to match.
func padVolume(f interface {
	readWriterAt
	Truncate(int64) error
}) error {
	p, err := readPVD(f)
	if err != nil {
		return err
	}
	blocks := p.blocks + tailPad
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b[0:4], blocks)
	binary.BigEndian.PutUint32(b[4:8], blocks)
	if _, err := f.WriteAt(b, pvdSector*sector+80); err != nil {
		return fmt.Errorf("volume size: %w", err)
	}
	return f.Truncate(int64(blocks) * sector)
}

func pinTimes(f readWriterAt, epoch int64) error {
	t := time.Unix(epoch, 0).UTC()
	long := []byte(t.Format("20060102150405") + "00\x00")
	unset := []byte("0000000000000000\x00") // "not specified"
	base := int64(pvdSector * sector)
	for i, v := range [][]byte{long, long, unset, unset} {
		if _, err := f.WriteAt(v, base+pvdCreation+int64(i)*17); err != nil {
			return fmt.Errorf("pin volume dates: %w", err)
		}
	}
	p, err := readPVD(f)
	if err != nil {
		return err
	}
	short := shortDate(t)
	// The root directory record inside the PVD carries a date too.
	if _, err := f.WriteAt(short, base+pvdRootRecord+18); err != nil {
		return fmt.Errorf("pin root record date: %w", err)
	}
	return walkDirs(f, p, func(d dirRecord) error {
		if _, err := f.WriteAt(short, d.off+18); err != nil {
			return err
		}
		entries, err := suEntries(f, d)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.sig == "PX" {
				if err := pinOwner(f, e, d.isDir); err != nil {
					return err
				}
				continue
			}
			if e.sig != "TF" || len(e.data) < 5 {
				continue
			}
			stamp := short
			if e.data[4]&0x80 != 0 {
				stamp = long
			}
			n := bits.OnesCount8(e.data[4] & 0x7f)
			for i := 0; i < n && 5+(i+1)*len(stamp) <= len(e.data); i++ {
				if _, err := f.WriteAt(stamp, e.off+5+int64(i*len(stamp))); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// pinOwner makes Rock Ridge owners root:root and file link counts 1 (RRIP
// PX: mode, links, uid, gid as both-endian 32-bit values from byte 4).
// go-diskfs copies them from the staged files, which depend on who runs the
// build and on whether a big input could be hard-linked into the staging
// directory — neither is an input.
func pinOwner(f io.WriterAt, e suEntry, dir bool) error {
	if len(e.data) < 36 {
		return nil
	}
	zero := make([]byte, 16)
	if _, err := f.WriteAt(zero, e.off+20); err != nil {
		return err
	}
	if dir {
		return nil
	}
	one := []byte{1, 0, 0, 0, 0, 0, 0, 1}
	_, err := f.WriteAt(one, e.off+12)
	return err
}

// shortDate is the 7-byte recording date of ECMA-119 §9.1.5 (UTC).
func shortDate(t time.Time) []byte {
	return []byte{byte(t.Year() - 1900), byte(t.Month()), byte(t.Day()),
		byte(t.Hour()), byte(t.Minute()), byte(t.Second()), 0}
}
