package main

import (
	"dagger/canvos/config"
	"dagger/canvos/internal/dagger"
)

// workerSources are the paths of this module that the worker CLI is built
// from: its Go packages and the data they embed, and nothing else — never
// a file of the user's build context (TestWorkerSourcesHoldNoUserFile).
var workerSources = []string{
	"go.mod", "go.sum",
	"cmd/canvos/*.go", "config/**", "overlay/**", "base/**", "imageplan/**", "provider/**",
	"installer/**", "uki/**", "secureboot/**", "initrd/**", "maas/**", "oci/**",
	"run/**", "outfile/**", "usererr/**", "awsimage/**", "stylus/**", "rootfs/**", "efiprobe/**", "userdata/**", "suggest/**",
	"ctxio/**", "scratch/**", "inputfile/**", "efiimage/**",
}

// workerBinary builds the static canvos CLI from this module's source with
// the Go toolchain image; the module and build caches make rebuilds cheap.
func (m *Canvos) workerBinary() *dagger.File {
	src := dag.CurrentModule().Source()
	return dag.Container().From(m.GoImage).
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("canvos-go-mod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("canvos-go-build")).
		WithEnvVariable("CGO_ENABLED", "0").
		WithDirectory("/src", src, dagger.ContainerWithDirectoryOpts{
			Include: workerSources,
			Exclude: []string{"**/*_test.go", "**/testdata/**"},
		}).
		WithWorkdir("/src").
		WithExec([]string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/canvos", "./cmd/canvos"}).
		File("/out/canvos")
}

// workerPackages are the Debian packages the worker CLI shells out to where
// the Go libraries fall short (DESIGN.md, "The rule that shapes
// everything"), for artifacts of arch. The boot files that belong to the
// artifact's architecture — systemd-boot and its UKI stub, GRUB's BIOS
// modules (amd64 only; Debian builds grub-pc-bin for amd64 and i386) — are
// installed for that architecture, as foreign packages on a worker of
// another one, so an arm64 engine builds amd64 images and the other way round.
func workerPackages(arch config.Arch) []string {
	pkgs := []string{"squashfs-tools", "e2fsprogs", "dosfstools", "mtools", "grub-common", "systemd-boot-efi:" + string(arch)}
	if arch == config.AMD64 {
		pkgs = append(pkgs, "grub-pc-bin:amd64")
	}
	return pkgs
}

// aptInstall installs the packages given as its arguments ("$@"), adding
// the foreign architectures they name; it does nothing when all are
// installed already, so a prebuilt --worker-image needs no Debian mirror.
const aptInstall = `set -eu
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
native=$(dpkg --print-architecture)
for p in $missing; do
	case $p in *:*) a=${p#*:}; [ "$a" = "$native" ] || dpkg --add-architecture "$a" ;; esac
done
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
rm -rf /var/lib/apt/lists/*`

// worker is the container every file-assembly function runs the CLI in,
// for artifacts of arch: the worker image with its file-system tools plus
// the canvos binary. Inputs are mounted into it read-only by the callers;
// outputs go to /out.
func (m *Canvos) worker(arch config.Arch) *dagger.Container {
	return dag.Container().From(m.WorkerImage).
		WithExec(append([]string{"sh", "-c", aptInstall, "sh"}, workerPackages(arch)...)).
		WithFile("/usr/local/bin/canvos", m.workerBinary()).
		WithWorkdir("/work")
}
