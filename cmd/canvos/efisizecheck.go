package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"os"

	"dagger/canvos/efiprobe"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "iso-efi-size-check", summary: "build the EFI size probe ISO (CanvOS +iso-efi-size-check): boot it to see if the firmware loads an EFI_MAX_SIZE MiB image", run: runEFISizeCheck})
}

func runEFISizeCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "iso-efi-size-check")
	o := efiprobe.Options{Printf: e.printf}
	fs.StringVar(&o.Shell, "shell", efiprobe.DefaultShell, "UEFI shell for x86-64 (Debian efi-shell-x64)")
	fs.IntVar(&o.MaxSize, "max-size", efiprobe.DefaultMaxSize, "EFI_MAX_SIZE: MiB of the EFI image the firmware must load")
	fs.IntVar(&o.ImgSize, "img-size", efiprobe.DefaultImgSize, "EFI_IMG_SIZE: MiB of the FAT ESP that holds it")
	fs.StringVar(&o.OutPath, "out", "", "ISO to write (FILE.iso; FILE.iso.sha256 is written beside it)")
	fs.StringVar(&o.ScratchDir, "scratch", "", "scratch directory (default: the system temp dir)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.OutPath == "" {
		return usererr.New("--out", "", "FILE.iso")
	}
	o.ScratchDir = cmp.Or(o.ScratchDir, os.TempDir())
	epoch, err := sourceDateEpoch("")
	if err != nil {
		return err
	}
	o.Epoch = epoch
	res, err := efiprobe.Build(ctx, o)
	if err != nil {
		return err
	}
	e.printf("iso-efi-size-check: %s (%d bytes, sha256 %s); boot it and read the %q line", res.Path, res.Size, hex.EncodeToString(res.SHA256[:]), efiprobe.Verdict+"PASS/FAIL")
	return nil
}
