package iso

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/iso9660"

	"dagger/canvos/ctxio"
	"dagger/canvos/outfile"
)

// writeISO turns the workspace into the ISO (go-diskfs), pins its dates,
// writes the hybrid system area, then commits it and its .sha256. Every
// write fails once ctx is done, so a signal stops go-diskfs mid-copy and the
// temporary file is removed.
func (s stager) writeISO(ctx context.Context) (Result, error) {
	out, err := outfile.Create(s.o.OutPath, 0o644)
	if err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	defer out.Abort()
	sizes, err := s.sizes()
	if err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	s.o.printf("iso9660: writing %s (go-diskfs)", s.o.OutPath)
	if err := s.finalize(ctxio.File{File: out.File, Ctx: ctx}); err != nil {
		return Result{}, fmt.Errorf("iso: iso9660: %w", err)
	}
	s.o.printf("fixups: volume padding, dates, owners, %s hybrid table", s.o.PartitionTable)
	if err := padPVD(out.File); err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	if err := padVolume(out.File); err != nil {
		return Result{}, fmt.Errorf("iso: pad: %w", err)
	}
	if err := pinTimes(out.File, s.o.Epoch); err != nil {
		return Result{}, fmt.Errorf("iso: dates: %w", err)
	}
	res := Result{Path: s.o.OutPath, BIOS: s.in.boot.biosDir != ""}
	if err := s.hybrid(out.File, sizes); err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	s.o.printf("sha256: hashing, syncing and renaming")
	h := sha256.New()
	n, err := io.Copy(ctxio.Writer(ctx, h), io.NewSectionReader(out.File, 0, 1<<62))
	if err != nil {
		return Result{}, fmt.Errorf("iso: sha256: %w", err)
	}
	res.Size = n
	copy(res.SHA256[:], h.Sum(nil))
	if err := out.Commit(); err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	if err := outfile.WriteSHA256(s.o.OutPath, res.SHA256[:]); err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	return res, nil
}

func (s stager) finalize(f ctxio.File) error {
	fs, err := iso9660.Create(file.New(f, false), 0, 0, sector, s.ws)
	if err != nil {
		return err
	}
	entries := []*iso9660.ElToritoEntry{}
	if s.in.boot.biosDir != "" {
		bios := &iso9660.ElToritoEntry{Platform: iso9660.BIOS, Emulation: iso9660.NoEmulation,
			BootFile: isoBIOSImage, BootTable: true}
		// Load only cdboot.img (4 × 512 bytes); it reads the rest itself
		// using the boot-info-table (grub-mkrescue: -boot-load-size 4).
		bios.SetLoadSize(4)
		entries = append(entries, bios)
	}
	entries = append(entries, &iso9660.ElToritoEntry{Platform: iso9660.EFI, Emulation: iso9660.NoEmulation, BootFile: isoESP})
	return fs.Finalize(iso9660.FinalizeOptions{
		RockRidge: true,
		// Directories below depth 8 stay where they are (mkisofs -D): go-diskfs
		// v1.9.4's Rock Ridge relocation writes a root with two entries of one
		// name, the moved tree's records past their directory's end and its
		// placeholder over another file's data. Readers of Rock Ridge (Linux
		// isofs, libisofs, isoinfo) do not limit depth; firmware and GRUB read
		// only the shallow boot paths.
		DeepDirectories:  true,
		Joliet:           false, // Joliet moves the boot record to sector 18: BIOS boot fails (A1)
		VolumeIdentifier: s.o.Label,
		ElTorito: &iso9660.ElTorito{
			BootCatalog: isoBootCatalog,
			Entries:     entries,
		},
	})
}

func (s stager) hybrid(f *os.File, sizes imageSizes) error {
	cat, err := readBootCatalog(f)
	if err != nil {
		return err
	}
	h := hybrid{biosDir: s.in.boot.biosDir, biosSize: sizes.bios, espSize: sizes.esp, table: s.o.PartitionTable}
	for i := range cat {
		switch cat[i].Platform {
		case "BIOS":
			h.bios = &cat[i]
		case "UEFI":
			h.esp = cat[i]
		}
	}
	if h.esp.LBA == 0 {
		return fmt.Errorf("hybrid: no UEFI boot entry in the catalog")
	}
	if h.id, err = metadataHash(f); err != nil {
		return err
	}
	return writeHybrid(f, h)
}

// imageSizes are the boot images' sizes, taken before Finalize deletes the
// workspace.
type imageSizes struct{ bios, esp int64 }

func (s stager) sizes() (imageSizes, error) {
	esp, err := os.Stat(filepath.Join(s.ws, isoESP))
	if err != nil {
		return imageSizes{}, err
	}
	sz := imageSizes{esp: esp.Size()}
	if s.in.boot.biosDir != "" {
		bios, err := os.Stat(filepath.Join(s.ws, isoBIOSImage))
		if err != nil {
			return imageSizes{}, err
		}
		sz.bios = bios.Size()
	}
	return sz, nil
}

// metadataHash hashes the ISO's metadata (the volume descriptors, path
// tables and first directories after the system area), which change with any
// file name, size or position: the MBR disk signature and the GPT GUIDs are
// taken from it.
func metadataHash(f io.ReaderAt) ([32]byte, error) {
	b := make([]byte, 32*sector)
	if _, err := f.ReadAt(b, pvdSector*sector); err != nil && err != io.EOF {
		return [32]byte{}, fmt.Errorf("disk identifiers: %w", err)
	}
	return sha256.Sum256(b), nil
}
