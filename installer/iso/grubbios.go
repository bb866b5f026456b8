package iso

import (
	"os"
	"path/filepath"

	"dagger/canvos/run"
)

// biosModules go into the BIOS core image, so the menu needs no module files
// on the ISO. The first five are required (hasBIOSImages checks biosdisk and
// iso9660); the rest are taken when the GRUB build has them.
var (
	biosRequired = []string{"biosdisk", "iso9660", "normal", "linux", "search", "configfile"}
	biosOptional = []string{"part_msdos", "part_gpt", "search_label", "search_fs_file", "echo", "test",
		"cat", "gzio", "font", "gfxterm", "all_video", "vbe", "vga", "video_bochs", "video_cirrus", "serial", "terminal"}
)

// grubBIOSCmd builds GRUB's El Torito core image (cdboot.img + diskboot.img +
// kernel + modules): the BIOS CD boot image and, through the hybrid MBR, the
// BIOS USB boot path. earlyCfg finds the ISO by label and sets the prefix.
func grubBIOSCmd(dir, out, earlyCfg string) run.Cmd {
	args := []string{"-d", dir, "-O", "i386-pc-eltorito", "-o", out, "-p", "/boot/grub2", "-c", earlyCfg}
	args = append(args, biosRequired...)
	for _, m := range biosOptional {
		if _, err := os.Stat(filepath.Join(dir, m+".mod")); err == nil {
			args = append(args, m)
		}
	}
	return run.Cmd{Name: "grub-mkimage", Args: args}
}
