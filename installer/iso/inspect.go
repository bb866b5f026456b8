package iso

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/diskfs/go-diskfs/partition/gpt"
)

// Report is what Inspect found in an ISO.
type Report struct {
	Label      string
	Size       int64
	Boot       []BootEntry
	Files      map[string]int64 // ISO path (Rock Ridge names) → size, regular files only
	MBR        *MBRInfo         // nil: no MBR signature in the system area
	GPT        []GPTPartition   // when the MBR is protective (0xEE) and a GPT reads back
	ContentFor []string         // content bundle parts found
	Outside    []string         // what the image places past the end of the file (truncated)
	SHA256File string           // the .sha256 beside the ISO, "" when there is none
	SHA256Bad  string           // how it disagrees with the ISO, "" when it matches
}

// MBRInfo is the hybrid MBR in the ISO's system area.
type MBRInfo struct {
	BootCode   bool // bytes 0–439 are not all zero
	Partitions []MBRPartition
}

// MBRPartition is one used MBR partition entry.
type MBRPartition struct {
	Index      int
	Bootable   bool
	Type       byte
	Start, Len uint32 // 512-byte sectors
}

// GPTPartition is one GPT entry.
type GPTPartition struct {
	Index      int
	Type, Name string
	Start, End uint64 // 512-byte sectors
}

// Inspect reads an installer ISO (ours or CanvOS'): volume label, El Torito
// entries, the files of the Kairos live layout and the hybrid MBR.
func Inspect(p string) (Report, error) {
	f, err := os.Open(p)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Report{}, err
	}
	v, err := readPVD(f)
	if err != nil {
		return Report{}, err
	}
	r := Report{Label: v.label, Size: fi.Size(), Files: map[string]int64{}}
	if r.Boot, err = readBootCatalog(f); err != nil {
		return r, err
	}
	extents, err := listFiles(f, v, r.Files)
	if err != nil {
		return r, err
	}
	if r.MBR, err = readMBR(f); err != nil {
		return r, err
	}
	if r.MBR.protective() {
		if r.GPT, err = readGPT(f); err != nil {
			return r, err
		}
	}
	for name := range r.Files {
		if strings.HasPrefix(name, isoContentDir+"/") {
			r.ContentFor = append(r.ContentFor, name)
		}
	}
	sort.Strings(r.ContentFor)
	r.Outside = outside(f, r.Size, v, r, extents)
	r.SHA256File, r.SHA256Bad, err = checkSHA256(f, p)
	return r, err
}

// listFiles maps every regular file to its size, by Rock Ridge name when
// present (NM), else by the ISO 9660 identifier without ";1", and returns
// where every directory and file lies.
func listFiles(r io.ReaderAt, v pvd, out map[string]int64) ([]extent, error) {
	dirs := map[uint32]string{v.rootLBA: ""}
	var extents []extent
	err := walkDirs(r, v, func(d dirRecord) error {
		if d.name == "\x00" || d.name == "\x01" {
			return nil
		}
		parent := dirs[d.dir]
		name, err := rrName(r, d)
		if err != nil {
			return err
		}
		full := path.Join(parent, name)
		extents = append(extents, extent{name: full, lba: d.lba, size: d.size, isDir: d.isDir})
		if d.isDir {
			dirs[d.lba] = full
			return nil
		}
		out[full] = int64(d.size)
		return nil
	})
	return extents, err
}

func rrName(r io.ReaderAt, d dirRecord) (string, error) {
	entries, err := suEntries(r, d)
	if err != nil {
		return "", err
	}
	var nm strings.Builder
	for _, e := range entries {
		if e.sig == "NM" && len(e.data) >= 5 {
			nm.Write(e.data[5:])
		}
	}
	if nm.Len() > 0 {
		return nm.String(), nil
	}
	name, _, _ := strings.Cut(d.name, ";")
	return strings.ToLower(strings.TrimSuffix(name, ".")), nil
}

