package maas

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"dagger/canvos/outfile"
	"dagger/canvos/overlay"
	"dagger/canvos/rootfs"
	"dagger/canvos/usererr"
)

// Tree paths a cloud image reads: the cloud-image files that must be in the
// rootfs, and kairos-release for the file name.
var (
	cloudFiles    = cloudFilePaths()
	kairosRelease = rootfs.Known("etc/kairos-release")
)

func cloudFilePaths() []rootfs.Path {
	var ps []rootfs.Path
	for _, f := range overlay.CloudImage() {
		ps = append(ps, rootfs.Known(strings.TrimPrefix(f.Path, "/"))...)
	}
	return ps
}

// CloudImageOptions describe a cloud image (CanvOS +cloud-image): the Kairos
// raw disk of RawOptions from a rootfs that carries the cloud-image files
// (overlay.CloudImage), plus a 4th partition COS_CONTENT (ext4) with the
// content when any is given. Out may name an existing directory: the file is
// then named as AuroraBoot names it (CloudImageName).
type CloudImageOptions struct {
	RawOptions
	ContentInputs
}

// BuildCloudImage writes the cloud image and its .sha256 and returns them.
// Kairos' first boot (recovery, reset) adds state and persistent after
// COS_CONTENT; the installed system's first boot unpacks COS_CONTENT and
// deletes it (cloud-content.sh), then grows persistent
// (cloud-extend-persistent.sh).
func BuildCloudImage(ctx context.Context, o CloudImageOptions) (Result, error) {
	if fi, err := os.Stat(o.Out); err == nil && fi.IsDir() {
		o.Out = filepath.Join(o.Out, CloudImageName(o.Rootfs)+".raw")
	}
	in, err := o.RawOptions.validate()
	if err != nil {
		return Result{}, err
	}
	t, err := rootfs.Open(o.Rootfs)
	if err != nil {
		return Result{}, usererr.Newf("--rootfs", "%v", err)
	}
	defer t.Close()
	for _, p := range cloudFiles {
		if _, ok := t.First([]rootfs.Path{p}); !ok {
			return Result{}, usererr.New("--rootfs", o.Rootfs, "a cloud image rootfs with /"+p.String()+" (the files of overlay/cloud/; the cloud-image function adds them)")
		}
	}
	content, err := o.ContentInputs.collect()
	if err != nil {
		return Result{}, err
	}
	if err := o.RawOptions.build(ctx, in, content); err != nil {
		return Result{}, err
	}
	sum, err := fileSHA256(o.Out)
	if err != nil {
		return Result{}, fmt.Errorf("cloud image: %w", err)
	}
	return Result{Path: o.Out, SHA256: sum}, outfile.WriteSHA256(o.Out, sum)
}

// CloudImageName is the name AuroraBoot gives a raw disk (CanvOS'
// +cloud-image output), without .raw: kairos-<flavor>-<flavor release>-
// <variant>-<arch>-<model>-<version>, with <k8s provider><k8s version> for the
// standard variant, from the rootfs' /etc/kairos-release (KAIROS_<key>, or
// <key>). "kairos" alone when the rootfs has no kairos-release.
func CloudImageName(dir string) string {
	t, err := rootfs.Open(dir)
	if err != nil {
		return "kairos"
	}
	defer t.Close()
	b, err := t.ReadFile(kairosRelease[0])
	if err != nil {
		return "kairos"
	}
	rel := envFile(b)
	get := func(k string) string {
		if v, ok := rel["KAIROS_"+k]; ok {
			return v
		}
		return rel[k]
	}
	arch := get("ARCH")
	if arch == "" {
		arch = get("TARGETARCH")
	}
	fields := []string{"kairos", get("FLAVOR"), get("FLAVOR_RELEASE"), get("VARIANT"), arch, get("MODEL"), get("VERSION")}
	if get("VARIANT") == "standard" && get("SOFTWARE_VERSION_PREFIX") != "" && get("SOFTWARE_VERSION") != "" {
		fields = append(fields, get("SOFTWARE_VERSION_PREFIX")+get("SOFTWARE_VERSION"))
	}
	// Fields a kairos-release lacks are left out, not joined as "--".
	return strings.Join(slices.DeleteFunc(fields, func(f string) bool { return f == "" }), "-")
}

// envFile parses KEY=value lines (values optionally quoted).
func envFile(b []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && !strings.HasPrefix(k, "#") {
			m[k] = strings.Trim(v, `"'`)
		}
	}
	return m
}

func fileSHA256(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// CheckName refuses a file name that is not letters, digits, '.', '_' and
// '-' (no path), naming param.
func CheckName(param, name string) error {
	if !nameRE.MatchString(name) {
		return usererr.New(param, name, "letters, digits, '.', '_' and '-', not starting with a symbol")
	}
	return nil
}
