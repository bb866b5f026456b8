// Package provider plans CanvOS' provider images (+provider-image, one per
// Kubernetes version): which trees from which images land where, in which
// order, under which tag. The plan is data; stage.go turns it into Dagger
// calls and package oci can apply its file steps without an engine.
package provider

import (
	"fmt"
	"path"
	"strings"

	"dagger/canvos/config"
	"dagger/canvos/imageplan"
	"dagger/canvos/usererr"
)

// Options are the inputs of one provider image. Every name (image
// references, luet package, tag) comes from config.Plan; this package
// computes none of them.
type Options struct {
	Config config.Config
	Names  config.Plan
	Image  config.ProviderImage
	// SystemdVersion is the base image's systemd major version; 255 and
	// later load Kubernetes and the agent provider as sysexts at runtime.
	SystemdVersion int
	// EdgeCustomConfig says the EDGE_CUSTOM_CONFIG file exists in the build
	// context (CanvOS copies it with --if-exists).
	EdgeCustomConfig bool
}

// SysextMinSystemd is the first systemd that loads the Kubernetes and agent
// provider system extensions Palette delivers (CanvOS CHECK_SYSTEMD_VERSION).
const SysextMinSystemd = 255

// Luet is the container that installs the Kubernetes payload (CanvOS
// +install-k8s); its /output tree is the Payload source.
type Luet struct {
	Image   string // helper image with a shell
	Binary  string // luet's path in the third-party image
	Install imageplan.Step
	// Output is the payload's directory in the helper container.
	Output string
}

// Plan is one provider image.
type Plan struct {
	Ref      string
	Platform string // linux/<arch>
	// Bundled is true when Kubernetes and the agent provider are in the image
	// (no sysext support, or forced).
	Bundled bool
	// Images are the image sources the steps read, by source.
	Images map[imageplan.Source]string
	// Luet is set when the payload is bundled.
	Luet *Luet
	// Steps build the provider rootfs on the base image. With IS_UKI this
	// rootfs becomes the signed UKI and Carrier is what is published.
	Steps   []imageplan.Step
	Carrier *Carrier
}

// Carrier is CanvOS' +uki-provider-image: a helper Ubuntu image that carries
// the signed UKI files in /trusted-boot and, when bundled, the Kubernetes
// payload in /k8s, for the agent to apply at upgrade. It is published as Ref.
type Carrier struct {
	From   string // the helper Ubuntu image, not the OS base
	Images map[imageplan.Source]string
	Steps  []imageplan.Step
}

// LuetAuthPath is where the optional luet registry auth secret is mounted
// in the luet container.
const LuetAuthPath = "/run/secrets/spectro-luet-auth.yaml"

// New plans one provider image. The configuration is validated by
// config.Load; New only checks that the names it uses are set.
func New(o Options) (Plan, error) {
	if err := o.validate(); err != nil {
		return Plan{}, err
	}
	n := o.Names
	p := Plan{
		Ref:      o.Image.Ref,
		Platform: n.Platform,
		Bundled:  o.SystemdVersion < SysextMinSystemd || o.Config.BundleK8sAndAgent,
		Images: map[imageplan.Source]string{
			imageplan.Stylus:     n.StylusFramework,
			imageplan.ThirdParty: n.ThirdPartyImage,
		},
	}
	if p.Bundled {
		p.Images[imageplan.AgentProvider] = n.AgentProvider
		p.Luet = &Luet{
			Image:  n.AlpineImage,
			Binary: ThirdPartyBinary("luet", n.BinType, string(n.Arch)),
			Install: imageplan.Step{Name: "install-k8s", Op: imageplan.Exec, From: imageplan.Scripts,
				Src: imageplan.LuetInstallScript, Args: []string{n.LuetRepo, o.Image.LuetPackage, LuetAuthPath}},
			Output: "/output",
		}
	}
	p.Steps = steps(o, p.Bundled)
	if o.Config.IsUKI {
		p.Carrier = carrier(o, p.Bundled)
	}
	return p, nil
}

