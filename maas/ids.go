package maas

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/google/uuid"
)

// seed is the hash of a build's inputs. Every identifier on the disk (disk and
// partition GUIDs, file-system UUIDs and hash seeds, the FAT serial) is derived
// from it, so the same inputs give the same disk and different inputs do not
// collide.
type seed [sha256.Size]byte

// newSeed hashes parts with their lengths, so ("ab","c") and ("a","bc") differ.
func newSeed(parts ...[]byte) seed {
	h := sha256.New()
	for _, p := range parts {
		binary.Write(h, binary.BigEndian, uint64(len(p)))
		h.Write(p)
	}
	var s seed
	h.Sum(s[:0])
	return s
}

func (s seed) sum(purpose string) [sha256.Size]byte {
	return sha256.Sum256(append(s[:], purpose...))
}

// guid is a UUIDv8 (RFC 9562 custom, name-based) for purpose.
func (s seed) guid(purpose string) uuid.UUID {
	var u uuid.UUID
	sum := s.sum(purpose)
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	return u
}

// serial is a 32-bit volume serial (FAT volume ID) for purpose.
func (s seed) serial(purpose string) uint32 {
	sum := s.sum(purpose)
	return binary.BigEndian.Uint32(sum[:4])
}
