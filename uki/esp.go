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

// systemd-boot's secure-boot-enroll modes (loader.conf(5), systemd 252).
const (
	EnrollForce  = "force"  // enroll loader/keys/auto when firmware is in setup mode
	EnrollManual = "manual" // offer the keys as a menu entry
	EnrollOff    = "off"
)

// EnrollModeFor maps CanvOS' AUTO_ENROLL_SECUREBOOT_KEYS: true enrolls our
// keys unattended on a machine in setup mode (enki --secure-boot-enroll
// force); false leaves it to the user at the boot menu.
func EnrollModeFor(autoEnroll bool) string {
	if autoEnroll {
		return EnrollForce
	}
	return EnrollManual
}

// ParseEnrollMode checks a --secure-boot-enroll value.
func ParseEnrollMode(s string) (string, error) {
	switch s {
	case EnrollForce, EnrollManual, EnrollOff:
		return s, nil
	}
	return "", usererr.New("secure-boot-enroll", s, usererr.OneOf(EnrollForce, EnrollManual, EnrollOff))
}

// DefaultCmdline is the base command line of Kairos UKIs (enki build-uki):
// serial and VGA consoles, immucore finding the OEM partition, UKI mode.
const DefaultCmdline = "console=ttyS0 console=tty1 net.ifnames=1 rd.immucore.oemlabel=COS_OEM rd.immucore.oemtimeout=2 rd.immucore.uki selinux=0"

// DefaultExtendCmdline is CanvOS' CMDLINE for UKI builds: the entries boot
// into Palette registration.
const DefaultExtendCmdline = "stylus.registration"

// Entry is one boot entry of the ESP: a UKI in EFI/Linux.
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
	Entries    []Entry           // one UKI each, in EFI/Linux
	BootLoader *io.SectionReader // systemd-bootx64.efi, unsigned; signed into EFI/BOOT/BOOTX64.EFI
	Keys       *secureboot.Tree  // db signs; PK/KEK/db .auth go to loader/keys/auto
	Enroll     string            // secure-boot-enroll mode
	Timeout    int               // boot menu seconds (CanvOS: 5)
}

// Paths of the ESP.
const (
	BootLoaderPath = "EFI/BOOT/BOOTX64.EFI"
	LoaderConfPath = "loader/loader.conf"
	AutoKeysDir    = "loader/keys/auto"
	LinuxDir       = "EFI/Linux"
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
		if e.Name == "" || strings.ContainsAny(e.Name, "/\\") || seen[e.Name] {
			return usererr.New("entry name", e.Name, "unique, non-empty, without slashes")
		}
		seen[e.Name] = true
	}
	if _, err := ParseEnrollMode(o.Enroll); err != nil {
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

// WriteESP writes the ESP tree under dir: signed systemd-boot, one signed
// UKI per entry, loader.conf and the auto-enroll keys.
func WriteESP(dir string, o ESPOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	conf, err := overlay.RenderLoaderConf(overlay.LoaderConf{Timeout: o.Timeout, SecureBootEnroll: o.Enroll})
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
	for _, e := range o.Entries {
		u := o.UKI
		u.Cmdline, u.Signer = e.Cmdline, o.Keys.DB
		files[path.Join(LinuxDir, e.Name+".efi")] = func(w io.Writer) error { return Build(w, u) }
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