// Plans plans every provider image of the configuration, in matrix order.
func Plans(c config.Config, n config.Plan, systemdVersion int, edgeCustomConfig bool) ([]Plan, error) {
	var out []Plan
	for _, img := range n.Providers {
		p, err := New(Options{Config: c, Names: n, Image: img, SystemdVersion: systemdVersion, EdgeCustomConfig: edgeCustomConfig})
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// steps lists the layers in the order of CanvOS' +provider-image.
func steps(o Options, bundled bool) []imageplan.Step {
	c, n := o.Config, o.Names
	distro, arch := string(c.OSDistribution), string(n.Arch)
	var s []imageplan.Step
	add := func(st ...imageplan.Step) { s = append(s, st...) }
	if c.UpdateKernel || (isKubeadm(c.K8sDistribution) && c.OSDistribution == config.Ubuntu && n.Arch == config.AMD64) {
		add(imageplan.KernelHeaders(distro))
	}
	add(imageplan.Step{Name: "overlay-etc", Op: imageplan.CopyDir, From: imageplan.Overlay, Src: "/etc", Dest: "/etc"})
	if bundled {
		add(
			imageplan.Step{Name: "agent-provider", Op: imageplan.CopyDir, From: imageplan.AgentProvider, Src: "/", Dest: "/"},
			imageplan.Step{Name: "agent-provider-path", Op: imageplan.Move,
				Src: "/usr/local/system/providers", Glob: "agent-provider-*", Dest: "/system/providers"},
			imageplan.Step{Name: "sysext-bundled-sentinel", Op: imageplan.Write,
				Dest: "/etc/spectro-sysext/k8s-and-agent-provider-bundled", Mode: 0o644},
		)
	}
	add(
		imageplan.Step{Name: "stylus-branding", Op: imageplan.CopyDir, From: imageplan.Stylus,
			Src: "/etc/kairos/branding", Dest: "/etc/kairos/branding"},
		imageplan.Step{Name: "stylus-80-stylus", Op: imageplan.CopyFile, From: imageplan.Stylus,
			Src: "/etc/kairos/80_stylus.yaml", Dest: "/etc/kairos/80_stylus.yaml", Optional: true},
		imageplan.Step{Name: "stylus-config", Op: imageplan.CopyFile, From: imageplan.Stylus,
			Src: "/oem/stylus_config.yaml", Dest: "/etc/kairos/branding/stylus_config.yaml"},
		imageplan.Step{Name: "stylus-elemental-config", Op: imageplan.CopyFile, From: imageplan.Stylus,
			Src: "/etc/elemental/config.yaml", Dest: "/etc/elemental/config.yaml"},
	)
	if o.EdgeCustomConfig {
		add(imageplan.Step{Name: "edge-custom-config", Op: imageplan.CopyFile, From: imageplan.Context,
			Src: path.Clean("/" + c.EdgeCustomConfig), Dest: "/oem/.edge_custom_config.yaml"})
	}
	switch {
	case bundled && c.IsUKI:
		// The binaries travel in the carrier's /k8s; the UKI links to them
		// where the agent puts them (CanvOS' slink farm).
		add(
			imageplan.Step{Name: "k8s-payload-links", Op: imageplan.LinkTree, From: imageplan.Payload, Src: "/", Dest: "/", Target: "/opt/k8s"},
			imageplan.Step{Name: "agent-provider-stylus-link", Op: imageplan.Symlink,
				Dest: "/usr/local/bin/agent-provider-stylus", Target: "/opt/spectrocloud/bin/agent-provider-stylus"},
		)
	case bundled:
		add(imageplan.Step{Name: "k8s-payload", Op: imageplan.CopyDir, From: imageplan.Payload, Src: "/", Dest: "/"})
	}
	add(
		imageplan.RemoveSSHHostKeys(),
		imageplan.Step{Name: "etcdctl", Op: imageplan.CopyFile, From: imageplan.ThirdParty,
			Src: ThirdPartyBinary("etcdctl", n.BinType, arch), Dest: "/usr/bin/etcdctl"},
		imageplan.EmptyMachineID(),
	)
	// nodeadm comes with the payload, so its extras need the payload bundled.
	if c.K8sDistribution == config.Nodeadm && c.OSDistribution == config.Ubuntu && bundled {
		add(imageplan.Step{Name: "nodeadm-extras", Op: imageplan.Exec, From: imageplan.Scripts,
			Src: imageplan.NodeadmScript, Args: []string{o.Image.K8sVersion}})
	}
	if c.TwoNode {
		add(imageplan.Step{Name: "two-node", Op: imageplan.Exec, From: imageplan.Scripts,
			Src: imageplan.TwoNodeScript, Args: []string{distro, arch, c.KineVersion}})
	}
	return s
}

// carrier lists the steps of CanvOS' +uki-provider-image.
func carrier(o Options, bundled bool) *Carrier {
	c, n := o.Config, o.Names
	car := &Carrier{
		From: n.UbuntuImage,
		Images: map[imageplan.Source]string{
			imageplan.KairosBase: n.BaseImage,
			imageplan.ThirdParty: n.ThirdPartyImage,
			imageplan.Stylus:     n.StylusFramework,
		},
	}
	add := func(st ...imageplan.Step) { car.Steps = append(car.Steps, st...) }
	add(
		imageplan.Step{Name: "rsync", Op: imageplan.Exec, From: imageplan.Scripts, Src: imageplan.AptInstallScript, Args: []string{"rsync"}},
		imageplan.Step{Name: "overlay-etc", Op: imageplan.CopyDir, From: imageplan.Overlay, Src: "/etc", Dest: "/etc"},
		imageplan.Step{Name: "luet", Op: imageplan.CopyFile, From: imageplan.ThirdParty,
			Src: ThirdPartyBinary("luet", n.BinType, string(n.Arch)), Dest: "/usr/bin/luet"},
		imageplan.Step{Name: "kairos-agent", Op: imageplan.CopyFile, From: imageplan.KairosBase,
			Src: "/usr/bin/kairos-agent", Dest: "/usr/bin/kairos-agent"},
		imageplan.Step{Name: "trusted-boot", Op: imageplan.CopyDir, From: imageplan.TrustedBoot, Src: "/", Dest: "/trusted-boot"},
	)
	if bundled {
		add(
			imageplan.Step{Name: "k8s-payload", Op: imageplan.CopyDir, From: imageplan.Payload, Src: "/", Dest: "/k8s"},
			imageplan.Step{Name: "sysext-bundled-sentinel", Op: imageplan.Write,
				Dest: "/etc/spectro-sysext/k8s-and-agent-provider-bundled", Mode: 0o644},
		)
	}
	if o.EdgeCustomConfig {
		add(imageplan.Step{Name: "edge-custom-config", Op: imageplan.CopyFile, From: imageplan.Context,
			Src: path.Clean("/" + c.EdgeCustomConfig), Dest: "/oem/.edge_custom_config.yaml"})
	}
	add(imageplan.Step{Name: "stylus-80-stylus", Op: imageplan.CopyFile, From: imageplan.Stylus,
		Src: "/etc/kairos/80_stylus.yaml", Dest: "/etc/kairos/80_stylus.yaml", Optional: true})
	return car
}

func isKubeadm(d config.K8sDistribution) bool { return d == config.Kubeadm || d == config.KubeadmFIPS }

// ThirdPartyBinary is a binary's path in the Spectro third-party image
// (CanvOS +download-third-party).
func ThirdPartyBinary(name, binType, arch string) string {
	return fmt.Sprintf("/binaries/%s/latest/%s/%s/%s", name, binType, arch, name)
}

func (o Options) validate() error {
	n := o.Names
	for _, f := range [][2]string{
		{"K8S_VERSION", o.Image.K8sVersion}, {"provider image reference", o.Image.Ref},
		{"luet package", o.Image.LuetPackage}, {"platform", n.Platform},
		{"stylus framework image", n.StylusFramework}, {"agent provider image", n.AgentProvider},
		{"SPECTRO_THIRD_PARTY_IMAGE", n.ThirdPartyImage}, {"ALPINE_IMG", n.AlpineImage},
		{"SPECTRO_LUET_REPO", n.LuetRepo}, {"third-party binary type", n.BinType},
	} {
		if f[1] == "" {
			return usererr.Newf(f[0], "empty; a provider image needs it")
		}
	}
	return nil
}

// String renders the plan for golden files and `canvos plan`-style output.
func (p Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ref:      %s\nplatform: %s\nbundled:  %t\n", p.Ref, p.Platform, p.Bundled)
	for _, src := range imageplan.Sources(p.Steps) {
		if ref, ok := p.Images[src]; ok {
			fmt.Fprintf(&b, "image %-15s %s\n", src+":", ref)
		}
	}
	if p.Luet != nil {
		fmt.Fprintf(&b, "luet:     %s + third-party:%s\n  %s\n", p.Luet.Image, p.Luet.Binary, p.Luet.Install)
	}
	writeSteps(&b, "steps:", p.Steps)
	if car := p.Carrier; car != nil {
		fmt.Fprintf(&b, "uki carrier from %s\n", car.From)
		for _, src := range imageplan.Sources(car.Steps) {
			if ref, ok := car.Images[src]; ok {
				fmt.Fprintf(&b, "image %-15s %s\n", src+":", ref)
			}
		}
		writeSteps(&b, "carrier steps:", car.Steps)
	}
	return b.String()
}

func writeSteps(b *strings.Builder, title string, steps []imageplan.Step) {
	b.WriteString(title + "\n")
	for i, s := range steps {
		fmt.Fprintf(b, "%2d %s\n", i+1, s)
	}
}
