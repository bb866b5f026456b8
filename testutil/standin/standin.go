// Package standin builds stand-ins for the images a build pulls — Kairos
// base, stylus framework, agent provider, luet payload tools, third-party
// binaries, alpine helper — from Debian packages and small stubs, so the
// module can run end to end on an engine that reaches no Palette registry
// (air-gapped, or this project's test engine). The references come from the
// build's own plan, so the stand-ins sit exactly where the mirror parameters
// (SPECTRO_PUB_REPO, KAIROS_BASE_IMAGE_URL, SPECTRO_LUET_REPO, …) point.
//
// The stand-ins prove wiring and layouts, not Palette behaviour: the
// stylus agent, the agent provider and luet are shell stubs that record how
// they were called. The base is a Debian rootfs (debootstrap) with the
// Kairos-side files the build reads and a dracut stand-in that writes a
// busybox live initramfs, so the ISO built from it boots in QEMU to a
// marker read from inside its rootfs.squashfs.
package standin

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"dagger/canvos/config"
)

// Marker is written to /etc/canvos-marker of the base: a live boot of an
// ISO built from it prints it from inside rootfs.squashfs.
const Marker = "canvos-standin-base"

// Image is one stand-in: where the build pulls it from and its tree.
type Image struct {
	Ref  string
	Tree func(ctx context.Context, dir string) error // fills dir with the image's rootfs
}

// Images are the stand-ins the plan's build pulls. cacheDir keeps the
// debootstrapped base between runs.
func Images(c config.Config, cacheDir string) []Image {
	p := c.Plan()
	arch, k8s := string(p.Arch), string(c.K8sDistribution)
	imgs := []Image{
		{Ref: p.BaseImage, Tree: func(ctx context.Context, dir string) error { return base(ctx, dir, cacheDir) }},
		{Ref: p.StylusFramework, Tree: files(stylusFiles)},
		{Ref: p.AgentProvider, Tree: files(map[string]string{
			"usr/local/system/providers/agent-provider-" + k8s: stub("agent-provider-" + k8s),
		})},
		{Ref: p.ThirdPartyImage, Tree: func(ctx context.Context, dir string) error {
			if err := luet(ctx, dir, arch); err != nil {
				return err
			}
			return files(map[string]string{"binaries/etcdctl/latest/palette/" + arch + "/etcdctl": stub("etcdctl")})(ctx, dir)
		}},
		{Ref: p.AlpineImage, Tree: busybox},
		// The stylus package image packed onto UKI ISOs, and the Palette
		// system-extension certificate enrolled into db (a self-signed
		// stand-in made here).
		{Ref: p.StylusPackage, Tree: files(stylusFiles)},
		{Ref: p.ExtCertImage, Tree: extCert},
		// palette-edge-cli validate -f FILE, as validate-user-data runs it.
		{Ref: p.CLIImage, Tree: func(ctx context.Context, dir string) error {
			if err := busybox(ctx, dir); err != nil {
				return err
			}
			return files(map[string]string{"usr/local/bin/palette-edge-cli": paletteEdgeCLI})(ctx, dir)
		}},
	}
	return imgs
}

// Build turns the tree into a one-layer image (GNU tar keeps owners, modes,
// links and device nodes) for platform linux/<arch>. The layer's tar stays
// in scratch, which must outlive the image.
func Build(ctx context.Context, img Image, arch, scratch string) (v1.Image, error) {
	dir, err := os.MkdirTemp(scratch, "tree-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := img.Tree(ctx, dir); err != nil {
		return nil, fmt.Errorf("standin %s: %w", img.Ref, err)
	}
	layerFile := dir + ".tar"
	if err := run(ctx, "tar", "--numeric-owner", "--xattrs", "--sort=name", "-C", dir, "-cf", layerFile, "."); err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromFile(layerFile)
	if err != nil {
		return nil, err
	}
	out, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := out.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	return mutate.ConfigFile(out, cfg)
}

