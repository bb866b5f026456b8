package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"dagger/canvos/config"
	"dagger/canvos/ctxio"
	"dagger/canvos/initrd"
	"dagger/canvos/inputfile"
	"dagger/canvos/outfile"
	"dagger/canvos/rootfs"
	"dagger/canvos/scratch"
	"dagger/canvos/secureboot"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "uki-esp", summary: "lay out a systemd-boot ESP (directory and/or FAT image) with signed UKIs and auto-enroll keys", run: runUKIESP})
}

// cmdlines collects repeated --cmdline flags.
type cmdlines []string

func (c *cmdlines) String() string     { return fmt.Sprint(*c) }
func (c *cmdlines) Set(s string) error { *c = append(*c, s); return nil }

// orDefault is the command lines given, or Kairos' install-media line.
func (c cmdlines) orDefault() []string {
	if len(c) == 0 {
		return []string{uki.DefaultCmdline}
	}
	return c
}

type ukiESPFlags struct {
	kernel, initrd, rootfs, comp, osRelease, uname, stub, sdboot *string
	keys, enroll, extend, name, title, outDir, outImg            *string
	timeout                                                      *int
	allowInvalid                                                 *bool
	cmdlines                                                     cmdlines
}

func newUKIESPFlags(fs *flag.FlagSet) *ukiESPFlags {
	f := &ukiESPFlags{
		kernel:    fs.String("kernel", "", "kernel image (vmlinuz); default: <rootfs>/boot/vmlinuz"),
		initrd:    fs.String("initrd", "", "initrd for the UKIs (or give --rootfs to pack one)"),
		rootfs:    fs.String("rootfs", "", "root file system to pack into the initrd (minus /sys /proc /dev /run /tmp)"),
		comp:      fs.String("compression", string(initrd.Zstd), "initrd compression with --rootfs: zstd or gzip"),
		osRelease: fs.String("os-release", "", "os-release for .osrel; default: <rootfs>/etc/os-release, else <rootfs>/usr/lib/os-release"),
		uname:     fs.String("uname", "", "kernel release for .uname (optional)"),
		stub:      fs.String("stub", defaultStub, "systemd-stub EFI image"),
		sdboot:    fs.String("systemd-boot", defaultSDBoot, "unsigned systemd-boot EFI image, signed into EFI/BOOT/BOOTX64.EFI"),
		keys:      fs.String("keys", "", "key tree (canvos genkey): private-keys/db.key signs, private-keys/tpm2-pcr-private.pem (optional) signs the PCR policy, enrollment/{PK,KEK,db}.auth are auto-enrolled; PK.key and KEK.key are not needed"),
		enroll:    fs.String("secure-boot-enroll", uki.EnrollAuto, "systemd-boot secure-boot-enroll: force (CanvOS AUTO_ENROLL_SECUREBOOT_KEYS=true), if-safe (systemd-boot 253+), manual, off, or auto: enki's default if-safe where --systemd-boot knows it, else manual"),
		extend:    fs.String("extend-cmdline", uki.DefaultExtendCmdline, "appended to every --cmdline (CanvOS CMDLINE)"),
		name:      fs.String("name", uki.DefaultName, "UKI and entry name in EFI/kairos and loader/entries (name.efi, name-1.efi, …); the Kairos agent installs \"norole\" files"),
		title:     fs.String("title", paramDefault("BRANDING"), "boot menu title (CanvOS BRANDING)"),
		timeout:   fs.Int("timeout", 5, "boot menu timeout in seconds"),
		allowInvalid: fs.Bool("sign-with-expired-cert", false,
			"sign even though db.pem is expired or not yet valid (firmware with a clock may refuse the images)"),
	}
	fs.Var(&f.cmdlines, "cmdline", "kernel command line of one boot entry (repeatable); default: Kairos' install-media line (uki.DefaultCmdline)")
	return f
}

func runUKIESP(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "uki-esp")
	f := newUKIESPFlags(fs)
	f.outDir = fs.String("out-dir", "", "write the ESP tree to this (new or empty) directory")
	f.outImg = fs.String("out-img", "", "write the ESP as a FAT image file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *f.outDir == "" && *f.outImg == "" {
		return usererr.New("--out-dir/--out-img", "", "at least one output")
	}
	if *f.outDir != "" {
		if err := emptyDir("--out-dir", *f.outDir); err != nil {
			return err
		}
	}
	if *f.outImg != "" {
		if err := outfile.Check("--out-img", *f.outImg, outfile.Input{Flag: "--rootfs", Path: *f.rootfs}, outfile.Input{Flag: "--keys", Path: *f.keys}); err != nil {
			return err
		}
	}
	o, closeInputs, err := f.options(e)
	if err != nil {
		return err
	}
	defer closeInputs()
	epoch, err := espEpoch(*f.rootfs)
	if err != nil {
		return err
	}
	// The tree is staged beside --out-dir (or in the temp dir for an image
	// only) and appears under its name only when complete.
	stageAt := *f.outDir
	if stageAt == "" {
		stageAt = filepath.Join(os.TempDir(), "esp")
	}
	tree, err := outfile.CreateDir(stageAt, 0o755)
	if err != nil {
		return err
	}
	defer tree.Abort()
	if err := f.writeESP(ctx, e, o, tree.Path); err != nil {
		return err
	}
	if *f.outImg != "" {
		if err := uki.WriteESPImage(ctx, tree.Path, *f.outImg, epoch); err != nil {
			return err
		}
		e.printf("uki-esp: wrote %s", *f.outImg)
	}
	if *f.outDir == "" {
		return nil
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return tree.Commit()
}

