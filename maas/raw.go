package maas

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/diskfs/go-diskfs/partition/gpt"

	"dagger/canvos/efiimage"
	"dagger/canvos/outfile"
	"dagger/canvos/overlay"
	"dagger/canvos/rootfs"
	"dagger/canvos/run"
	"dagger/canvos/scratch"
	"dagger/canvos/userdata"
	"dagger/canvos/usererr"
)

// RawOptions describe a Kairos raw disk (CanvOS +kairos-raw-image, which runs
// AuroraBoot with disk.efi=true): the disk boots into Kairos recovery, which
// installs the system onto the rest of the disk.
type RawOptions struct {
	Rootfs     string                                         // installer rootfs directory (Kairos image with GRUB and /etc/cos/grub.cfg)
	UserData   []byte                                         // cloud-config for COS_OEM/90_custom.yaml; empty: "#cloud-config"
	Out        string                                         // the .raw file to write
	ScratchDir string                                         // for the squashfs and staged partitions; removed content afterwards
	Epoch      int64                                          // SOURCE_DATE_EPOCH for every time stamp the tools set
	Printf     func(string, ...any)                           // progress; nil is silent
	Run        func(context.Context, run.Cmd) ([]byte, error) // nil: run.Run
}

// Where signed and unsigned shim and GRUB EFI binaries live in the rootfs of the
// distributions Kairos builds on (Ubuntu/Debian, openSUSE, Fedora/RHEL), the
// same places AuroraBoot's raw disk builder searches.
var (
	shimPaths = rootfs.Known("usr/lib/shim/shimx64.efi.signed.latest", "usr/lib/shim/shimx64.efi.signed",
		"usr/lib/shim/shimx64.efi", "usr/share/efi/x86_64/shim.efi", "boot/efi/EFI/fedora/shimx64.efi")
	grubPaths = rootfs.Known("usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", "usr/share/efi/x86_64/grub.efi",
		"boot/efi/EFI/fedora/grubx64.efi", "usr/lib/grub/x86_64-efi/monolithic/grubx64.efi")
)

// kairosGrubCfg is Kairos' GRUB configuration in the rootfs; the recovery
// partition carries it at the same path for the ESP's grub.cfg to load.
var kairosGrubCfg = rootfs.Known("etc/cos/grub.cfg")[0]

// espGrubCfg is AuroraBoot's GrubEfiRecovery: the ESP's GRUB finds the
// recovery partition and hands over to Kairos' own configuration there.
const espGrubCfg = `search --no-floppy --label --set=root COS_RECOVERY
set root=($root)
set prefix=($root)/grub2
configfile ($root)/etc/cos/grub.cfg
`

// Kairos' fixed minimum partition sizes (kairos-agent constants EfiSize and
// OEMSize, 64 MiB each).
const (
	minEFI = 64 * mib
	minOEM = 64 * mib
)

// rawInputs is what validation read from the rootfs.
type rawInputs struct {
	shim, grub, grubCfg []byte // shim may be nil
	vendor              string // os-release ID: signed GRUB builds look in /EFI/<ID>/
	userData            []byte
	tree                tree
}

func (o RawOptions) validate() (rawInputs, error) {
	var in rawInputs
	if fi, err := os.Stat(filepath.Dir(o.Out)); o.Out == "" || err != nil || !fi.IsDir() {
		return in, usererr.New("--out", o.Out, "a file in an existing directory")
	}
	if fi, err := os.Stat(o.Rootfs); err != nil || !fi.IsDir() {
		return in, usererr.New("--rootfs", o.Rootfs, "an existing rootfs directory")
	}
	t, err := rootfs.Open(o.Rootfs)
	if err != nil {
		return in, usererr.Newf("--rootfs", "%v", err)
	}
	defer t.Close()
	if err := in.readBoot(t); err != nil {
		return in, err
	}
	for name, b := range map[string][]byte{"shim": in.shim, "GRUB": in.grub} {
		if b == nil {
			continue
		}
		if err := efiimage.Check(bytes.NewReader(b), efiimage.AMD64); err != nil {
			return in, usererr.Newf("--rootfs", "%s: the %s EFI binary: %v", t.Dir(), name, err)
		}
	}
	in.vendor = osReleaseID(t)
	in.userData = o.UserData
	if len(in.userData) == 0 {
		in.userData = []byte("#cloud-config\n")
	}
	r := userdata.Check(in.userData)
	if err := r.Err("--user-data"); err != nil {
		return in, err
	}
	for _, w := range r.Warnings() {
		o.withDefaults().Printf("user-data: warning: %s", w)
	}
	in.tree, err = scanTree(o.Rootfs)
	return in, err
}

