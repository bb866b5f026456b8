package main

import (
	"context"
	"debug/pe"
	"io"

	"dagger/canvos/ctxio"
	"dagger/canvos/outfile"
	"dagger/canvos/uki"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "sign", summary: "Authenticode-sign an EFI image (systemd-boot, a UKI) with the db key", run: runSign})
}

func runSign(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "sign")
	sf := signFlags(fs)
	in := fs.String("in", "", "unsigned EFI image (e.g. /usr/lib/systemd/boot/efi/systemd-bootx64.efi)")
	out := fs.String("out", "", "signed image to write (e.g. BOOTX64.EFI)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := outfile.Check("--out", *out, outfile.Input{Flag: "--in", Path: *in}, outfile.Input{Flag: "--key", Path: *sf.key},
		outfile.Input{Flag: "--cert", Path: *sf.cert}); err != nil {
		return err
	}
	signer, err := sf.load()
	if err != nil {
		return err
	}
	f, err := openSection("--in", *in)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := pe.NewFile(f.SectionReader); err != nil {
		return usererr.Newf("--in", "%s: not a PE/COFF image (an EFI binary): %v", *in, err)
	}
	if err := outfile.Write(*out, 0o644, func(w io.Writer) error { return uki.Sign(f.SectionReader, ctxio.Writer(ctx, w), signer) }); err != nil {
		return err
	}
	e.printf("sign: wrote %s signed by %q", *out, signer.Certificate().Subject.CommonName)
	return nil
}
