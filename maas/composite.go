package maas

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/diskfs/go-diskfs/partition/gpt"
	"golang.org/x/sync/errgroup"

	"dagger/canvos/overlay"
	"dagger/canvos/rootfs"
)

// composite is one MAAS disk being assembled in the sparse file disk.
type composite struct {
	o    Options
	in   maasInputs
	work string // scratch directory
	disk string
	l    layout
	s    seed
}

// build writes the GPT, then the file systems: the Ubuntu rootfs (the long
// step) runs beside the copies from the Kairos raw disk and the content
// partition, each in its own byte range of the disk.
func (d *composite) build(ctx context.Context) error {
	d.s = d.seed()
	d.l = d.plan()
	f, err := os.Create(d.disk)
	if err != nil {
		return fmt.Errorf("maas: %w", err)
	}
	defer f.Close()
	if err := writeTable(f, d.l, d.s); err != nil {
		return fmt.Errorf("maas: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.ubuntu(gctx) })
	g.Go(func() error {
		if err := d.copyKairos(f); err != nil {
			return err
		}
		if err := d.oem(gctx); err != nil {
			return err
		}
		return d.content(gctx)
	})
	return g.Wait() // no fsync: the disk is scratch, read back through the page cache
}

func (d *composite) seed() seed {
	parts := [][]byte{[]byte("maas"), []byte(d.o.Name), []byte(strconv.FormatInt(d.o.Epoch, 10)),
		[]byte(d.in.diskID), d.in.rootfs.digest[:], d.in.cloud.digest[:], []byte(strconv.FormatInt(d.o.RootfsSize, 10)),
		overlay.CurtinHooks, overlay.SetupRecovery, overlay.SetupRecoveryService, overlay.GrubCustom}
	return newSeed(append(parts, d.in.content.seedParts()...)...)
}

// plan: p1–p4 as CanvOS §10, Kairos partitions at their own sizes (rounded to
// MiB), p5 only with content, sized content + 20 % + 100 MiB.
func (d *composite) plan() layout {
	kp := func(name string, typ gpt.Type, attr uint64) part {
		return part{name: name, typ: typ, size: roundMiB(int64(d.in.kairos[name].Size)), attr: attr}
	}
	parts := []part{
		kp(nameEFI, gpt.EFISystemPartition, attrRequired),
		{name: nameUbuntu, typ: gpt.LinuxFilesystem, size: d.o.RootfsSize},
		kp(nameOEM, gpt.LinuxFilesystem, 0),
		kp(nameRecovery, gpt.LinuxFilesystem, 0),
	}
	if !d.in.content.empty() {
		parts = append(parts, part{name: nameContent, typ: gpt.LinuxFilesystem, size: d.in.content.partSize()})
	}
	return plan(parts...)
}

// copyKairos copies the efi, oem and recovery partitions of the Kairos raw
// disk byte for byte (holes kept) into p1, p3 and p4.
func (d *composite) copyKairos(dst *os.File) error {
	src, err := os.Open(d.o.KairosRaw)
	if err != nil {
		return fmt.Errorf("maas: %w", err)
	}
	defer src.Close()
	for _, name := range []string{nameEFI, nameOEM, nameRecovery} {
		kp, p := d.in.kairos[name], d.l.find(name)
		d.o.Printf("maas: copy %s from %s", name, d.o.KairosRaw)
		if err := copyRange(dst, src, p.offset, int64(kp.Start)*sectorSize, int64(kp.Size)); err != nil {
			return fmt.Errorf("maas: %s: %w", name, err)
		}
	}
	return nil
}

// What the Ubuntu partition gets besides the rootfs; edit asks whether the
// rootfs has each already (maasInputs.has).
var (
	curtinHooks   = rootfs.Known("curtin/curtin-hooks")[0]
	setupRecovery = rootfs.Known("opt/spectrocloud/scripts/setup-recovery.sh")[0]
	recoveryUnit  = rootfs.Known("etc/systemd/system/setup-recovery.service")[0]
	recoveryWants = rootfs.Known("etc/systemd/system/multi-user.target.wants/setup-recovery.service")[0]
	ubuntuAdds    = []rootfs.Path{curtinHooks, setupRecovery, recoveryUnit, recoveryWants}
)

// ubuntu makes p2: mke2fs -d of the Ubuntu rootfs in place (the rootfs is
// never copied or staged), or the cloud image's root file system; then the
// curtin hook and the setup-recovery service added with debugfs.
func (d *composite) ubuntu(ctx context.Context) error {
	p := d.l.find(nameUbuntu)
	fail := func(err error) error { return fmt.Errorf("maas: %s: %w", nameUbuntu, err) }
	files := []addFile{
		{"/" + curtinHooks.String(), overlay.CurtinHooks, 0o750},
		{"/" + setupRecovery.String(), overlay.SetupRecovery, 0o755},
		{"/" + recoveryUnit.String(), overlay.SetupRecoveryService, 0o644},
	}
	links := []addLink{{"/" + recoveryWants.String(), "/" + recoveryUnit.String()}}
	exists := func(p string) bool { return d.in.has[p] }
	scratch := filepath.Join(d.work, nameUbuntu)
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return fail(err)
	}
	if d.o.UbuntuCloudImage != "" {
		d.o.Printf("maas: %s from %s", nameUbuntu, d.o.UbuntuCloudImage)
		if err := d.cloudUbuntu(ctx, p); err != nil {
			return fail(err)
		}
		paths := []string{links[0].path}
		for _, f := range files {
			paths = append(paths, f.path)
		}
		var err error
		if exists, err = extExists(ctx, d.o.Run, d.disk, p, paths); err != nil {
			return fail(err)
		}
	} else {
		d.o.Printf("maas: %s from %s", nameUbuntu, d.o.UbuntuRootfs)
		ext := extFS{typ: "ext4", label: labelUbuntu, src: d.o.UbuntuRootfs}
		if err := makeExt(ctx, d.o.Run, scratch, ext, d.disk, p, d.s, d.o.Epoch); err != nil {
			return fail(err)
		}
	}
	if err := edit(ctx, d.o.Run, scratch, d.disk, p, d.o.Epoch, exists, files, links); err != nil {
		return fail(err)
	}
	return nil
}

// oem patches p3 (the copied Kairos COS_OEM) in place: grubenv saved as
// grubenv.bak, next_entry=ubuntu-firstboot, and the grubcustom entry that boots
// UBUNTU_ROOTFS appended to any grubcustom already there.
func (d *composite) oem(ctx context.Context) error {
	p := d.l.find(nameOEM)
	fail := func(err error) error { return fmt.Errorf("maas: %s: %w", nameOEM, err) }
	names, err := dirNames(ctx, d.o.Run, d.disk, p, "/")
	if err != nil {
		return fail(err)
	}
	read := func(name string) ([]byte, error) {
		if !names[name] {
			return nil, nil
		}
		return d.o.Run(ctx, debugfsRequest(d.disk, p, "cat "+name))
	}
	oldEnv, err := read("/grubenv")
	if err != nil {
		return fail(err)
	}
	env, err := parseGrubenv(oldEnv)
	if err != nil {
		return fail(err)
	}
	env["next_entry"] = "ubuntu-firstboot"
	newEnv, err := env.bytes()
	if err != nil {
		return fail(err)
	}
	custom, err := read("/grubcustom")
	if err != nil {
		return fail(err)
	}
	if !bytes.Contains(custom, []byte("'ubuntu-firstboot'")) {
		custom = append(custom, overlay.GrubCustom...)
	}
	files := []addFile{{"/grubenv", newEnv, 0o644}, {"/grubcustom", custom, 0o644}}
	if oldEnv != nil {
		files = append(files, addFile{"/grubenv.bak", oldEnv, 0o644})
	}
	scratch := filepath.Join(d.work, nameOEM)
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return fail(err)
	}
	exists := func(p string) bool { return p == "/" || names[p] }
	if err := edit(ctx, d.o.Run, scratch, d.disk, p, d.o.Epoch, exists, files, nil); err != nil {
		return fail(err)
	}
	return nil
}

// content makes p5 from a staging directory of hardlinks to the inputs.
func (d *composite) content(ctx context.Context) error {
	if d.in.content.empty() {
		return nil
	}
	stage := filepath.Join(d.work, nameContent)
	if err := d.in.content.stage(stage); err != nil {
		return fmt.Errorf("maas: %s: %w", nameContent, err)
	}
	d.o.Printf("maas: %s", nameContent)
	ext := extFS{typ: "ext4", label: labelContent, src: stage}
	if err := makeExt(ctx, d.o.Run, d.work, ext, d.disk, d.l.find(nameContent), d.s, d.o.Epoch); err != nil {
		return fmt.Errorf("maas: %s: %w", nameContent, err)
	}
	return nil
}