// readBoot reads the ESP's boot chain and Kairos' grub.cfg from the rootfs.
func (in *rawInputs) readBoot(t *rootfs.Tree) error {
	read := func(p rootfs.Path) ([]byte, error) {
		b, err := t.ReadFile(p)
		if err != nil {
			return nil, usererr.Newf("--rootfs", "%s: /%s: %v", t.Dir(), p, err)
		}
		return b, nil
	}
	var err error
	if p, ok := t.First(shimPaths); ok {
		if in.shim, err = read(p); err != nil {
			return err
		}
	}
	p, ok := t.First(grubPaths)
	if !ok {
		return usererr.New("--rootfs", t.Dir(), "a rootfs with a GRUB EFI binary at one of "+joinPaths(grubPaths))
	}
	if in.grub, err = read(p); err != nil {
		return err
	}
	if _, ok := t.First([]rootfs.Path{kairosGrubCfg}); !ok {
		return usererr.New("--rootfs", t.Dir(), "a Kairos rootfs with "+kairosGrubCfg.String())
	}
	in.grubCfg, err = read(kairosGrubCfg)
	return err
}

func joinPaths(ps []rootfs.Path) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

// BuildRaw writes the Kairos raw disk o.Out: GPT with efi (FAT COS_GRUB:
// shim + GRUB from the rootfs and a grub.cfg that loads Kairos' configuration
// from recovery), oem (ext2 COS_OEM: user-data, grubenv next_entry=recovery and
// the first-boot layout/reset config) and recovery (ext2 COS_RECOVERY:
// cOS/recovery.squashfs of the rootfs and Kairos' grub.cfg).
func BuildRaw(ctx context.Context, o RawOptions) error {
	if r, err := rootfs.Real(o.Rootfs); err == nil {
		o.Rootfs = r // a linked --rootfs: pack the tree, not the link (validate names a bad one)
	}
	in, err := o.validate()
	if err != nil {
		return err
	}
	return o.build(ctx, in, contentSet{})
}

// build writes the raw disk, with a COS_CONTENT partition after recovery
// when content has files (a cloud image).
func (o RawOptions) build(ctx context.Context, in rawInputs, content contentSet) error {
	o = o.withDefaults()
	parts := [][]byte{[]byte("kairos-raw"), in.tree.digest[:], in.userData, []byte(strconv.FormatInt(o.Epoch, 10))}
	s := newSeed(append(parts, content.seedParts()...)...)
	stage, err := scratch.Dir(o.ScratchDir, "raw")
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	defer os.RemoveAll(stage)

	o.Printf("raw: squashfs of %s", o.Rootfs)
	recoveryDir := filepath.Join(stage, nameRecovery)
	squash := filepath.Join(recoveryDir, "cOS", "recovery.squashfs")
	if err := os.MkdirAll(filepath.Dir(squash), 0o755); err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	if _, err := o.Run(ctx, mksquashfs(o.Rootfs, squash, o.Epoch)); err != nil {
		return fmt.Errorf("raw: recovery squashfs: %w", err)
	}
	sq, err := os.Stat(squash)
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	dirs, err := stageRaw(stage, in, sq.Size())
	if err != nil {
		return fmt.Errorf("raw: stage: %w", err)
	}
	sizes := map[string]int64{}
	for name, dir := range dirs {
		t, err := scanTree(dir)
		if err != nil {
			return fmt.Errorf("raw: %w", err)
		}
		sizes[name] = t.size
	}
	l := []part{
		{name: nameEFI, typ: gpt.EFISystemPartition, size: max(minEFI, roundMiB(2*sizes[nameEFI])), attr: attrRequired},
		{name: nameOEM, typ: gpt.LinuxFilesystem, size: max(minOEM, roundMiB(2*sizes[nameOEM]))},
		// Twice the squashfs: a recovery upgrade writes the new image next to the old one.
		{name: nameRecovery, typ: gpt.LinuxFilesystem, size: roundMiB(2*sizes[nameRecovery] + 150*mib)},
	}
	if !content.empty() {
		dirs[nameCloudContent] = filepath.Join(stage, nameCloudContent)
		if err := content.stage(dirs[nameCloudContent]); err != nil {
			return fmt.Errorf("raw: stage: %w", err)
		}
		l = append(l, part{name: nameCloudContent, typ: gpt.LinuxFilesystem, size: content.partSize()})
	}
	return o.writeDisk(ctx, plan(l...), s, dirs)
}

func (o RawOptions) withDefaults() RawOptions {
	if o.Printf == nil {
		o.Printf = func(string, ...any) {}
	}
	if o.Run == nil {
		o.Run = run.Run
	}
	return o
}

