package overlay

import (
	"bytes"
	"embed"
	"fmt"
	"sync"
	"text/template"
)

//go:embed uki/*.tmpl
var ukiFS embed.FS

// LoaderConf is what systemd-boot's loader/loader.conf on a UKI ESP is
// rendered from (enki build-uki: the default entry, timeout 5, console-mode
// max, editor off).
type LoaderConf struct {
	Default string // the default entry's .conf file name
	Timeout int    // seconds the menu waits
	// SecureBootEnroll is systemd-boot's secure-boot-enroll: force, manual
	// or off (systemd 252 has no if-safe).
	SecureBootEnroll string
}

// EntryConf is one loader/entries/*.conf: a boot entry that starts a UKI
// (systemd-boot's "efi" key). The Kairos agent reads all three keys when it
// installs the entries: "efi" and "title" get the entry's role, "cmdline"
// is matched against its skip list (systemd-boot ignores it).
type EntryConf struct {
	Title   string
	EFI     string // absolute path on the ESP, e.g. /EFI/kairos/norole.efi
	Cmdline string
}

var ukiTemplates = sync.OnceValues(func() (*template.Template, error) {
	return template.New("uki").Option("missingkey=error").ParseFS(ukiFS, "uki/*.tmpl")
})

// RenderLoaderConf renders loader/loader.conf.
func RenderLoaderConf(c LoaderConf) ([]byte, error) {
	return renderUKI("loader.conf.tmpl", c)
}

// RenderEntryConf renders one loader/entries/*.conf.
func RenderEntryConf(c EntryConf) ([]byte, error) {
	return renderUKI("entry.conf.tmpl", c)
}

func renderUKI(name string, data any) ([]byte, error) {
	t, err := ukiTemplates()
	if err != nil {
		return nil, fmt.Errorf("overlay: uki templates: %w", err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("overlay: render %s: %w", name, err)
	}
	return b.Bytes(), nil
}
