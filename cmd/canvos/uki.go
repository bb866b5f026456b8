package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"dagger/canvos/ctxio"
	"dagger/canvos/inputfile"
	"dagger/canvos/outfile"
	"dagger/canvos/secureboot"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "uki", summary: "assemble a signed Unified Kernel Image from kernel, initrd and command line", run: runUKI})
}

// Debian's systemd-boot-efi paths, the defaults of --stub and --systemd-boot.
const (
	defaultStub   = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
	defaultSDBoot = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"
)

// phases collects repeated --phase flags.
type phases []string

func (p *phases) String() string     { return fmt.Sprint(*p) }
func (p *phases) Set(s string) error { *p = append(*p, s); return nil }

func runUKI(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "uki")
	kernel := fs.String("kernel", "", "kernel image (vmlinuz): the .linux section")
	initrd := fs.String("initrd", "", "initrd (see 'canvos initrd'): the .initrd section")
	cmdline := fs.String("cmdline", "", "kernel command line: the .cmdline section")
	osRelease := fs.String("os-release", "", "os-release file: the .osrel section (systemd-boot lists only UKIs with one)")
	uname := fs.String("uname", "", "kernel release: the .uname section (optional)")
	stub := fs.String("stub", defaultStub, "systemd-stub EFI image")
	sf := signFlags(fs)
	pcrKey := fs.String("pcr-key", "", "PCR policy private key (tpm2-pcr-private.pem): adds .pcrpkey and a signed PCR 11 policy in .pcrsig")
	var ph phases
	fs.Var(&ph, "phase", "boot phase to sign the PCR policy for (repeatable; default: systemd-measure's four)")
	out := fs.String("out", "", "UKI to write (.efi)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := outfile.Check("--out", *out, outfile.Input{Flag: "--kernel", Path: *kernel}, outfile.Input{Flag: "--initrd", Path: *initrd},
		outfile.Input{Flag: "--stub", Path: *stub}, outfile.Input{Flag: "--os-release", Path: *osRelease}, outfile.Input{Flag: "--key", Path: *sf.key},
		outfile.Input{Flag: "--cert", Path: *sf.cert}, outfile.Input{Flag: "--pcr-key", Path: *pcrKey}); err != nil {
		return err
	}
	if *cmdline == "" {
		return usererr.New("--cmdline", "", "a kernel command line")
	}
	o := uki.Options{Cmdline: *cmdline, Uname: *uname, Phases: ph, Printf: e.printf}
	var err error
	if o.Stub, err = readInput("--stub", *stub); err != nil {
		return err
	}
	if *osRelease != "" {
		if o.OSRelease, err = readInput("--os-release", *osRelease); err != nil {
			return err
		}
	}
	if o.Signer, err = sf.load(); err != nil {
		return err
	}
	if *pcrKey != "" {
		b, err := readInput("--pcr-key", *pcrKey)
		if err != nil {
			return err
		}
		if o.PCRKey, err = secureboot.ParsePrivateKey("--pcr-key", b); err != nil {
			return err
		}
	}
	kf, err := openSection("--kernel", *kernel)
	if err != nil {
		return err
	}
	defer kf.Close()
	inf, err := openSection("--initrd", *initrd)
	if err != nil {
		return err
	}
	defer inf.Close()
	o.Kernel, o.Initrd = kf.SectionReader, inf.SectionReader
	if err := o.Validate(); err != nil { // before writing anything
		return usererr.Newf("--stub/--kernel/--initrd", "%v", err)
	}
	if err := outfile.Write(*out, 0o644, func(w io.Writer) error { return uki.Build(ctxio.Writer(ctx, w), o) }); err != nil {
		return err
	}
	e.printf("uki: wrote %s", *out)
	return nil
}

// signingFlags are the db key flags shared by uki and sign.
type signingFlags struct {
	key, cert     *string
	allowInvalid  *bool
	validityCheck time.Time
}

func signFlags(fs *flag.FlagSet) signingFlags {
	return signingFlags{
		key:           fs.String("key", "", "db private key (PEM, e.g. private-keys/db.key)"),
		cert:          fs.String("cert", "", "db certificate (PEM, e.g. public-keys/db.pem)"),
		allowInvalid:  fs.Bool("sign-with-expired-cert", false, "sign even though the certificate is expired or not yet valid (firmware with a clock may refuse the image)"),
		validityCheck: time.Now(),
	}
}

// load reads the key pair and refuses a certificate outside its validity.
func (s signingFlags) load() (secureboot.Signer, error) {
	keyPEM, err := readInput("--key", *s.key)
	if err != nil {
		return nil, err
	}
	certPEM, err := readInput("--cert", *s.cert)
	if err != nil {
		return nil, err
	}
	k, err := secureboot.ParseKey("--key/--cert", keyPEM, certPEM)
	if err != nil {
		return nil, err
	}
	if err := uki.CheckValidity(k.Certificate(), s.validityCheck); err != nil && !*s.allowInvalid {
		return nil, usererr.Newf("--cert", "%v (override with --sign-with-expired-cert)", err)
	}
	return k, nil
}

// readInput reads a small input file named by flag (keys, certificates,
// a stub, os-release), within inputfile.SmallLimit.
func readInput(flag, path string) ([]byte, error) {
	return inputfile.Read(flag, path, inputfile.SmallLimit)
}

// sectionFile is an opened input streamed into a UKI.
type sectionFile struct {
	*os.File
	*io.SectionReader
}

func (f sectionFile) Close() error { return f.File.Close() }

// openSection opens a large input (kernel, initrd, PE image) for streaming.
func openSection(flag, path string) (sectionFile, error) {
	if path == "" {
		return sectionFile{}, usererr.New(flag, "", "a file")
	}
	f, err := os.Open(path)
	if err != nil {
		return sectionFile{}, inputfile.OpenErr(flag, err)
	}
	return section(flag, path, f)
}

// section streams the opened input f (named name), a non-empty regular file.
func section(flag, name string, f *os.File) (sectionFile, error) {
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		f.Close()
		return sectionFile{}, usererr.Newf(flag, "%s: not a non-empty regular file", name)
	}
	return sectionFile{File: f, SectionReader: io.NewSectionReader(f, 0, st.Size())}, nil
}
