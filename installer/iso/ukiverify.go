package iso

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"dagger/canvos/run"
)

// ESPFiles lists the files of the El Torito UEFI image of the ISO at p (r
// is its Inspect report) with mtools, reading the image in place at its
// byte offset (mtools' file@@offset): no copy, no mount, any FAT size.
func ESPFiles(ctx context.Context, p string, r Report) ([]string, error) {
	e := r.entry("UEFI")
	if e == nil {
		return nil, fmt.Errorf("esp: no UEFI El Torito entry")
	}
	out, err := run.Run(ctx, espListCmd(p, int64(e.LBA)*sector))
	if err != nil {
		return nil, fmt.Errorf("esp: %w", err)
	}
	var files []string
	for _, l := range strings.Split(string(out), "\n") {
		if f, ok := strings.CutPrefix(strings.TrimSpace(l), "::/"); ok && !strings.HasSuffix(f, "/") {
			files = append(files, f)
		}
	}
	return files, nil
}

// espListCmd lists every file of the FAT image at byte offset off of p,
// recursively, one "::/path" per line (directories end in "/").
func espListCmd(p string, off int64) run.Cmd {
	return run.Cmd{Name: "mdir", Args: []string{"-i", p + "@@" + strconv.FormatInt(off, 10), "-/", "-b", "::/"},
		Env: []string{"MTOOLS_SKIP_CHECK=1"}}
}

// UKIESPProblems lists what a UKI ISO's ESP lacks for systemd-boot to boot a
// UKI and for the Kairos agent to install from it: the boot loader at the
// removable-media path, loader.conf, and at least one UKI in EFI/kairos,
// each with its loader/entries conf of the same name (enki's layout).
func UKIESPProblems(files []string) []string {
	has := map[string]bool{}
	for _, f := range files {
		has[strings.ToLower(f)] = true
	}
	var out []string
	for _, want := range []string{"EFI/BOOT/BOOTX64.EFI", "loader/loader.conf"} {
		if !has[strings.ToLower(want)] {
			out = append(out, "ESP: missing /"+want)
		}
	}
	ukis := 0
	for _, f := range files {
		dir, name := path.Split(f)
		base, isEFI := strings.CutSuffix(strings.ToLower(name), ".efi")
		if !strings.EqualFold(dir, "EFI/kairos/") || !isEFI {
			continue
		}
		ukis++
		if !has["loader/entries/"+base+".conf"] {
			out = append(out, "ESP: /"+f+" has no /loader/entries/"+strings.TrimSuffix(name, path.Ext(name))+".conf")
		}
	}
	if ukis == 0 {
		out = append(out, "ESP: no UKI in /EFI/kairos")
	}
	return out
}
