package iso

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"dagger/canvos/overlay"
	"dagger/canvos/rootfs"
	"dagger/canvos/run"
	"dagger/canvos/scratch"
	"dagger/canvos/usererr"
)

// maxISOFile is the largest file ISO 9660 holds in one extent; go-diskfs
// v1.9.4 writes no multi-extent files, so nothing larger may reach the ISO.
const maxISOFile = 1<<32 - 1

// Result tells what was written.
type Result struct {
	Path   string   // the ISO
	SHA256 [32]byte // its digest, also in Path+".sha256"
	Size   int64
	BIOS   bool // BIOS El Torito entry + hybrid MBR boot code written
}

// withDefaults fills the zero values of optional fields.
func (o Options) withDefaults() Options {
	o.Label = cmp.Or(o.Label, DefaultLabel)
	o.Compression = cmp.Or(o.Compression, CompZstd)
	o.UserDataPath = cmp.Or(o.UserDataPath, defaultUserData)
	o.PartitionTable = cmp.Or(o.PartitionTable, TableGPT)
	o.Arch = cmp.Or(o.Arch, ArchAMD64)
	return o
}

// realTrees replaces the rootfs (withRootfs) and overlay directories by
// the directories they name (rootfs.Real), so a linked --rootfs is packed as
// the tree it points at, not as one symlink.
func (o *Options) realTrees(withRootfs bool) error {
	for _, d := range []struct {
		flag string
		p    *string
		use  bool
	}{{"--rootfs", &o.Rootfs, withRootfs}, {"--overlay", &o.Overlay, o.Overlay != ""}} {
		if !d.use {
			continue
		}
		r, err := rootfs.Real(*d.p)
		if err != nil {
			return usererr.New(d.flag, *d.p, "an existing directory")
		}
		*d.p = r
	}
	return nil
}

// BuildISO builds the installer ISO and its .sha256. Every input is checked
// before anything is written; the ISO appears under its name only when
// complete.
func BuildISO(ctx context.Context, o Options) (Result, error) {
	o = o.withDefaults()
	if err := o.realTrees(true); err != nil {
		return Result{}, err
	}
	in, err := check(o)
	if err != nil {
		return Result{}, err
	}
	defer in.tree.Close()
	ws, err := scratch.Dir(o.ScratchDir, "iso-root")
	if err != nil {
		return Result{}, fmt.Errorf("iso: workspace: %w", err)
	}
	defer os.RemoveAll(ws) // Finalize removes it too; this covers failures before
	work, err := scratch.Dir(o.ScratchDir, "iso-work")
	if err != nil {
		return Result{}, fmt.Errorf("iso: workspace: %w", err)
	}
	defer os.RemoveAll(work)
	if err := in.boot.stageBIOS(in.tree, work); err != nil {
		return Result{}, fmt.Errorf("iso: %w", err)
	}
	st := stager{o: o, in: in, ws: ws, work: work}
	if err := st.stage(ctx); err != nil {
		return Result{}, err
	}
	return st.writeISO(ctx)
}

// stager fills the ISO workspace.
type stager struct {
	o        Options
	in       inputs
	ws, work string
}

func (s stager) stage(ctx context.Context) error {
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"squashfs", s.squashfs},
		{"boot files", s.bootFiles},
		{"esp", s.esp},
		{"bios", s.bios},
		{"payload", s.payload},
	}
	for _, st := range steps {
		if err := context.Cause(ctx); err != nil {
			return fmt.Errorf("iso: before %s: %w", st.name, err)
		}
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("iso: %s: %w", st.name, err)
		}
	}
	return nil
}

func (s stager) path(isoPath string) (string, error) {
	p := filepath.Join(s.ws, filepath.FromSlash(isoPath))
	return p, os.MkdirAll(filepath.Dir(p), 0o755)
}

func (s stager) squashfs(ctx context.Context) error {
	out, err := s.path(isoSquashfs)
	if err != nil {
		return err
	}
	var pseudoFile, excludeFile string
	if len(s.in.localUI) > 0 {
		if pseudoFile, excludeFile, err = s.localUI(); err != nil {
			return fmt.Errorf("local-ui: %w", err)
		}
	}
	s.o.printf("squashfs: packing %s (%s)", s.o.Rootfs, s.o.Compression)
	if _, err := run.Run(ctx, squashfsCmd(s.o, out, pseudoFile, excludeFile)); err != nil {
		return err
	}
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	if fi.Size() > maxISOFile {
		return fmt.Errorf("rootfs.squashfs is %d bytes; ISO 9660 files stop at 4 GiB: use a stronger --compression", fi.Size())
	}
	return nil
}

