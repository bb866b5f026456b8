package uki

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"dagger/canvos/outfile"
	"dagger/canvos/overlay"
	"dagger/canvos/secureboot"
	"dagger/canvos/usererr"
)

// systemd-boot's secure-boot-enroll modes (loader.conf(5)), and EnrollAuto.
const (
	EnrollForce  = "force"   // enroll loader/keys/auto when firmware is in setup mode
	EnrollIfSafe = "if-safe" // enroll automatically only where systemd-boot deems it safe (in a VM), else as manual; systemd-boot 253+
	EnrollManual = "manual"  // offer the keys as a menu entry
	EnrollOff    = "off"
	// EnrollAuto is enki's default, if-safe, where the systemd-boot knows
	// it, and manual where it does not: systemd-boot 252 (Debian bookworm's)
	// has only force, manual and off and ignores if-safe with an error.
	EnrollAuto = "auto"
)

// EnrollModeFor maps CanvOS' AUTO_ENROLL_SECUREBOOT_KEYS: true enrolls our
// keys unattended on a machine in setup mode (enki --secure-boot-enroll
// force); false keeps enki's default (EnrollAuto).
func EnrollModeFor(autoEnroll bool) string {
	if autoEnroll {
		return EnrollForce
	}
	return EnrollAuto
}

// ParseEnrollMode checks a --secure-boot-enroll value.
func ParseEnrollMode(s string) (string, error) {
	switch s {
	case EnrollForce, EnrollIfSafe, EnrollManual, EnrollOff, EnrollAuto:
		return s, nil
	}
	return "", usererr.New("secure-boot-enroll", s, usererr.OneOf(EnrollAuto, EnrollForce, EnrollIfSafe, EnrollManual, EnrollOff))
}

// knowsIfSafe reports whether a systemd-boot image parses if-safe: its
// loader.conf parser compares against the NUL-terminated string, which
// systemd-boot 253 and later carry (checked: Debian trixie's 257 does,
// bookworm's 252 does not).
func knowsIfSafe(bootLoader *io.SectionReader) (bool, error) {
	b, err := io.ReadAll(io.NewSectionReader(bootLoader, 0, bootLoader.Size()))
	if err != nil {
		return false, fmt.Errorf("systemd-boot: %w", err)
	}
	return bytes.Contains(b, []byte(EnrollIfSafe+"\x00")), nil
}

// enrollMode is the secure-boot-enroll loader.conf gets: EnrollAuto
// resolved for o.BootLoader; if-safe refused where systemd-boot would
// ignore it.
func (o ESPOptions) enrollMode() (string, error) {
	mode, err := ParseEnrollMode(o.Enroll)
	if err != nil || (mode != EnrollAuto && mode != EnrollIfSafe) {
		return mode, err
	}
	ifSafe, err := knowsIfSafe(o.BootLoader)
	switch {
	case err != nil:
		return "", err
	case ifSafe:
		return EnrollIfSafe, nil
	case mode == EnrollAuto:
		return EnrollManual, nil
	}
	return "", usererr.New("secure-boot-enroll", mode, "auto, force, manual or off: this systemd-boot predates 253 and ignores if-safe")
}

// DefaultCmdline is the command line of Kairos' install-media UKIs, as enki
// build-uki writes it (kairos-io/enki pkg/constants: UkiCmdline + " " +
// UkiCmdlineInstall): serial and VGA consoles, immucore finding the OEM
// partition, UKI mode, and install-mode, which tells immucore and the
// Kairos agent that the UKI runs from install media.
const DefaultCmdline = "console=ttyS0 console=tty1 net.ifnames=1 rd.immucore.oemlabel=COS_OEM rd.immucore.debug rd.immucore.oemtimeout=2 rd.immucore.uki selinux=0 install-mode"

// DefaultName names the UKIs and their entries. The Kairos agent installs
// every ESP file whose name starts with "norole" once per role (active,
// passive, recovery, statereset), renaming it and the "efi" key of its entry
// (kairos-agent pkg/uki: UnassignedArtifactRole).
const DefaultName = "norole"

// DefaultExtendCmdline is CanvOS' CMDLINE for UKI builds: the entries boot
// into Palette registration.
const DefaultExtendCmdline = "stylus.registration"

// Entry is one boot entry of the ESP: a UKI in EFI/kairos and its
// loader/entries conf.
type Entry struct {
	Name    string // file name without .efi
	Cmdline string
}

// Entries returns one entry per command line, each extended with extend
// (enki --extend-cmdline; CanvOS passes CMDLINE), named name, name-1, ….
func Entries(name string, cmdlines []string, extend string) []Entry {
	out := make([]Entry, 0, len(cmdlines))
	for i, c := range cmdlines {
		e := Entry{Name: name, Cmdline: strings.TrimSpace(c + " " + extend)}
		if i > 0 {
			e.Name = name + "-" + strconv.Itoa(i)
		}
		out = append(out, e)
	}
	return out
}

