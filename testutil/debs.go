package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
)

// debSet is a set of Debian packages that tests extract into one directory,
// once per machine (a cache under os.TempDir(), shared by the test binaries
// of all packages: go test runs them at once, so a flock serializes them).
// apt-get download + dpkg-deb -x take seconds where installing would take
// minutes and change the host.
type debSet struct {
	cache string                                                           // directory name under os.TempDir()
	arch  string                                                           // dpkg architecture
	suite string                                                           // Debian suite other than the host's (e.g. trixie); "" for the host's sources
	pkgs  func(apt func(args ...string) ([]byte, error)) ([]string, error) // names to download
	ready func(root string) error                                          // nil when root holds what the tests need
}

// fetch returns the extracted root, downloading it unless a previous run left
// a complete one.
func (s debSet) fetch() (string, error) {
	cache := filepath.Join(os.TempDir(), s.cache)
	for _, d := range []string{"lists/partial", "apt/archives/partial", "debs"} {
		if err := os.MkdirAll(filepath.Join(cache, d), 0o755); err != nil {
			return "", err
		}
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	root := filepath.Join(cache, "root")
	if s.ready(root) == nil {
		return root, nil
	}
	if s.suite != "" {
		line := "deb http://deb.debian.org/debian " + s.suite + " main\n"
		if err := os.WriteFile(filepath.Join(cache, "sources.list"), []byte(line), 0o644); err != nil {
			return "", err
		}
	}
	apt := s.apt(cache)
	if s.ownLists() {
		if _, err := apt("apt-get", "update"); err != nil {
			return "", err
		}
	}
	pkgs, err := s.pkgs(func(args ...string) ([]byte, error) { return apt("apt-cache", args...) })
	if err != nil {
		return "", err
	}
	debDir := filepath.Join(cache, "debs")
	os.RemoveAll(debDir)
	if err := os.MkdirAll(debDir, 0o755); err != nil {
		return "", err
	}
	if _, err := apt("apt-get", append([]string{"download"}, pkgs...)...); err != nil {
		return "", err
	}
	debs, _ := filepath.Glob(filepath.Join(debDir, "*.deb"))
	tmp := root + ".tmp"
	os.RemoveAll(tmp)
	for _, d := range debs {
		if out, err := exec.Command("dpkg-deb", "-x", d, tmp).CombinedOutput(); err != nil {
			return "", fmt.Errorf("dpkg-deb -x %s: %v: %s", d, err, out)
		}
	}
	if err := s.ready(tmp); err != nil {
		return "", fmt.Errorf("%v: %w", pkgs, err)
	}
	os.RemoveAll(root)
	return root, os.Rename(tmp, root)
}

// hostArch is the dpkg architecture whose package lists the host has
// (GOARCH and dpkg agree on amd64 and arm64).
const hostArch = runtime.GOARCH

// ownLists tells a set whose package index is not the host's.
func (s debSet) ownLists() bool { return s.arch != hostArch || s.suite != "" }

// apt returns a runner of apt-get/apt-cache in cache/debs. Another
// architecture or suite than the host's reads its own package index kept in
// cache, so the host's lists are never touched.
func (s debSet) apt(cache string) func(tool string, args ...string) ([]byte, error) {
	var opts []string
	if s.ownLists() {
		opts = []string{"-q",
			"-o", "Dir::State::Lists=" + filepath.Join(cache, "lists"),
			"-o", "Dir::Cache=" + filepath.Join(cache, "apt"),
			"-o", "APT::Architecture=" + s.arch, "-o", "APT::Architectures::=" + s.arch,
			"-o", "APT::Sandbox::User=root"}
	}
	if s.suite != "" {
		opts = append(opts, "-o", "Dir::Etc::SourceList="+filepath.Join(cache, "sources.list"), "-o", "Dir::Etc::SourceParts=/dev/null")
	}
	return func(tool string, args ...string) ([]byte, error) {
		c := exec.Command(tool, append(opts, args...)...)
		c.Dir = filepath.Join(cache, "debs")
		out, err := c.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("%s %v: %v: %s", tool, args, err, out)
		}
		return out, nil
	}
}