func (s stager) localUI() (pseudoFile, excludeFile string, err error) {
	dir := filepath.Join(s.work, "local-ui")
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", "", err
	}
	pseudo, exclude, err := stageLocalUI(s.o.LocalUI, s.in.tree, dir, s.in.localUI)
	if err != nil {
		return "", "", err
	}
	pseudoFile = filepath.Join(s.work, "local-ui.pseudo")
	if err := writeLines(pseudoFile, pseudo); err != nil {
		return "", "", err
	}
	if len(exclude) == 0 {
		return pseudoFile, "", nil
	}
	excludeFile = filepath.Join(s.work, "local-ui.exclude")
	return pseudoFile, excludeFile, writeLines(excludeFile, exclude)
}

func (s stager) bootFiles(context.Context) error {
	s.o.printf("boot: kernel, initrd and GRUB configuration")
	for _, f := range []struct{ src, dst string }{{s.in.kernel, isoKernel}, {s.in.initrd, isoInitrd}} {
		if err := s.copyIn(f.src, f.dst); err != nil {
			return err
		}
	}
	if err := s.render(isoGrubCfg, overlay.ISOMenu); err != nil {
		return err
	}
	// Signed GRUB builds look for their config on the medium they booted
	// from: Debian/Ubuntu's gcdx64 at $prefix/grub.cfg with prefix
	// (cd0)/boot/grub, else at $cmdpath/grub.cfg, which on an El Torito CD is
	// /EFI/BOOT on the ISO 9660 tree, not on the ESP. Both get the stub that
	// finds the menu by label.
	for _, p := range isoGrubStubs {
		if err := s.render(p, overlay.ISOEFIStub); err != nil {
			return err
		}
	}
	return nil
}

func (s stager) esp(ctx context.Context) error {
	stub, err := s.grubConfig(overlay.ISOEFIStub)
	if err != nil {
		return err
	}
	stubPath := filepath.Join(s.work, "grub.cfg")
	if err := os.WriteFile(stubPath, stub, 0o644); err != nil {
		return err
	}
	files := espFiles(s.in.boot, stubPath)
	size, err := espSize(files)
	if err != nil {
		return err
	}
	volID, err := espVolumeID(files)
	if err != nil {
		return err
	}
	img, err := s.path(isoESP)
	if err != nil {
		return err
	}
	s.o.printf("esp: %d KiB FAT with %s and %s", size, s.in.boot.shim, s.in.boot.grubEFI)
	for _, c := range espCmds(img, files, size, volID, s.o.Epoch) {
		if _, err := run.Run(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (s stager) bios(ctx context.Context) error {
	if !s.in.boot.arch.bios {
		s.o.printf("bios: %s has no BIOS: UEFI-only ISO", s.o.Arch)
		return nil
	}
	if s.in.boot.biosDir == "" {
		s.o.printf("bios: no GRUB i386-pc files in the rootfs or the worker: UEFI-only ISO")
		return nil
	}
	early, err := s.grubConfig(overlay.ISOBIOSEarly)
	if err != nil {
		return err
	}
	earlyPath := filepath.Join(s.work, "bios-early.cfg")
	if err := os.WriteFile(earlyPath, early, 0o644); err != nil {
		return err
	}
	img, err := s.path(isoBIOSImage)
	if err != nil {
		return err
	}
	s.o.printf("bios: GRUB El Torito image from %s", s.in.boot.biosDir)
	_, err = run.Run(ctx, grubBIOSCmd(s.in.boot.biosDir, img, earlyPath))
	return err
}

// copyIn puts a host file at an ISO path: a hard link when the file system
// allows (content bundles are big), else a copy.
func (s stager) copyIn(src, isoPath string) error {
	dst, err := s.path(isoPath)
	if err != nil {
		return err
	}
	if os.Link(src, dst) == nil {
		return nil
	}
	return copyRange(src, dst, 0, -1)
}

// copyRange copies n bytes (all when n < 0) from src at off into a new dst.
func copyRange(src, dst string, off, n int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	var r io.Reader = io.NewSectionReader(in, off, 1<<62)
	if n >= 0 {
		r = io.LimitReader(r, n)
	}
	_, err = io.Copy(out, r)
	return cmp.Or(err, out.Close())
}

func writeLines(p string, lines []string) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if _, err := io.WriteString(f, l+"\n"); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
