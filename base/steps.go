package base

import (
	"bytes"
	"embed"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"

	"dagger/canvos/overlay"
)

//go:embed scripts
var scriptsFS embed.FS

var templates = sync.OnceValues(func() (*template.Template, error) {
	return template.ParseFS(scriptsFS, "scripts/*")
})

// scriptData is what the script templates see.
type scriptData struct {
	Options
	OSVersion   string
	TrustDir    string
	TrustUpdate string
	KairosName  string
	KairosLabel string
	KernelArgs  string
	GPUScripts  []string
	CISScript   string

	MountRoot, CertsDir, CustomFilesDir, CustomScript, HooksDir, ProToken string
}

// trustStores: where each distribution takes extra CA certificates from and
// the command that rebuilds its bundle (CanvOS Dockerfile).
var trustStores = map[string][2]string{
	Ubuntu:       {"/usr/local/share/ca-certificates", "update-ca-certificates"},
	OpenSUSELeap: {"/usr/share/pki/trust/anchors", "update-ca-certificates"},
	SLES:         {"/usr/share/pki/trust/anchors", "update-ca-certificates"},
	RHEL:         {"/etc/pki/ca-trust/source/anchors", "update-ca-trust"},
}

func newScriptData(o Options) scriptData {
	label := fmt.Sprintf("%s-standard-%s-generic", o.osVersion(), o.Arch)
	if o.MAAS {
		label += "-maas"
	}
	args := []string{"systemd.unified_cgroup_hierarchy=1"}
	if !o.UKI {
		args = append(args, "rd.driver.blacklist=nouveau", "modprobe.blacklist=nouveau", "nouveau.modeset=0")
	}
	return scriptData{
		Options:     o,
		OSVersion:   o.osVersion(),
		TrustDir:    trustStores[o.Distro][0],
		TrustUpdate: trustStores[o.Distro][1],
		KairosName:  fmt.Sprintf("kairos-core-%s-%s", o.Distro, o.osVersion()),
		KairosLabel: label,
		KernelArgs:  strings.Join(args, " "),
		GPUScripts:  o.gpuScripts(),
		CISScript:   CISScript,

		MountRoot:      mountRoot,
		CertsDir:       certsMount,
		CustomFilesDir: customFilesMount,
		CustomScript:   customScriptMount,
		HooksDir:       hooksMount,
		ProToken:       proTokenMount,
	}
}

// planner collects steps; the first error sticks.
type planner struct {
	o     Options
	data  scriptData
	steps []Step
	err   error
}

// NewPlan validates o and plans the base image in CanvOS' order (canvos.md
// §6.1, §6.2): trust store, GPU lookup table, user customization, Kairos
// files, the distribution block, /etc/kairos-release, cleanup, kernel args.
func NewPlan(o Options) (Plan, error) {
	if err := o.Validate(); err != nil {
		return Plan{}, err
	}
	p := &planner{o: o, data: newScriptData(o)}
	p.userSteps()
	p.kairosFiles()
	switch o.Distro {
	case Ubuntu:
		p.ubuntu()
	case OpenSUSELeap:
		p.opensuse()
	case SLES:
		p.run(Step{Name: "suse-packages"}, "suse-packages.sh")
	case RHEL:
		p.run(Step{Name: "rhel-packages"}, "rhel-packages.sh")
	}
	p.run(Step{Name: "kairos-release"}, "kairos-release.sh")
	p.run(Step{Name: "cleanup"}, "cleanup.sh")
	p.run(Step{Name: "bootargs"}, "bootargs.sh")
	if p.err != nil {
		return Plan{}, fmt.Errorf("base: plan: %w", p.err)
	}
	plan := Plan{From: o.Image, BuildEnv: o.Proxy.env(), Steps: p.steps}
	if o.Dockerfile {
		plan.FromDockerfile = true
		plan.DockerBuildArgs = append([]Env{{"BASE", o.Image}, {"OS_DISTRIBUTION", o.Distro}, {"OS_VERSION", o.Version}}, o.Proxy.upper()...)
		if o.DRBDVersion != "" {
			plan.DockerBuildArgs = append(plan.DockerBuildArgs, Env{"DRBD_VERSION", o.DRBDVersion})
		}
	}
	return plan, nil
}

// userSteps are CanvOS' Dockerfile stage: certs, the GPU lookup table and the
// user's own additions, in that order, so users can replace the table. A
// user Dockerfile is that stage and ships its own table (CanvOS' copies it
// from the build context's overlay/files).
func (p *planner) userSteps() {
	if p.o.CACerts {
		p.run(Step{Name: "ca-certs", Mounts: []Mount{{CACerts, certsMount}}}, "ca-certs.sh")
	}
	if !p.o.Dockerfile {
		p.files("gpu-lookup", imageFile("/etc/spectrocloud/custom-hardware-specs-lookup.json"))
	}
	if p.o.CustomFiles {
		p.run(Step{Name: "custom-files", Mounts: []Mount{{CustomFiles, customFilesMount}}}, "custom-files.sh")
	}
	if p.o.CustomScript {
		p.run(Step{Name: "custom-script", Mounts: []Mount{{CustomScript, customScriptMount}}}, "custom-script.sh")
	}
}

// kairosFiles are the cloud-configs and dracut settings of canvos.md §6.2
// steps 1–4.
func (p *planner) kairosFiles() {
	var files []func() (overlay.File, error)
	if p.o.Jetson {
		files = append(files, overlay.JetsonMountConfig)
	}
	if p.o.UKI {
		files = append(files, overlay.UKICloudConfig)
	}
	if p.o.MAAS {
		files = append(files, overlay.MAASCloudConfig)
	}
	files = append(files, imageFile("/etc/dracut.conf.d/99-usb-media.conf"))
	p.files("kairos-files", files...)
}