// stub is a script that says which stand-in it is and how it was called.
func stub(name string) string {
	return "#!/bin/sh\necho \"" + name + " (canvos stand-in) $*\"\n"
}

// luet builds the luet stand-in (package luet beside this one) as a static
// executable into dir.
func luet(ctx context.Context, dir, arch string) error {
	p := filepath.Join(dir, "binaries/luet/latest/palette", arch, "luet")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", p, "dagger/canvos/testutil/standin/luet")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build the luet stand-in: %v: %s", err, out)
	}
	return nil
}

// paletteEdgeCLI stands in for `palette-edge-cli validate -f FILE`: it
// refuses a file that does not start with #cloud-config, so a test sees
// its verdict reach the build.
const paletteEdgeCLI = `#!/bin/sh
[ "$1 $2" = "validate -f" ] || { echo "palette-edge-cli stand-in: unexpected: $*" >&2; exit 2; }
head -n 1 "$3" | grep -q '^#cloud-config' || { echo "palette-edge-cli stand-in: $3: not a #cloud-config" >&2; exit 1; }
echo "palette-edge-cli stand-in: $3 is valid"
`

// stylusFiles are the stylus framework paths the installer and provider
// plans copy (docs/provider.md, steps 4).
var stylusFiles = map[string]string{
	"etc/kairos/branding/interactive_install_text": "Palette eXtended Kubernetes Edge Interactive Installer (stand-in)\n",
	"etc/kairos/80_stylus.yaml":                    "#cloud-config\nstages: {}\n",
	"oem/stylus_config.yaml":                       "stylus:\n  standin: true\n",
	"etc/elemental/config.yaml":                    "# stand-in\n",
	"opt/spectrocloud/bin/agent-provider-stylus":   stub("agent-provider-stylus"),
	"opt/spectrocloud/bin/palette-tui":             stub("palette-tui"),
	"usr/bin/luet":                                 stub("luet"),
}

// extCert writes /palette-sysext-cert.pem: a fresh self-signed certificate
// standing in for Palette's system-extension signer.
func extCert(ctx context.Context, dir string) error {
	return run(ctx, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
		"-subj", "/CN=canvos stand-in sysext", "-keyout", os.DevNull, "-out", filepath.Join(dir, "palette-sysext-cert.pem"))
}

// files writes a tree of small files; executables are those starting #!.
func files(tree map[string]string) func(context.Context, string) error {
	return func(_ context.Context, dir string) error {
		for name, data := range tree {
			mode := os.FileMode(0o644)
			if strings.HasPrefix(data, "#!") {
				mode = 0o755
			}
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, []byte(data), mode); err != nil {
				return err
			}
		}
		return nil
	}
}

// busybox stands in for the alpine helper image: Debian's busybox-static
// with its applets linked, enough for the sh/tar steps that run in it.
func busybox(ctx context.Context, dir string) error {
	deb, err := download(ctx, "busybox-static", filepath.Dir(dir))
	if err != nil {
		return err
	}
	x, err := os.MkdirTemp(filepath.Dir(dir), "busybox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(x)
	if err := run(ctx, "dpkg-deb", "-x", deb, x); err != nil {
		return err
	}
	for _, d := range []string{"bin", "tmp", "etc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := run(ctx, "cp", filepath.Join(x, "bin/busybox"), filepath.Join(dir, "bin/busybox")); err != nil {
		return err
	}
	return run(ctx, "chroot", dir, "/bin/busybox", "--install", "-s", "/bin")
}

// download fetches a Debian package's .deb into dir with apt-get.
func download(ctx context.Context, pkg, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "apt-get", "download", "-q", pkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("apt-get download %s: %v: %s", pkg, err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(debs) == 0 {
		return "", fmt.Errorf("apt-get download %s: no .deb", pkg)
	}
	return debs[len(debs)-1], nil
}

func run(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
