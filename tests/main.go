// Checks of the canvos module that need a Dagger engine: run them with
// `dagger check -m tests` (CI: .github/workflows/ci.yml). Everything that
// can run without an engine is tested by `go test` in the root module; these
// checks cover the wiring: configuration loading in the engine, key
// generation, an ISO and a cloud image from a small rootfs built in a
// container, provider images pushed to a registry service inside the engine,
// aws-cloud-image in dry-run mode, the offline user-data checks, the EFI
// size probe ISO and the secure-boot/ layout.
package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"dagger/tests/internal/dagger"
)

// Tests is the test module.
type Tests struct{}

// The .arg.template values of CanvOS, with one Kubernetes version so the
// provider checks build a single image.
const (
	k8sVersion  = "1.33.5"
	providerTag = "k3s-1.33.5-v4.10.0-rc.2-demo"
)

func canvos() *dagger.Canvos {
	src := dag.CurrentModule().Source().Directory("testdata")
	return dag.Canvos(dagger.CanvosOpts{Source: src, ArgFile: src.File("template.arg"), KubernetesVersion: k8sVersion})
}

// Plan checks that the engine loads the .arg file and derives CanvOS' names.
// +check
func (t *Tests) Plan(ctx context.Context) error {
	out, err := canvos().Plan(ctx)
	if err != nil {
		return err
	}
	return containsAll(out, "ttl.sh/ubuntu:"+providerTag, "PASTE THE CONTENT BELOW INTO YOUR CLUSTER PROFILE")
}

// AwsCloudImageDryRun checks that the engine runs aws-cloud-image's flow
// in the worker, with the .arg parameters as tags, without credentials or calls.
// +check
func (t *Tests) AwsCloudImageDryRun(ctx context.Context) error {
	raw := dag.Directory().WithNewFile("edge.raw", strings.Repeat("kairos", 1<<18)).File("edge.raw")
	out, err := canvos().AwsCloudImage(ctx, raw, dagger.CanvosAwsCloudImageOpts{Region: "eu-central-1", Bucket: "edge-images", DryRun: true})
	if err != nil {
		return err
	}
	return containsAll(out, "s3 CreateMultipartUpload Bucket=edge-images Key=edge.raw",
		`ec2 RegisterImage Name="edge.raw" Architecture=x86_64 BootMode=uefi EnaSupport=true`, `canvos:K8S_VERSION="`+k8sVersion+`"`)
}

// Genkey checks the generated key tree's layout and that openssl reads the
// db certificate with the organisation asked for.
// +check
func (t *Tests) Genkey(ctx context.Context) error {
	keys := canvos().UkiGenkey(dagger.CanvosUkiGenkeyOpts{Org: "Dagger Test", KeySize: 2048, SourceDateEpoch: 1700000000})
	for dir, want := range map[string][]string{
		"private-keys": {"PK.key", "KEK.key", "db.key", "tpm2-pcr-private.pem"},
		"public-keys":  {"PK.pem", "KEK.pem", "db.pem"},
		"enrollment":   {"PK.auth", "KEK.auth", "db.auth", "PK.esl", "KEK.esl", "db.esl"},
	} {
		got, err := keys.Directory(dir).Entries(ctx)
		if err != nil {
			return err
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				return fmt.Errorf("unexpected output: wanted %q in %s, got %q", w, dir, got)
			}
		}
	}
	subject, err := dag.Container().From(debianImage).
		WithExec(aptInstall("openssl")).
		WithMountedDirectory("/keys", keys).
		WithExec([]string{"openssl", "x509", "-noout", "-subject", "-in", "/keys/public-keys/db.pem"}).
		Stdout(ctx)
	if err != nil {
		return err
	}
	if !strings.Contains(subject, "Dagger Test") {
		return fmt.Errorf("unexpected output: wanted %q, got %q", "Dagger Test", subject)
	}
	return nil
}

