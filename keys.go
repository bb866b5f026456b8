package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"dagger/canvos/internal/dagger"
)

// Paths inside the worker container for uki-genkey.
const (
	genkeyOut      = "/out"
	genkeyExported = "/in/exported-keys"
	genkeyBYO      = "/in/byo"
	genkeyExtCert  = "/in/palette-sysext-cert.pem"
)

// UkiGenkey creates the Trusted Boot key tree, like CanvOS +uki-genkey does:
// private-keys/ (PK, KEK, db and the TPM PCR policy key, 0600),
// public-keys/ and enrollment/ (signature lists and signed .auth files for
// firmware or systemd-boot to enroll). Save it as secure-boot/ and keep
// PK.key and KEK.key offline. With your own keys (byoCerts and the three
// byo*Key secrets, CanvOS +uki-byok) only enrollment/ is returned and the
// private keys never leave the secrets. With ENROLL_SPECTRO_EXTENSION_CERT
// (default true) db also holds the Palette system-extension certificate,
// /palette-sysext-cert.pem of SPECTRO_EXTENSION_CERT_IMAGE.
// +cache="never"
func (m *Canvos) UkiGenkey(
	ctx context.Context,
	// Organisation in the certificate subjects ("<org> PK", ...); default MY_ORG from .arg
	// +optional
	org string,
	// Certificate validity in days; default EXPIRATION_IN_DAYS from .arg (5475)
	// +optional
	days int,
	// RSA key size of PK, KEK and db: 4096, or 2048 for firmware that needs it
	// +optional
	// +default=4096
	keySize int,
	// Leave Microsoft's KEK and db certificates out (also when .arg has INCLUDE_MS_SECUREBOOT_KEYS=false); hardware with option ROMs may not boot
	// +optional
	noMicrosoft bool,
	// KEK, db and dbx exported from the target's firmware (efi-readvar), kept in the lists; default secure-boot/exported-keys in the build context when present
	// +optional
	exportedKeys *dagger.Directory,
	// Bring your own keys: your certificates PK.pem, KEK.pem and db.pem (CanvOS secure-boot/public-keys)
	// +optional
	byoCerts *dagger.Directory,
	// Bring your own keys: the private key of PK.pem (PEM, PKCS#8 or PKCS#1)
	// +optional
	byoPkKey *dagger.Secret,
	// Bring your own keys: the private key of KEK.pem
	// +optional
	byoKekKey *dagger.Secret,
	// Bring your own keys: the private key of db.pem, checked against it so UKIs signed with it will boot
	// +optional
	byoDbKey *dagger.Secret,
	// SOURCE_DATE_EPOCH for the certificates' start and the .auth timestamps; now when 0
	// +optional
	sourceDateEpoch int,
) (*dagger.Directory, error) {
	cfg, err := m.resolve(ctx)
	if err != nil {
		return nil, err
	}
	args := []string{"canvos", "genkey"}
	if noMicrosoft || !cfg.IncludeMSSecureBootKeys {
		args = append(args, "--no-microsoft")
	}
	// The call is never cached, but its exec would be (by its inputs): a
	// nonce of its own makes every call generate new keys.
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	ctr := withEpoch(m.worker(cfg.Arch), sourceDateEpoch).WithEnvVariable("CANVOS_GENKEY_CALL", hex.EncodeToString(nonce))
	if exportedKeys, err = m.exportedKeys(ctx, exportedKeys); err != nil {
		return nil, err
	}
	if exportedKeys != nil {
		ctr = ctr.WithMountedDirectory(genkeyExported, exportedKeys)
		args = append(args, "--exported-keys", genkeyExported)
	}
	if cfg.EnrollSpectroExtCert { // as CanvOS' spectro-extension-cert target
		n := cfg.Plan()
		cert := dag.Container(dagger.ContainerOpts{Platform: dagger.Platform(n.Platform)}).From(n.ExtCertImage).File("/palette-sysext-cert.pem")
		ctr = ctr.WithMountedFile(genkeyExtCert, cert)
		args = append(args, "--extension-cert", genkeyExtCert)
	}
	byoKeys := []*dagger.Secret{byoPkKey, byoKekKey, byoDbKey}
	switch given := countNonNil(byoCerts, byoKeys); {
	case given == 0 && cfg.UKIBringYourOwnKeys:
		return nil, errors.New("uki-genkey: UKI_BRING_YOUR_OWN_KEYS=true: pass byo-certs, byo-pk-key, byo-kek-key and byo-db-key")
	case given == 0:
		args = append(args, "--org", cmp.Or(org, cfg.MyOrg),
			"--days", strconv.Itoa(cmp.Or(days, cfg.ExpirationInDays)), "--key-size", strconv.Itoa(keySize))
	case given < 4:
		return nil, errors.New("uki-genkey: bringing your own keys needs byo-certs, byo-pk-key, byo-kek-key and byo-db-key together")
	default:
		// Secrets are mounted on tmpfs: in no layer, argv or log.
		ctr = ctr.WithMountedDirectory(genkeyBYO+"/public-keys", byoCerts)
		for i, name := range []string{"PK", "KEK", "db"} {
			ctr = ctr.WithMountedSecret(genkeyBYO+"/private-keys/"+name+".key", byoKeys[i])
		}
		args = append(args, "--byo-keys", genkeyBYO)
	}
	return ctr.WithExec(append(args, "--out", genkeyOut)).Directory(genkeyOut), nil
}

func countNonNil(certs *dagger.Directory, keys []*dagger.Secret) int {
	n := 0
	if certs != nil {
		n++
	}
	for _, k := range keys {
		if k != nil {
			n++
		}
	}
	return n
}

// exportedKeys is dir, or else secure-boot/exported-keys of the build
// context when it exists (where CanvOS users put efi-readvar's output).
func (m *Canvos) exportedKeys(ctx context.Context, dir *dagger.Directory) (*dagger.Directory, error) {
	if dir != nil {
		return dir, nil
	}
	keys, err := m.contextDir(ctx, "secure-boot/exported-keys")
	if err != nil {
		return nil, fmt.Errorf("uki-genkey: build context: %w", err)
	}
	return keys, nil
}
