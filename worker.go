package main

import (
	"dagger/canvos/internal/dagger"
)

// workerTools are the Debian packages the worker CLI shells out to where the Go
// libraries fall short (DESIGN.md, "The rule that shapes everything").
// systemd-boot-efi brings the UKI stub and systemd-boot for rootfs that lack them.
var workerTools = []string{"squashfs-tools", "e2fsprogs", "dosfstools", "mtools", "grub-pc-bin", "grub-common", "systemd-boot-efi"}

// workerBinary builds the static canvos CLI from this module's source with
// the Go toolchain image; the module and build caches make rebuilds cheap.
func (m *Canvos) workerBinary() *dagger.File {
	src := dag.CurrentModule().Source()
	return dag.Container().From(m.GoImage).
		WithMountedCache("/go/pkg/mod", dag.CacheVolume("canvos-go-mod")).
		WithMountedCache("/root/.cache/go-build", dag.CacheVolume("canvos-go-build")).
		WithEnvVariable("CGO_ENABLED", "0").
		// Everything but the test module and test data: go:embed reads data
		// files (templates, scripts, certificates, the K8s matrix) from many folders.
		WithDirectory("/src", src, dagger.ContainerWithDirectoryOpts{
			Exclude: []string{".git", "tests/**", "**/testdata/**", "bench/**", "docs/**", "build/**"},
		}).
		WithWorkdir("/src").
		WithExec([]string{"go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/canvos", "./cmd/canvos"}).
		File("/out/canvos")
}

// aptInstall installs the packages given as its arguments ("$@").
const aptInstall = `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" && rm -rf /var/lib/apt/lists/*`

// worker is the container every file-assembly function runs the CLI in: the
// worker image with its file-system tools plus the canvos binary. Inputs are
// mounted into it read-only by the callers; outputs go to /out.
func (m *Canvos) worker() *dagger.Container {
	return dag.Container().From(m.WorkerImage).
		WithMountedCache("/var/cache/apt/archives", dag.CacheVolume("canvos-worker-apt")).
		WithExec(append([]string{"sh", "-c", aptInstall, "sh"}, workerTools...)).
		WithFile("/usr/local/bin/canvos", m.workerBinary()).
		WithWorkdir("/work")
}