// ESPOptions describe a systemd-boot ESP with signed UKIs.
type ESPOptions struct {
	UKI        Options           // kernel, initrd, stub, os-release, PCR key; Cmdline and Signer are set per entry
	Entries    []Entry           // one UKI each, in EFI/kairos; the first is the default
	BootLoader *io.SectionReader // systemd-bootx64.efi, unsigned; signed into EFI/BOOT/BOOTX64.EFI
	Keys       *secureboot.Tree  // db signs; PK/KEK/db .auth go to loader/keys/auto
	Enroll     string            // secure-boot-enroll mode, or EnrollAuto
	Timeout    int               // boot menu seconds (CanvOS: 5)
	Title      string            // menu title of the first entry; the others add their name (CanvOS BRANDING)
}

// Paths of the ESP.
const (
	BootLoaderPath = "EFI/BOOT/BOOTX64.EFI"
	LoaderConfPath = "loader/loader.conf"
	AutoKeysDir    = "loader/keys/auto"
	KairosDir      = "EFI/kairos"     // the UKIs, as enki lays them out
	EntriesDir     = "loader/entries" // one conf per UKI
)

// Validate checks o before anything is written, including that the keys
// systemd-boot would enroll trust the db key the UKIs are signed with: an
// ESP whose auto-enroll db lacks its own signer bricks the boot it enrolls.
func (o ESPOptions) Validate() error {
	if len(o.Entries) == 0 {
		return usererr.Newf("cmdline", "no boot entry: give at least one command line")
	}
	seen := map[string]bool{}
	for _, e := range o.Entries {
		if e.Name == "" || strings.ContainsAny(e.Name, "/\\ \n\r") || seen[e.Name] {
			return usererr.New("entry name", e.Name, "unique, non-empty, without slashes or spaces")
		}
		seen[e.Name] = true
		if strings.ContainsAny(e.Cmdline, "\n\r") {
			return usererr.New("cmdline", e.Cmdline, "one line")
		}
	}
	if strings.TrimSpace(o.Title) == "" || strings.ContainsAny(o.Title, "\n\r") {
		return usererr.New("title", o.Title, "one non-empty line (the Kairos agent needs a title on every entry)")
	}
	if o.BootLoader == nil {
		return usererr.Newf("systemd-boot", "no boot loader image")
	}
	if _, err := o.enrollMode(); err != nil {
		return err
	}
	if o.Timeout < 0 {
		return usererr.New("timeout", strconv.Itoa(o.Timeout), "0 or more seconds")
	}
	if o.Keys == nil || o.Keys.DB == nil {
		return usererr.Newf("keys", "no db key to sign with")
	}
	// The initrd may still be missing: callers pack it from a rootfs after
	// this cheap validation.
	if err := o.UKI.checkStub(); err != nil {
		return usererr.Newf("stub", "%v", err)
	}
	if o.UKI.Kernel == nil || o.UKI.Kernel.Size() == 0 {
		return usererr.Newf("kernel", "empty")
	}
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		if len(o.Keys.Enrollment[h].Auth) == 0 {
			return usererr.Newf("keys", "%s.auth missing", h)
		}
	}
	db, err := secureboot.ParseSignatureDatabase("db.esl", o.Keys.Enrollment[secureboot.DB].ESL)
	if err != nil {
		return err
	}
	certs, err := secureboot.Certificates(db)
	if err != nil {
		return err
	}
	for _, c := range certs {
		if bytes.Equal(c.Raw, o.Keys.DB.Certificate().Raw) {
			return nil
		}
	}
	return usererr.Newf("keys", "enrollment db.esl does not contain the db certificate %q that signs the UKIs",
		o.Keys.DB.Certificate().Subject.CommonName)
}

// WriteESP writes the ESP tree under dir as enki lays it out, so the Kairos
// agent can install from it: signed systemd-boot, one signed UKI per entry
// in EFI/kairos with its loader/entries conf, loader.conf (the first entry
// is the default) and the auto-enroll keys.
func WriteESP(dir string, o ESPOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	enroll, err := o.enrollMode()
	if err != nil {
		return err
	}
	o.UKI.printf("esp: secure-boot-enroll %s", enroll)
	conf, err := overlay.RenderLoaderConf(overlay.LoaderConf{Default: o.Entries[0].Name + ".conf", Timeout: o.Timeout, SecureBootEnroll: enroll})
	if err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		BootLoaderPath: func(w io.Writer) error { return Sign(o.BootLoader, w, o.Keys.DB) },
		LoaderConfPath: writeBytes(conf),
	}
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		files[path.Join(AutoKeysDir, h.String()+".auth")] = writeBytes(o.Keys.Enrollment[h].Auth)
	}
	for i, e := range o.Entries {
		u := o.UKI
		u.Cmdline, u.Signer = e.Cmdline, o.Keys.DB
		efi := path.Join(KairosDir, e.Name+".efi")
		files[efi] = func(w io.Writer) error { return Build(w, u) }
		title := o.Title
		if i > 0 {
			title += " (" + e.Name + ")"
		}
		entry, err := overlay.RenderEntryConf(overlay.EntryConf{Title: title, EFI: "/" + efi, Cmdline: e.Cmdline})
		if err != nil {
			return err
		}
		files[path.Join(EntriesDir, e.Name+".conf")] = writeBytes(entry)
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("esp: %w", err)
		}
		if err := outfile.Write(full, 0o644, files[p]); err != nil {
			return fmt.Errorf("esp: %w", err)
		}
		o.UKI.printf("esp: wrote %s", p)
	}
	return nil
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}