// writeESP writes the ESP tree of validated options o into dir, packing the
// initrd from --rootfs first when given.
func (f *ukiESPFlags) writeESP(ctx context.Context, e *env, o uki.ESPOptions, dir string) error {
	if *f.rootfs != "" {
		tmp, err := packInitrd(ctx, e, *f.rootfs, *f.comp)
		if err != nil {
			return err
		}
		defer tmp.Close()
		defer os.Remove(tmp.Name())
		o.UKI.Initrd = tmp.SectionReader
	}
	return uki.WriteESP(dir, o)
}

// options reads and checks every input before anything is written.
func (f *ukiESPFlags) options(e *env) (uki.ESPOptions, func(), error) {
	var closers []func() error
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	o := uki.ESPOptions{
		Entries: uki.Entries(*f.name, f.cmdlines.orDefault(), *f.extend),
		Enroll:  *f.enroll,
		Timeout: *f.timeout,
		Title:   *f.title,
		UKI:     uki.Options{Uname: *f.uname, Printf: e.printf},
	}
	fail := func(err error) (uki.ESPOptions, func(), error) { closeAll(); return uki.ESPOptions{}, func() {}, err }
	var err error
	if *f.keys == "" {
		return fail(usererr.New("--keys", "", "a key tree directory (canvos genkey)"))
	}
	if o.Keys, err = loadSigningTree(*f.keys); err != nil {
		return fail(err)
	}
	if err := uki.CheckValidity(o.Keys.DB.Certificate(), time.Now()); err != nil && !*f.allowInvalid {
		return fail(usererr.Newf("--keys", "%v (override with --sign-with-expired-cert)", err))
	}
	o.UKI.PCRKey = o.Keys.PCR
	if o.UKI.Stub, err = readInput("--stub", *f.stub); err != nil {
		return fail(err)
	}
	switch {
	case *f.osRelease != "":
		o.UKI.OSRelease, err = readInput("--os-release", *f.osRelease)
	case *f.rootfs != "":
		o.UKI.OSRelease, err = rootfsOSRelease(*f.rootfs)
	}
	if err != nil {
		return fail(err)
	}
	var kf sectionFile
	if *f.kernel == "" && *f.rootfs != "" {
		kf, err = rootfsSection("--rootfs", *f.rootfs, rootfs.Kernel[0])
	} else {
		kf, err = openSection("--kernel", *f.kernel)
	}
	if err != nil {
		return fail(err)
	}
	closers = append(closers, kf.Close)
	o.UKI.Kernel = kf.SectionReader
	sd, err := openSection("--systemd-boot", *f.sdboot)
	if err != nil {
		return fail(err)
	}
	closers = append(closers, sd.Close)
	o.BootLoader = sd.SectionReader
	switch {
	case (*f.initrd == "") == (*f.rootfs == ""):
		return fail(usererr.New("--initrd/--rootfs", *f.initrd+*f.rootfs, "exactly one of them"))
	case *f.initrd != "":
		inf, err := openSection("--initrd", *f.initrd)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, inf.Close)
		o.UKI.Initrd = inf.SectionReader
	default:
		// validated now, packed by runUKIESP once every check passed
		if _, err := initrdOptions(e, *f.rootfs, *f.comp); err != nil {
			return fail(err)
		}
	}
	if err := o.Validate(); err != nil {
		return fail(err)
	}
	return o, closeAll, nil
}

