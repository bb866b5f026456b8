package base

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Plan is the base image as data: start From an image (or from the caller's
// Dockerfile built with DockerBuildArgs), set BuildEnv, run Steps in order,
// unset BuildEnv.
type Plan struct {
	From            string
	FromDockerfile  bool  // start from the Dockerfile input instead of From
	DockerBuildArgs []Env // CanvOS' build arguments, BASE = From
	BuildEnv        []Env // build-time only: removed before the image is returned
	Steps           []Step
}

// Step is one layer. Files are written first, then Script runs (when not
// empty) with Env set and Mounts present; Env and Mounts are removed again
// after the step, so neither reaches the image.
type Step struct {
	Name   string
	Files  []File
	Mounts []Mount
	Env    []Env
	Script string // POSIX sh, run as `sh -c`; starts with set -eu
}

// File is a file the step writes into the image.
type File struct {
	Path     string
	Mode     fs.FileMode
	Contents string
}

// Env is one environment variable.
type Env struct{ Name, Value string }

// Mount makes a caller-supplied input visible to a step's script.
type Mount struct {
	Input Input
	Path  string
}

// Input names what the caller supplies to the stage (see stage.go Inputs).
type Input int

const (
	CACerts        Input = iota + 1 // directory of CA certificates (CanvOS certs/)
	CustomFiles                     // directory copied onto / (user customization)
	CustomScript                    // file of shell commands run in the image (user customization)
	Hooks                           // directory with CanvOS' GPU and CIS scripts
	UbuntuProToken                  // secret: the Ubuntu Pro token
)

func (i Input) String() string {
	switch i {
	case CACerts:
		return "ca-certs"
	case CustomFiles:
		return "custom-files"
	case CustomScript:
		return "custom-script"
	case Hooks:
		return "hooks"
	case UbuntuProToken:
		return "ubuntu-pro-token (secret)"
	}
	return fmt.Sprintf("Input(%d)", int(i))
}

// Where inputs are mounted. They live under /run, which is a tmpfs on the
// booted system, and cleanup removes the mount points from the image.
const (
	mountRoot         = "/run/canvos"
	certsMount        = mountRoot + "/ca-certs"
	customFilesMount  = mountRoot + "/custom-files"
	customScriptMount = mountRoot + "/customize.sh"
	hooksMount        = mountRoot + "/hooks"
	proTokenMount     = mountRoot + "/secrets/ubuntu-pro-token"
)

// Inputs lists the inputs the plan's steps mount, in first-use order.
func (p Plan) Inputs() []Input {
	var in []Input
	for _, s := range p.Steps {
		for _, m := range s.Mounts {
			if !slices.Contains(in, m.Input) {
				in = append(in, m.Input)
			}
		}
	}
	return in
}

// Text renders the plan for people: golden files, `canvos plan`, reviews.
func (p Plan) Text() string {
	var b strings.Builder
	if p.FromDockerfile {
		b.WriteString("FROM DOCKERFILE\n")
		for _, e := range p.DockerBuildArgs {
			fmt.Fprintf(&b, "BUILD ARG %s=%s\n", e.Name, e.Value)
		}
	} else {
		fmt.Fprintf(&b, "FROM %s\n", p.From)
	}
	for _, e := range p.BuildEnv {
		fmt.Fprintf(&b, "BUILD ENV %s=%s\n", e.Name, e.Value)
	}
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "\n=== step %s\n", s.Name)
		for _, f := range s.Files {
			fmt.Fprintf(&b, "FILE %s %04o\n%s", f.Path, f.Mode, indent(f.Contents))
		}
		for _, m := range s.Mounts {
			fmt.Fprintf(&b, "MOUNT %s at %s\n", m.Input, m.Path)
		}
		for _, e := range s.Env {
			fmt.Fprintf(&b, "ENV %s=%s\n", e.Name, e.Value)
		}
		if s.Script != "" {
			fmt.Fprintf(&b, "RUN\n%s", indent(s.Script))
		}
	}
	return b.String()
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		if line != "" {
			b.WriteString("    " + line)
		}
		b.WriteString("\n")
	}
	return b.String()
}