func readMBR(r io.ReaderAt) (*MBRInfo, error) {
	b := make([]byte, 512)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("read system area: %w", err)
	}
	if b[510] != 0x55 || b[511] != 0xaa {
		return nil, nil
	}
	m := &MBRInfo{}
	for _, c := range b[:mbrCodeSize] {
		m.BootCode = m.BootCode || c != 0
	}
	for i := 0; i < 4; i++ {
		e := b[446+16*i : 446+16*(i+1)]
		if e[4] == 0 {
			continue
		}
		m.Partitions = append(m.Partitions, MBRPartition{
			Index: i + 1, Bootable: e[0] == 0x80, Type: e[4],
			Start: binary.LittleEndian.Uint32(e[8:12]), Len: binary.LittleEndian.Uint32(e[12:16]),
		})
	}
	return m, nil
}

func (m *MBRInfo) protective() bool {
	if m == nil {
		return false
	}
	for _, p := range m.Partitions {
		if p.Type == 0xee {
			return true
		}
	}
	return false
}

func readGPT(f *os.File) ([]GPTPartition, error) {
	t, err := gpt.Read(f, 512, 512)
	if err != nil {
		return nil, fmt.Errorf("read GPT: %w", err)
	}
	var out []GPTPartition
	for _, p := range t.Partitions {
		if p.Type == gpt.Unused {
			continue
		}
		out = append(out, GPTPartition{Index: p.Index, Type: string(p.Type), Name: p.Name, Start: p.Start, End: p.End})
	}
	return out, nil
}

// Expect is what a Report must show to pass.
type Expect struct {
	Label    string // volume label; "" accepts any
	BIOS     bool   // a BIOS El Torito entry and MBR boot code
	Hybrid   bool   // an MBR 0xEF partition (or a GPT) for USB UEFI boot
	UserData bool   // config.yaml (or files-iso/config.yaml)
	// UKI: a UKI installer ISO (BuildUKIISO) boots systemd-boot from its
	// ESP image and has no live files (kernel, initrd, squashfs, GRUB).
	UKI bool
}

// Problems lists what the report lacks against e; empty means it passes.
func (r Report) Problems(e Expect) []string {
	var out []string
	if e.Label != "" && r.Label != e.Label {
		out = append(out, fmt.Sprintf("volume label is %q, want %q", r.Label, e.Label))
	}
	for _, f := range []string{isoKernel, isoInitrd, isoSquashfs, isoGrubCfg} {
		if _, ok := r.Files[f]; !ok && !e.UKI {
			out = append(out, "missing /"+f)
		}
	}
	uefi, bios := r.entry("UEFI"), r.entry("BIOS")
	if uefi == nil {
		out = append(out, "no UEFI El Torito entry")
	}
	if e.BIOS && bios == nil {
		out = append(out, "no BIOS El Torito entry")
	}
	if e.BIOS && (r.MBR == nil || !r.MBR.BootCode) {
		out = append(out, "no BIOS boot code in the MBR (USB BIOS boot)")
	}
	if e.Hybrid && !r.hasESPPartition() {
		out = append(out, "no EFI system partition in the MBR (0xef) or GPT for USB UEFI boot")
	}
	if e.UserData && !r.has(defaultUserData) && !r.has("files-iso/config.yaml") {
		out = append(out, "missing /config.yaml (user-data)")
	}
	out = append(out, r.Outside...)
	if r.SHA256Bad != "" {
		out = append(out, r.SHA256Bad)
	}
	return out
}

func (r Report) has(p string) bool { _, ok := r.Files[p]; return ok }

func (r Report) entry(platform string) *BootEntry {
	for i := range r.Boot {
		if r.Boot[i].Platform == platform {
			return &r.Boot[i]
		}
	}
	return nil
}

// hasESPPartition accepts an EFI system partition in the MBR (0xEF) or the
// GPT: ours lies over the El Torito UEFI image, xorriso's -append_partition
// (AuroraBoot) puts it after the ISO volume.
func (r Report) hasESPPartition() bool {
	for _, p := range r.GPT {
		if strings.EqualFold(p.Type, string(gpt.EFISystemPartition)) {
			return true
		}
	}
	if r.MBR == nil {
		return false
	}
	for _, p := range r.MBR.Partitions {
		if p.Type == 0xef {
			return true
		}
	}
	return false
}
