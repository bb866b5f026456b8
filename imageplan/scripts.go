package imageplan

import (
	"embed"
	"io/fs"
)

// scripts are the shell steps that need the image's package manager; each
// is run by an Exec step with the file mounted, so none stays in the image.
//
//go:embed scripts/*.sh
var scripts embed.FS

// Script names, as Exec steps reference them in Src.
const (
	AptInstallScript    = "apt-install.sh"
	KernelHeadersScript = "kernel-headers.sh"
	LuetInstallScript   = "luet-install.sh"
	NodeadmScript       = "nodeadm.sh"
	TwoNodeScript       = "two-node.sh"
)

// ScriptFS returns the embedded scripts, one file per name at the root.
func ScriptFS() fs.FS {
	sub, err := fs.Sub(scripts, "scripts")
	if err != nil {
		panic(err) // the embed pattern above guarantees the directory
	}
	return sub
}

// KernelHeaders installs the headers of the image's kernel (CanvOS
// install-kernel-headers.sh).
func KernelHeaders(osDistribution string) Step {
	return Step{Name: "kernel-headers", Op: Exec, From: Scripts, Src: KernelHeadersScript, Args: []string{osDistribution}}
}