// packInitrd packs rootfs into a temporary initrd file.
func packInitrd(ctx context.Context, e *env, rootfs, comp string) (sectionFile, error) {
	o, err := initrdOptions(e, rootfs, comp)
	if err != nil {
		return sectionFile{}, err
	}
	f, err := os.CreateTemp("", scratch.Pattern("initrd"))
	if err != nil {
		return sectionFile{}, err
	}
	if err := initrd.Write(ctxio.Writer(ctx, f), o); err != nil {
		f.Close()
		os.Remove(f.Name())
		return sectionFile{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return sectionFile{}, err
	}
	return sectionFile{File: f, SectionReader: io.NewSectionReader(f, 0, st.Size())}, nil
}

// emptyDir accepts a missing or empty directory whose parent exists.
func emptyDir(flag, dir string) error {
	if fi, err := os.Stat(filepath.Dir(filepath.Clean(dir))); err != nil || !fi.IsDir() {
		return usererr.New(flag, dir, "a new or empty directory in an existing one")
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return inputfile.OpenErr(flag, err)
	case len(entries) > 0:
		return usererr.Newf(flag, "%s is not empty", dir)
	}
	return nil
}

// espEpoch stamps the FAT image: SOURCE_DATE_EPOCH, else the rootfs'
// os-release time, else the FAT epoch (sourceDateEpoch finds no os-release
// under /dev/null).
func espEpoch(rootfs string) (int64, error) {
	if rootfs == "" {
		rootfs = os.DevNull
	}
	return sourceDateEpoch(rootfs)
}

// loadSigningTree reads what an ESP build needs of a key tree, and no more:
// the db key pair, the PCR key when present, the enrollment files and the
// PK and KEK certificates that check them. PK.key and KEK.key can stay
// offline (CanvOS' guidance). Each .auth must be signed by its parent
// certificate over exactly its .esl, so what systemd-boot enrolls is what
// ESPOptions.Validate checked.
func loadSigningTree(dir string) (*secureboot.Tree, error) {
	read := func(rel string) ([]byte, error) { return readInput("--keys", filepath.Join(dir, rel)) }
	keyPEM, err := read(secureboot.KeyPath(secureboot.DB))
	if err != nil {
		return nil, err
	}
	certPEM, err := read(secureboot.CertPath(secureboot.DB))
	if err != nil {
		return nil, err
	}
	t := &secureboot.Tree{}
	if t.DB, err = secureboot.ParseKey(filepath.Join(dir, secureboot.KeyPath(secureboot.DB)), keyPEM, certPEM); err != nil {
		return nil, err
	}
	if pcr, err := os.ReadFile(filepath.Join(dir, secureboot.PCRKeyPath)); err == nil {
		if t.PCR, err = secureboot.ParsePrivateKey(filepath.Join(dir, secureboot.PCRKeyPath), pcr); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if t.Enrollment, err = secureboot.LoadEnrollment(dir); err != nil {
		return nil, err
	}
	certs := map[secureboot.Hierarchy]*x509.Certificate{secureboot.DB: t.DB.Certificate()}
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK} {
		b, err := read(secureboot.CertPath(h))
		if err != nil {
			return nil, err
		}
		if certs[h], err = parseCertPEM(filepath.Join(dir, secureboot.CertPath(h)), b); err != nil {
			return nil, err
		}
	}
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		payload, _, err := secureboot.VerifyAuth(h, t.Enrollment[h].Auth, certs[h.Parent()])
		if err != nil {
			return nil, usererr.Newf("--keys", "%s: %v", secureboot.AuthPath(h), err)
		}
		if !bytes.Equal(payload, t.Enrollment[h].ESL) {
			return nil, usererr.Newf("--keys", "%s does not carry %s", secureboot.AuthPath(h), secureboot.ESLPath(h))
		}
	}
	return t, nil
}

func parseCertPEM(name string, b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, usererr.New(name, "no PEM CERTIFICATE", "a PEM X.509 certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, usererr.Newf(name, "parse certificate: %v", err)
	}
	return c, nil
}

// rootfsSection opens p of the tree root (resolved as the booted system
// would, rootfs package) for streaming.
func rootfsSection(flag, root string, p rootfs.Path) (sectionFile, error) {
	t, err := rootfs.Open(root)
	if err != nil {
		return sectionFile{}, inputfile.OpenErr(flag, err)
	}
	defer t.Close()
	f, err := t.Open(p)
	if err != nil {
		return sectionFile{}, usererr.Newf(flag, "%s: /%s: %v", root, p, err)
	}
	return section(flag, filepath.Join(root, p.String()), f)
}

// rootfsOSRelease reads the tree's os-release where systemd looks for it.
func rootfsOSRelease(root string) ([]byte, error) {
	t, err := rootfs.Open(root)
	if err != nil {
		return nil, inputfile.OpenErr("--rootfs", err)
	}
	defer t.Close()
	p, ok := t.First(rootfs.OSRelease)
	if !ok {
		return nil, usererr.New("--rootfs", root, "a rootfs with /etc/os-release or /usr/lib/os-release (or pass --os-release)")
	}
	b, err := t.ReadFile(p)
	if err != nil {
		return nil, usererr.Newf("--rootfs", "%s: /%s: %v", root, p, err)
	}
	return b, nil
}

// paramDefault is the CanvOS default of the .arg parameter name.
func paramDefault(name string) string {
	for _, p := range config.Params() {
		if p.Name == name {
			return p.Default
		}
	}
	panic("canvos: no parameter " + name)
}
