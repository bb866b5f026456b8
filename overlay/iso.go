package overlay

import (
	"bytes"
	"embed"
	"fmt"
	"sync"
	"text/template"
)

//go:embed iso/*.tmpl
var isoFS embed.FS

// ISOGrub is what the installer ISO's GRUB files are rendered from.
type ISOGrub struct {
	Label        string // ISO volume label the configs search for (COS_LIVE)
	DefaultEntry int    // 0 = installer, 2 = interactive (FORCE_INTERACTIVE_INSTALL)
	Debug        bool   // append the Kairos/dracut debug arguments (DEBUG)
	HiddenEntry  bool   // the GRUB has hiddenentry: add CanvOS' hidden "t" text-mode entry
}

// The ISO's GRUB configurations, by ISO-overlay name.
const (
	ISOMenu      = "grub.cfg.tmpl"       // boot/grub2/grub.cfg: CanvOS' three entries
	ISOEFIStub   = "efi-grub.cfg.tmpl"   // EFI/BOOT/grub.cfg on the ESP: find the ISO by label
	ISOBIOSEarly = "bios-early.cfg.tmpl" // embedded in the BIOS core image: same, for i386-pc
)

var isoTemplates = sync.OnceValues(func() (*template.Template, error) {
	return template.New("iso").Option("missingkey=error").ParseFS(isoFS, "iso/*.tmpl")
})

// RenderISO renders one of the ISO's GRUB configurations.
func RenderISO(name string, g ISOGrub) ([]byte, error) {
	t, err := isoTemplates()
	if err != nil {
		return nil, fmt.Errorf("overlay: iso templates: %w", err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, g); err != nil {
		return nil, fmt.Errorf("overlay: render %s: %w", name, err)
	}
	return b.Bytes(), nil
}