// IsoFromSmallRootfs makes the installer ISO from the small rootfs and checks
// it with xorriso (both El Torito entries) and sha256sum.
// +check
func (t *Tests) IsoFromSmallRootfs(ctx context.Context) error {
	iso := canvos().Iso(dagger.CanvosIsoOpts{Rootfs: smallRootfs(), SourceDateEpoch: 1700000000})
	out, err := inspect(ctx, iso, "xorriso", `sha256sum -c palette-edge-installer.iso.sha256
xorriso -indev palette-edge-installer.iso -report_el_torito plain 2>&1`)
	if err != nil {
		return err
	}
	return containsAll(out, "palette-edge-installer.iso: OK", "BIOS", "UEFI")
}

// smallRootfs is a small Debian rootfs (cloud kernel with its initrd, signed
// shim and GRUB, GRUB for BIOS) in the Kairos layout, amd64 whatever the
// engine's platform.
func smallRootfs() *dagger.Directory {
	return dag.Container(dagger.ContainerOpts{Platform: "linux/amd64"}).From(debianImage).
		WithExec(aptInstall("linux-image-cloud-amd64", "initramfs-tools", "shim-signed", "grub-efi-amd64-signed", "grub-pc-bin")).
		WithExec([]string{"sh", "-c", `set -eu; cd /boot; ln -sf vmlinuz-* vmlinuz; ln -sf initrd.img-* initrd`}).
		Rootfs()
}

// CloudImageFromSmallRootfs makes a cloud image from the small rootfs with
// one content bundle and checks it with sha256sum and sgdisk: the fourth
// partition is COS_CONTENT.
// +check
func (t *Tests) CloudImageFromSmallRootfs(ctx context.Context) error {
	rootfs := smallRootfs().WithNewFile("etc/cos/grub.cfg", "set timeout=1\n")
	content := dag.Directory().WithNewFile("core.zst", "bundle")
	disk := canvos().CloudImage(dagger.CanvosCloudImageOpts{Rootfs: rootfs, Content: content, ImageName: "edge-cloud", SourceDateEpoch: 1700000000})
	out, err := inspect(ctx, disk, "gdisk", `sha256sum -c edge-cloud.raw.sha256
sgdisk -p edge-cloud.raw`)
	if err != nil {
		return err
	}
	return containsAll(out, "edge-cloud.raw: OK", "COS_CONTENT")
}

// ProviderRegistry builds the provider image of k3s 1.33.5 from the real
// upstream images, pushes it to a registry service in the engine and checks
// the tag and the paths the provider plan puts in it (provider/testdata/
// k3s-bundled.golden: Ubuntu 22.04 has systemd 249, so Kubernetes and the
// agent provider are bundled).
// +check
func (t *Tests) ProviderRegistry(ctx context.Context) error {
	images, err := canvos().ProviderImages().Images(ctx)
	if err != nil {
		return err
	}
	if len(images) != 1 {
		return fmt.Errorf("unexpected output: wanted 1 provider image, got %d", len(images))
	}
	ctr := images[0].Container()
	registry := dag.Container().From(registryImage).WithExposedPort(5000).AsService()
	// "localhost" is a plain-HTTP registry to the engine (a service named
	// otherwise needs engine.json "http": true for its name).
	ref := "localhost:5000/ubuntu:" + providerTag
	if _, err := ctr.Publish(ctx, ref, dagger.ContainerPublishOpts{RegistryService: registry}); err != nil {
		return err
	}
	out, err := dag.Container().From(craneImage).
		WithServiceBinding("registry", registry).
		WithExec([]string{"sh", "-c", `set -eu
crane ls --insecure registry:5000/ubuntu
crane export --insecure "$1" - | tar -tvf - > /tmp/listing
for p in etc/spectro-sysext/k8s-and-agent-provider-bundled usr/bin/etcdctl etc/kairos/branding/stylus_config.yaml \
	etc/elemental/config.yaml etc/rsyslog.d/49-stylus.conf etc/machine-id; do
	grep -q " $p\$" /tmp/listing || { echo "missing $p"; exit 1; }
done
if grep -q ' etc/ssh/ssh_host_' /tmp/listing; then echo "ssh host keys left"; exit 1; fi
grep -q ' system/providers/agent-provider-' /tmp/listing || { echo "no agent provider in /system/providers"; exit 1; }
echo ok`, "sh", "registry:5000/ubuntu:" + providerTag}).
		Stdout(ctx)
	if err != nil {
		return err
	}
	if !strings.Contains(out, providerTag) || !strings.HasSuffix(strings.TrimSpace(out), "ok") {
		return fmt.Errorf("unexpected output: wanted tag %q and ok, got %q", providerTag, out)
	}
	return nil
}

