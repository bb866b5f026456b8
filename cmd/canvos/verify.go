package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"dagger/canvos/installer/iso"
	"dagger/canvos/usererr"
)

func init() {
	register(command{name: "verify", summary: "check an installer ISO: boot entries, label, live files, hybrid MBR", run: runVerify})
}

// errVerify marks an ISO that lacks something required (exit code 1).
var errVerify = errors.New("verification failed")

func runVerify(ctx context.Context, e *env, args []string) error {
	var x iso.Expect
	var arch string
	fs := newFlags(e, "verify")
	fs.StringVar(&x.Label, "label", iso.DefaultLabel, "expected volume label (empty: any)")
	fs.BoolVar(&x.BIOS, "bios", true, "require BIOS boot (El Torito entry + MBR boot code)")
	fs.BoolVar(&x.Hybrid, "hybrid", true, "require an EFI system partition in the MBR or GPT (USB UEFI boot)")
	fs.BoolVar(&x.UserData, "user-data", false, "require user-data (config.yaml)")
	fs.BoolVar(&x.UKI, "uki", false, "a UKI ISO (canvos uki-iso): UEFI only, no live files, systemd-boot + UKIs on the ESP (mdir); label default "+iso.UKILabel+", --bios default false")
	fs.StringVar(&arch, "arch", "", "check the ESP holds this architecture's boot chain (amd64: BOOTX64.EFI + grubx64.efi, arm64: BOOTAA64.EFI + grubaa64.efi); arm64: --bios default false")
	// The ISO is the one positional argument; flags may come before it.
	if err := fs.Parse(args); err != nil {
		return parseFlags(fs, args)
	}
	if fs.NArg() != 1 {
		return usererr.New("FILE.iso", strings.Join(fs.Args(), " "), "exactly one ISO path")
	}
	ukiDefaults(fs, &x)
	if err := archDefaults(fs, &x, iso.Arch(arch)); err != nil {
		return err
	}
	r, err := iso.Inspect(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("verify %s: %w", fs.Arg(0), err)
	}
	printReport(e, fs.Arg(0), r)
	problems := r.Problems(x)
	if x.UKI {
		esp, err := ukiESPProblems(ctx, e, fs.Arg(0), r)
		if err != nil {
			return err
		}
		problems = append(problems, esp...)
	} else if arch != "" {
		esp, err := archESPProblems(ctx, e, fs.Arg(0), r, iso.Arch(arch))
		if err != nil {
			return err
		}
		problems = append(problems, esp...)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(e.stdout, "FAIL  %s\n", p)
		}
		return fmt.Errorf("%s: %w: %s", fs.Arg(0), errVerify, strings.Join(problems, "; "))
	}
	fmt.Fprintln(e.stdout, "OK")
	return nil
}

func printReport(e *env, p string, r iso.Report) {
	w := e.stdout
	fmt.Fprintf(w, "iso:    %s (%d bytes)\nlabel:  %s\n", p, r.Size, r.Label)
	for _, b := range r.Boot {
		fmt.Fprintf(w, "boot:   %-4s bootable=%v emulation=%d sectors=%d lba=%d\n", b.Platform, b.Bootable, b.Emulation, b.Sectors, b.LBA)
	}
	for _, f := range []string{"boot/kernel", "boot/initrd", "rootfs.squashfs", "boot/grub2/grub.cfg", "config.yaml",
		"files-iso/config.yaml", "opt/spectrocloud/clusterconfig/spc.tgz", ".edge_custom_config.yaml"} {
		if n, ok := r.Files[f]; ok {
			fmt.Fprintf(w, "file:   /%s (%d bytes)\n", f, n)
		} else {
			fmt.Fprintf(w, "file:   /%s absent\n", f)
		}
	}
	for _, c := range r.ContentFor {
		fmt.Fprintf(w, "content: /%s (%d bytes)\n", c, r.Files[c])
	}
	if r.SHA256File != "" && r.SHA256Bad == "" {
		fmt.Fprintf(w, "sha256: matches %s\n", filepath.Base(r.SHA256File))
	}
	if r.MBR == nil {
		fmt.Fprintln(w, "mbr:    none")
		return
	}
	fmt.Fprintf(w, "mbr:    boot code=%v\n", r.MBR.BootCode)
	for _, pt := range r.MBR.Partitions {
		fmt.Fprintf(w, "part:   %d type=0x%02x bootable=%v start=%d sectors=%d\n", pt.Index, pt.Type, pt.Bootable, pt.Start, pt.Len)
	}
	for _, pt := range r.GPT {
		fmt.Fprintf(w, "gpt:    %d type=%s name=%q start=%d end=%d\n", pt.Index, pt.Type, pt.Name, pt.Start, pt.End)
	}
}