// ubuntu is canvos.md §6.2 step 5. On arm64 only the packages (and Pro) run:
// see docs/base.md, "arm64".
func (p *planner) ubuntu() {
	amd64 := p.o.Arch == "amd64"
	apt := []Env{{"DEBIAN_FRONTEND", "noninteractive"}} // no debconf prompts (CanvOS #793)
	hooks := []Mount{{Hooks, hooksMount}}
	p.run(Step{Name: "ubuntu-packages", Env: apt}, "ubuntu-packages.sh")
	first := len(p.steps)
	if p.o.UbuntuPro {
		p.run(Step{Name: "ubuntu-pro-attach", Mounts: []Mount{{UbuntuProToken, proTokenMount}}}, "ubuntu-pro-attach.sh")
	}
	if amd64 {
		p.run(Step{Name: "ubuntu-kernel", Env: apt}, "ubuntu-kernel.sh")
	}
	if amd64 && !p.o.UKI {
		p.run(Step{Name: "ubuntu-upgrade", Env: apt}, "ubuntu-upgrade.sh")
	}
	if p.o.GPU.Vendor != "" {
		p.run(Step{Name: "gpu-" + p.o.GPU.Vendor, Mounts: hooks, Env: append(apt, p.gpuEnv()...)}, "gpu.sh")
	}
	if p.o.CISHardening {
		p.run(Step{Name: "cis-hardening", Mounts: hooks, Env: apt}, "cis.sh")
	}
	if p.o.UbuntuPro {
		p.run(Step{Name: "ubuntu-pro-detach"}, "ubuntu-pro-detach.sh")
		p.steps = append(p.steps[:first], proSession(p.steps[first:]))
	}
}

// opensuse is canvos.md §6.2 steps 6 and 7; the kernel part is amd64-only as
// in CanvOS.
func (p *planner) opensuse() {
	if p.o.Arch == "amd64" {
		p.run(Step{Name: "leap-kernel"}, "leap-kernel.sh")
	}
	p.run(Step{Name: "leap-packages"}, "leap-packages.sh")
	p.run(Step{Name: "suse-packages"}, "suse-packages.sh")
}

// gpuEnv is the GPU settings as sorted environment, with AMDGPU_ARTIFACT_PATH
// made absolute under the hooks mount.
func (p *planner) gpuEnv() []Env {
	var env []Env
	for _, k := range slices.Sorted(maps.Keys(p.o.GPU.Settings)) {
		v := p.o.GPU.Settings[k]
		if k == "AMDGPU_ARTIFACT_PATH" && v != "" {
			v = hooksMount + "/" + strings.TrimPrefix(v, "./")
		}
		env = append(env, Env{k, v})
	}
	return env
}

// proSession runs everything between Pro attach and detach as one step: the
// machine token that attach writes under /var/lib/ubuntu-advantage must never
// be committed to a layer of the image, and every step is a layer.
func proSession(steps []Step) Step {
	s := Step{Name: "ubuntu-pro"}
	var b strings.Builder
	b.WriteString("set -eu\n")
	for _, st := range steps {
		fmt.Fprintf(&b, "\n# --- %s\n(\n%s)\n", st.Name, st.Script)
		for _, m := range st.Mounts {
			if !slices.Contains(s.Mounts, m) {
				s.Mounts = append(s.Mounts, m)
			}
		}
		for _, e := range st.Env {
			if !slices.Contains(s.Env, e) {
				s.Env = append(s.Env, e)
			}
		}
	}
	s.Script = b.String()
	return s
}

// run adds step s with the rendered script template as its Script.
func (p *planner) run(s Step, script string) {
	if p.err != nil {
		return
	}
	s.Script, p.err = render(script, p.data)
	if p.err != nil {
		p.err = fmt.Errorf("%s: %w", s.Name, p.err)
		return
	}
	p.steps = append(p.steps, s)
}

// files adds a step that only writes files.
func (p *planner) files(name string, files ...func() (overlay.File, error)) {
	if p.err != nil {
		return
	}
	s := Step{Name: name}
	for _, get := range files {
		f, err := get()
		if err != nil {
			p.err = fmt.Errorf("%s: %w", name, err)
			return
		}
		s.Files = append(s.Files, File{Path: f.Path, Mode: f.Mode, Contents: string(f.Data)})
	}
	p.steps = append(p.steps, s)
}

func imageFile(path string) func() (overlay.File, error) {
	return func() (overlay.File, error) { return overlay.ImageFile(path) }
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// render executes a script template; blank lines left by false conditions
// collapse to one.
func render(name string, data scriptData) (string, error) {
	t, err := templates()
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(b.String(), "\n\n")) + "\n", nil
}

// env is the proxy as build-time environment, upper and lower case: apt,
// curl, zypper and yum each read a different one.
func (x Proxy) env() []Env {
	var env []Env
	for _, v := range x.upper() {
		env = append(env, v, Env{strings.ToLower(v.Name), v.Value})
	}
	return env
}

// upper is the proxy settings that are set, under CanvOS' names.
func (x Proxy) upper() []Env {
	var env []Env
	for _, v := range []Env{{"HTTP_PROXY", x.HTTP}, {"HTTPS_PROXY", x.HTTPS}, {"NO_PROXY", x.No}} {
		if v.Value != "" {
			env = append(env, v)
		}
	}
	return env
}
