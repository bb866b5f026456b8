package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"dagger/canvos/outfile"
	"dagger/canvos/secureboot"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "genkey", summary: "create a Secure Boot key tree (PK, KEK, db, PCR key) and its enrollment files", run: runGenkey})
}

func runGenkey(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "genkey")
	org := fs.String("org", "", `organisation in the certificate subjects ("<org> PK", "<org> KEK", "<org> db"); required unless --byo-keys`)
	days := fs.Int("days", secureboot.DefaultDays, "certificate validity in days, from SOURCE_DATE_EPOCH")
	keySize := fs.Int("key-size", secureboot.DefaultKeySize, "RSA key size of PK, KEK and db: 4096 or 2048 (the PCR key is always 2048)")
	out := fs.String("out", "", "directory to write private-keys/, public-keys/ and enrollment/ to")
	noMS := fs.Bool("no-microsoft", false, "do not enroll Microsoft's KEK and db certificates (hardware with option ROMs may not boot)")
	exportedDir := fs.String("exported-keys", "", "directory with KEK, db and dbx exported from the machine's firmware (efi-readvar), kept in the lists")
	extCert := fs.String("extension-cert", "", "Palette system-extension certificate (PEM/DER; CanvOS /palette-sysext-cert.pem of SPECTRO_EXTENSION_CERT_IMAGE) to add to db, as ENROLL_SPECTRO_EXTENSION_CERT=true does")
	byo := fs.String("byo-keys", "", "directory with your own private-keys/ and public-keys/ (CanvOS layout): keep them, write only enrollment/")
	force := fs.Bool("force", false, "replace an existing key tree in --out; its private keys are lost")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkGenkeyFlags(fs, *out, *org, *byo); err != nil {
		return err
	}
	now, err := genkeyTime(e)
	if err != nil {
		return err
	}
	if *byo == "" {
		if err := (secureboot.KeyOptions{Org: *org, Days: *days, KeySize: *keySize, NotBefore: now}).Validate(); err != nil {
			return err
		}
	}
	eo := secureboot.EnrollOptions{Time: now, Microsoft: !*noMS, Printf: e.printf}
	if *exportedDir != "" {
		if eo.Exported, err = secureboot.LoadExported(*exportedDir); err != nil {
			return err
		}
	}
	if *extCert != "" {
		b, err := readInput("--extension-cert", *extCert)
		if err != nil {
			return err
		}
		if eo.Extension, err = secureboot.ParseExtensionCert("--extension-cert "+*extCert, b); err != nil {
			return err
		}
		e.printf("db: adding the system-extension certificate %q", eo.Extension.Subject.CommonName)
	}
	var files []secureboot.File
	if *byo != "" {
		files, err = byoEnrollment(e, *byo, eo)
	} else {
		files, err = newTree(e, secureboot.Options{Org: *org, Days: *days, KeySize: *keySize,
			Time: now, Microsoft: eo.Microsoft, Exported: eo.Exported, Extension: eo.Extension, Printf: e.printf})
	}
	if err != nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if err := writeTree(*out, files, *force); err != nil {
		return err
	}
	e.printf("wrote %d files to %s", len(files), *out)
	if *byo == "" {
		e.printf("keep private-keys/PK.key and KEK.key offline; back up tpm2-pcr-private.pem: without it, new UKIs cannot unlock disks encrypted under the old PCR policy")
	}
	return nil
}

// writeTree writes the key files into out: a new out is staged and renamed
// whole (a full disk leaves no half tree and no empty directories), an
// existing one gets each file atomically (WriteFiles).
func writeTree(out string, files []secureboot.File, force bool) error {
	if _, err := os.Lstat(out); err == nil {
		return secureboot.WriteFiles(out, files, force)
	}
	tree, err := outfile.CreateDir(out, 0o755)
	if err != nil {
		return err
	}
	defer tree.Abort()
	if err := secureboot.WriteFiles(tree.Path, files, force); err != nil {
		return err
	}
	return tree.Commit()
}

// checkGenkeyFlags rejects combinations that would silently do nothing and
// an --out that would fail late or expose private keys.
func checkGenkeyFlags(fs *flag.FlagSet, out, org, byo string) error {
	if err := checkKeyDir(out); err != nil {
		return err
	}
	if byo == "" {
		if org == "" {
			return usererr.New("--org", "", "the organisation name for the certificate subjects")
		}
		return nil
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "org" || f.Name == "days" || f.Name == "key-size" {
			err = usererr.Newf("--"+f.Name, "has no effect with --byo-keys: your certificates are used as they are")
		}
	})
	return err
}

// checkKeyDir accepts a new --out in an existing directory, or an existing
// key tree directory whose private-keys/ only its owner can write: keys
// written into a directory others can write could be swapped by them.
func checkKeyDir(out string) error {
	if out == "" {
		return usererr.New("--out", "", "a directory for the key tree")
	}
	if fi, err := os.Stat(filepath.Dir(filepath.Clean(out))); err != nil || !fi.IsDir() {
		return usererr.New("--out", out, "a new or existing directory in an existing one")
	}
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return usererr.New("--out", out, "a directory, not a file")
	}
	for _, d := range []string{out, filepath.Join(out, "private-keys")} {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o022 != 0 {
			return usererr.Newf("--out", "%s is writable by others (mode %04o): chmod go-w it, or use a new --out", d, fi.Mode().Perm())
		}
	}
	return nil
}

// genkeyTime is SOURCE_DATE_EPOCH, the certificates' start and the .auth
// timestamp. Unset, key generation is the one place the current time is
// acceptable: new keys are new anyway. A time whose certificates would
// already have expired is refused.
func genkeyTime(e *env) (time.Time, error) {
	v, ok := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok {
		e.printf("SOURCE_DATE_EPOCH not set: certificates start and .auth files are stamped now")
		return time.Now().UTC().Truncate(time.Second), nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return time.Time{}, usererr.New("SOURCE_DATE_EPOCH", v, "seconds since 1970-01-01 UTC")
	}
	return time.Unix(sec, 0).UTC(), nil
}

func newTree(e *env, o secureboot.Options) ([]secureboot.File, error) {
	if o.Days > 0 && o.Time.AddDate(0, 0, o.Days).Before(time.Now()) {
		return nil, usererr.Newf("SOURCE_DATE_EPOCH", "certificates starting %s for %d days would already have expired", o.Time.Format(time.DateOnly), o.Days)
	}
	e.printf("generating %d-bit RSA keys for %q (PK, KEK, db) and the 2048-bit PCR key", o.KeySize, o.Org)
	tree, err := secureboot.Generate(o)
	if err != nil {
		return nil, err
	}
	return tree.Files()
}

func byoEnrollment(e *env, dir string, eo secureboot.EnrollOptions) ([]secureboot.File, error) {
	keys, err := secureboot.LoadKeys(dir)
	if err != nil {
		return nil, err
	}
	for _, h := range []secureboot.Hierarchy{secureboot.PK, secureboot.KEK, secureboot.DB} {
		if c := keys.Key(h).Certificate(); c.NotAfter.Before(eo.Time) {
			return nil, usererr.Newf(dir+"/"+secureboot.CertPath(h), "certificate %q expired on %s", c.Subject.CommonName, c.NotAfter.Format(time.DateOnly))
		}
	}
	e.printf("using your keys from %s; writing enrollment files only", dir)
	enrollment, err := secureboot.Enroll(keys, eo)
	if err != nil {
		return nil, err
	}
	return enrollment.Files(), nil
}