// stageRaw lays out the files of the ESP and OEM partitions next to the
// recovery one under stage, and returns partition name → directory.
func stageRaw(stage string, in rawInputs, squashSize int64) (map[string]string, error) {
	dirs := map[string]string{
		nameEFI:      filepath.Join(stage, nameEFI),
		nameOEM:      filepath.Join(stage, nameOEM),
		nameRecovery: filepath.Join(stage, nameRecovery),
	}
	if err := writeFiles(dirs[nameRecovery], map[string][]byte{kairosGrubCfg.String(): in.grubCfg}); err != nil {
		return nil, err
	}
	if err := writeFiles(dirs[nameEFI], espFiles(in)); err != nil {
		return nil, err
	}
	oem, err := oemFiles(in.userData, squashSize)
	if err != nil {
		return nil, err
	}
	return dirs, writeFiles(dirs[nameOEM], oem)
}

// espFiles: shim as the fallback loader EFI/BOOT/bootx64.efi with GRUB next to
// it as grubx64.efi (what shim loads), or GRUB itself as bootx64.efi when the
// rootfs has no shim; grub.cfg in EFI/BOOT (found through $cmdpath) and in
// EFI/<os-release ID> (the prefix compiled into distribution-signed GRUB).
func espFiles(in rawInputs) map[string][]byte {
	files := map[string][]byte{"EFI/BOOT/grub.cfg": []byte(espGrubCfg)}
	if in.vendor != "" {
		files["EFI/"+in.vendor+"/grub.cfg"] = []byte(espGrubCfg)
	}
	if in.shim == nil {
		files["EFI/BOOT/bootx64.efi"] = in.grub
		return files
	}
	files["EFI/BOOT/bootx64.efi"] = in.shim
	files["EFI/BOOT/grubx64.efi"] = in.grub
	return files
}

// oemFiles: the user's cloud-config, grubenv selecting recovery for the first
// boot, and the layout/reset config sized from the squashfs.
func oemFiles(userData []byte, squashSize int64) (map[string][]byte, error) {
	env, err := grubenv{"next_entry": "recovery"}.bytes()
	if err != nil {
		return nil, err
	}
	var reset bytes.Buffer
	t := template.Must(template.New("01_reset.yaml").Parse(overlay.KairosReset))
	if err := t.Execute(&reset, map[string]int64{"StateMiB": (3*squashSize + 100*mib) / mib}); err != nil {
		return nil, err
	}
	return map[string][]byte{"90_custom.yaml": userData, "grubenv": env, "01_reset.yaml": reset.Bytes()}, nil
}

// writeDisk creates o.Out: GPT, then each file system in place.
func (o RawOptions) writeDisk(ctx context.Context, l layout, s seed, dirs map[string]string) error {
	f, err := outfile.Create(o.Out, 0o644)
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	defer f.Abort()
	if err := writeTable(f.File, l, s); err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	disk := f.Name()
	efi := l.find(nameEFI)
	entries, err := topEntries(dirs[nameEFI])
	if err != nil {
		return fmt.Errorf("raw: %w", err)
	}
	cmds := []run.Cmd{
		mkfsFAT(labelEFI, disk, efi, s, o.Epoch),
		mcopy(disk, efi, entries, o.Epoch),
	}
	for _, c := range cmds {
		o.Printf("raw: %s", c.Name)
		if _, err := o.Run(ctx, c); err != nil {
			return fmt.Errorf("raw: %w", err)
		}
	}
	type named struct {
		name string
		fs   extFS
	}
	exts := []named{
		{nameOEM, extFS{typ: "ext2", label: labelOEM, src: dirs[nameOEM]}},
		{nameRecovery, extFS{typ: "ext2", label: labelRecovery, src: dirs[nameRecovery]}},
	}
	if dir := dirs[nameCloudContent]; dir != "" {
		exts = append(exts, named{nameCloudContent, extFS{typ: "ext4", label: labelContent, src: dir}})
	}
	for _, e := range exts {
		o.Printf("raw: mke2fs %s", e.fs.label)
		if err := makeExt(ctx, o.Run, filepath.Dir(e.fs.src), e.fs, disk, l.find(e.name), s, o.Epoch); err != nil {
			return fmt.Errorf("raw: %s: %w", e.name, err)
		}
	}
	return f.Commit()
}

// topEntries lists the paths of dir's direct entries, sorted (mcopy -s
// copies each one recursively).
func topEntries(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	paths := make([]string, len(ents))
	for i, e := range ents {
		paths[i] = filepath.Join(dir, e.Name())
	}
	return paths, nil
}

// osReleaseID is the ID= of the rootfs' os-release, "" when there is none.
func osReleaseID(t *rootfs.Tree) string {
	for _, p := range rootfs.OSRelease {
		b, err := t.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "ID="); ok {
				return strings.Trim(v, `"'`)
			}
		}
	}
	return ""
}
