// Package imageplan is the vocabulary of the container image stages: an
// ordered list of steps (copy a tree from a named source, write a file, move
// or remove paths, run a script) that the provider and installer stages plan
// as plain data. Two executors consume the same steps: stage.go translates
// them into Dagger calls, and package oci applies the file steps with
// go-containerregistry, which is how the plan is proven without an engine.
package imageplan

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Source names where a step takes its files from. Image sources are resolved
// through Plan.Images; the others are supplied by the caller.
type Source string

const (
	// Overlay is this module's overlay/files tree (CanvOS overlay/files/).
	Overlay Source = "overlay"
	// Stylus is the rootfs of the stylus framework image.
	Stylus Source = "stylus"
	// AgentProvider is the rootfs of the Kairos agent provider image.
	AgentProvider Source = "agent-provider"
	// ThirdParty is the rootfs of the Spectro third-party binaries image.
	ThirdParty Source = "third-party"
	// Payload is the luet Kubernetes payload (CanvOS +install-k8s /output).
	Payload Source = "k8s-payload"
	// Context is the user's build context (.arg directory).
	Context Source = "context"
	// KairosBase is the rootfs of the Kairos base image (BASE_IMAGE) itself.
	KairosBase Source = "kairos-base"
	// TrustedBoot is the signed UKI payload of a Trusted Boot provider.
	TrustedBoot Source = "trusted-boot"
	// LocalUI is the extracted local-ui.tar of the build context.
	LocalUI Source = "local-ui"
	// Scripts holds the embedded shell scripts that Exec steps run.
	Scripts Source = "scripts"
)

// Op is what a step does to the image.
type Op int

const (
	CopyDir  Op = iota + 1 // copy the tree Src of From onto Dest
	CopyFile               // copy the file Src of From to Dest
	Write                  // write Content to Dest with Mode
	Move                   // move the entries of Src matching Glob into Dest
	Remove                 // delete every path matching one of Paths (globs) but Except
	Chmod                  // set Mode on the file Dest
	Exec                   // run script Src of Scripts with Args
	Symlink                // make Dest a symbolic link to Target
	LinkTree               // for every file of Src in From, link Dest/<path> to Target/<path>
)

