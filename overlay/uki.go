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
// rendered from (CanvOS/enki: timeout 5, editor off).
type LoaderConf struct {
	Timeout int // seconds the menu waits
	// SecureBootEnroll is systemd-boot's secure-boot-enroll: force, manual
	// or off (systemd 252 has no if-safe).
	SecureBootEnroll string
}

var ukiTemplates = sync.OnceValues(func() (*template.Template, error) {
	return template.New("uki").Option("missingkey=error").ParseFS(ukiFS, "uki/*.tmpl")
})

// RenderLoaderConf renders loader/loader.conf.
func RenderLoaderConf(c LoaderConf) ([]byte, error) {
	t, err := ukiTemplates()
	if err != nil {
		return nil, fmt.Errorf("overlay: uki templates: %w", err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "loader.conf.tmpl", c); err != nil {
		return nil, fmt.Errorf("overlay: render loader.conf: %w", err)
	}
	return b.Bytes(), nil
}