// ValidateUserData checks that the offline user-data checks run in the
// engine: a good file passes, a mistyped one fails before anything is built.
// palette-edge-cli is not run: the test engine has no CLI_IMAGE.
// +check
func (t *Tests) ValidateUserData(ctx context.Context) error {
	offline := func(body string) (string, error) {
		f := dag.Directory().WithNewFile("user-data", "#cloud-config\ninstall:\n  nousers: true\n"+body).File("user-data")
		return canvos().WithoutPaletteEdgeCli().ValidateUserData(ctx, dagger.CanvosValidateUserDataOpts{UserData: f})
	}
	out, err := offline("stylus:\n  site:\n    paletteEndpont: api.example.com\n")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "did you mean paletteEndpoint?") {
		return fmt.Errorf("unexpected output: wanted the nearest key in:\n%s", out)
	}
	if _, err := offline("stylus:\n  site:\n    edgeHostToken: [t]\n"); err == nil || !strings.Contains(err.Error(), "stylus.site.edgeHostToken: must be a string") {
		return fmt.Errorf("unexpected output: wanted the type error, got %v", err)
	}
	return nil
}

// IsoEfiSizeCheck builds a small probe ISO and checks its UEFI El Torito
// image and checksum with xorriso and sha256sum.
// +check
func (t *Tests) IsoEfiSizeCheck(ctx context.Context) error {
	probe := canvos().IsoEfiSizeCheck(dagger.CanvosIsoEfiSizeCheckOpts{MaxSize: 16, ImgSize: 40})
	out, err := inspect(ctx, probe, "xorriso", `sha256sum -c efi-size-check.iso.sha256
xorriso -indev efi-size-check.iso -report_el_torito plain 2>&1`)
	if err != nil {
		return err
	}
	return containsAll(out, "efi-size-check.iso: OK", "UEFI")
}

// SecureBootDirs checks the layout and modes of a new key tree.
// +check
func (t *Tests) SecureBootDirs(ctx context.Context) error {
	tree := canvos().SecureBootDirs(dagger.CanvosSecureBootDirsOpts{Dir: dag.Directory().WithNewFile("public-keys/db.pem", "cert")})
	out, err := dag.Container().From(debianImage).
		WithMountedDirectory("/sb", tree).
		WithExec([]string{"sh", "-c", "cd /sb && stat -c '%n %a' enrollment exported-keys private-keys public-keys && cat public-keys/db.pem"}).
		Stdout(ctx)
	if err != nil {
		return err
	}
	want := "enrollment 755\nexported-keys 700\nprivate-keys 700\npublic-keys 755\ncert"
	if strings.TrimSpace(out) != want {
		return fmt.Errorf("unexpected output: wanted %q, got %q", want, out)
	}
	return nil
}

// Pinned third-party images of the checks.
const (
	debianImage   = "debian:bookworm-slim"
	registryImage = "registry:2"
	craneImage    = "gcr.io/go-containerregistry/crane:debug"
)

// inspect runs script (sh, set -eu) in Debian with pkg installed, in dir
// mounted as the working directory, and returns its output.
func inspect(ctx context.Context, dir *dagger.Directory, pkg, script string) (string, error) {
	return dag.Container().From(debianImage).
		WithExec(aptInstall(pkg)).
		WithMountedDirectory("/in", dir).
		WithWorkdir("/in").
		WithExec([]string{"sh", "-c", "set -eu\n" + script}).
		Stdout(ctx)
}

// containsAll fails unless out holds every one of wants.
func containsAll(out string, wants ...string) error {
	for _, want := range wants {
		if !strings.Contains(out, want) {
			return fmt.Errorf("unexpected output: wanted %q in:\n%s", want, out)
		}
	}
	return nil
}

func aptInstall(pkgs ...string) []string {
	return append([]string{"sh", "-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"`, "sh"}, pkgs...)
}