func (o Op) String() string {
	switch o {
	case CopyDir:
		return "copy-dir"
	case CopyFile:
		return "copy-file"
	case Write:
		return "write"
	case Move:
		return "move"
	case Remove:
		return "remove"
	case Chmod:
		return "chmod"
	case Exec:
		return "exec"
	case Symlink:
		return "symlink"
	case LinkTree:
		return "link-tree"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// Step is one change to the image, in CanvOS order. Every step becomes one
// layer when applied with package oci.
type Step struct {
	// Name says which CanvOS instruction the step reproduces.
	Name string
	Op   Op
	From Source
	Src  string
	Dest string
	// Optional skips a copy whose source is missing (COPY --if-exists).
	// Dest must keep the source's base name so executors can filter on it.
	Optional bool
	Mode     fs.FileMode
	Content  string
	Glob     string
	Target   string
	Paths    []string
	Except   []string
	Args     []string
}

// String renders the step on one line for golden files and logs.
func (s Step) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %-28s", s.Op, s.Name)
	switch s.Op {
	case CopyDir, CopyFile:
		fmt.Fprintf(&b, " %s:%s -> %s", s.From, s.Src, s.Dest)
		if s.Optional {
			b.WriteString(" (if exists)")
		}
	case Write:
		fmt.Fprintf(&b, " %s mode %04o %s", s.Dest, s.Mode.Perm(), summary(s.Content))
	case Move:
		fmt.Fprintf(&b, " %s/%s -> %s", s.Src, s.Glob, s.Dest)
	case Remove:
		fmt.Fprintf(&b, " %s", strings.Join(s.Paths, " "))
		if len(s.Except) > 0 {
			fmt.Fprintf(&b, " except %s", strings.Join(s.Except, " "))
		}
	case Chmod:
		fmt.Fprintf(&b, " %s mode %04o", s.Dest, s.Mode.Perm())
	case Exec:
		fmt.Fprintf(&b, " %s:%s %s", s.From, s.Src, strings.Join(s.Args, " "))
	case Symlink:
		fmt.Fprintf(&b, " %s -> %s", s.Dest, s.Target)
	case LinkTree:
		fmt.Fprintf(&b, " %s:%s -> %s (links to %s)", s.From, s.Src, s.Dest, s.Target)
	}
	return strings.TrimRight(b.String(), " ")
}

// summary quotes short contents and fingerprints long ones, so a golden file
// shows a script change without carrying the script.
func summary(content string) string {
	if len(content) <= 40 {
		return strconv.Quote(content)
	}
	return fmt.Sprintf("(%d bytes, sha256 %x)", len(content), sha256.Sum256([]byte(content)))
}

// Validate reports a step that no executor could apply the same way.
func (s Step) Validate() error {
	abs := func(p string) bool { return path.IsAbs(p) && path.Clean(p) == p }
	switch s.Op {
	case CopyDir, CopyFile:
		if s.From == "" || !abs(s.Dest) {
			return fmt.Errorf("imageplan: step %s: needs a source and a clean absolute destination", s.Name)
		}
		if s.Optional && (s.Op != CopyFile || path.Base(s.Src) != path.Base(s.Dest)) {
			return fmt.Errorf("imageplan: step %s: an optional copy is a file copy that keeps its base name %q", s.Name, path.Base(s.Src))
		}
	case Write, Chmod:
		if !abs(s.Dest) || s.Mode == 0 {
			return fmt.Errorf("imageplan: step %s: needs a clean absolute destination and a mode", s.Name)
		}
	case Move:
		if !abs(s.Src) || !abs(s.Dest) || s.Glob == "" {
			return fmt.Errorf("imageplan: step %s: needs absolute source and destination and a glob", s.Name)
		}
	case Remove:
		for _, p := range append(append([]string{}, s.Paths...), s.Except...) {
			if !abs(p) {
				return fmt.Errorf("imageplan: step %s: path %q is not clean and absolute", s.Name, p)
			}
		}
	case Symlink:
		if !abs(s.Dest) || s.Target == "" {
			return fmt.Errorf("imageplan: step %s: needs a clean absolute link path and a target", s.Name)
		}
	case LinkTree:
		if s.From == "" || !abs(s.Src) || !abs(s.Dest) || !abs(s.Target) {
			return fmt.Errorf("imageplan: step %s: needs a source and clean absolute source, destination and target", s.Name)
		}
	case Exec:
		if s.From != Scripts || s.Src == "" {
			return fmt.Errorf("imageplan: step %s: exec runs a script of %s", s.Name, Scripts)
		}
	default:
		return fmt.Errorf("imageplan: step %s: unknown op %d", s.Name, int(s.Op))
	}
	return nil
}

// Sources lists the distinct sources the steps read, in first-use order.
func Sources(steps []Step) []Source {
	var out []Source
	seen := map[Source]bool{}
	for _, s := range steps {
		if s.From != "" && !seen[s.From] {
			seen[s.From] = true
			out = append(out, s.From)
		}
	}
	return out
}

// Common steps shared by the provider and installer images.

// RemoveSSHHostKeys drops host keys and moduli so every node generates its own.
func RemoveSSHHostKeys() Step {
	return Step{Name: "remove-ssh-host-keys", Op: Remove, Paths: []string{"/etc/ssh/moduli", "/etc/ssh/ssh_host_*"}}
}

// EmptyMachineID leaves an empty read-only /etc/machine-id so systemd
// generates the ID on first boot.
func EmptyMachineID() Step {
	return Step{Name: "empty-machine-id", Op: Write, Dest: "/etc/machine-id", Mode: 0o444}
}
