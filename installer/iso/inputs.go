package iso

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"dagger/canvos/inputfile"
	"dagger/canvos/rootfs"
	"dagger/canvos/userdata"
	"dagger/canvos/usererr"
)

// ISO paths of the Kairos live layout (what AuroraBoot writes and the Kairos
// initramfs and CanvOS' grub.cfg read) and of CanvOS' payload (canvos.md §12).
const (
	isoKernel       = "boot/kernel"
	isoInitrd       = "boot/initrd"
	isoSquashfs     = "rootfs.squashfs"
	isoGrubCfg      = "boot/grub2/grub.cfg"
	isoGrubStubDeb  = "boot/grub/grub.cfg"
	isoGrubStubEFI  = "EFI/BOOT/grub.cfg"
	isoBIOSImage    = "boot/grub2/i386-pc/eltorito.img"
	isoESP          = "boot/efiboot.img"
	isoBootCatalog  = "boot/boot.catalog"
	isoContentDir   = "opt/spectrocloud/content"
	isoSPC          = "opt/spectrocloud/clusterconfig/spc.tgz"
	isoEdgeConfig   = ".edge_custom_config.yaml"
	defaultUserData = "config.yaml"
	localUIDest     = "opt/spectrocloud"
)

var isoGrubStubs = []string{isoGrubStubDeb, isoGrubStubEFI}

// The Kairos live layout's kernel and initrd in the rootfs.
var (
	rootfsKernel = rootfs.Kernel[0]
	rootfsInitrd = rootfs.Known("boot/initrd")[0]
)

// inputs are the validated, resolved inputs of one build: everything that can
// be wrong with what the user gave is found here, before anything is written.
type inputs struct {
	tree           *rootfs.Tree // the rootfs; nil for the UKI ISO
	kernel, initrd string
	boot           bootSet
	userData       []byte
	content        []string // bundle paths, sorted
	localUI        []uiEntry
	overlay        []string // files and dirs under Options.Overlay, sorted, relative
}

// labelRE: ISO 9660 d-characters, at most 32 (the PVD volume identifier).
var labelRE = regexp.MustCompile(`^[A-Z0-9_]{1,32}$`)

// check validates o and resolves every input. It reads but never writes.
// The caller closes in.tree.
func check(o Options) (in inputs, err error) {
	if fi, err := os.Stat(o.Rootfs); err != nil || !fi.IsDir() {
		return in, usererr.New("--rootfs", o.Rootfs, "an existing directory")
	}
	if in.tree, err = rootfs.Open(o.Rootfs); err != nil {
		return in, usererr.Newf("--rootfs", "%v", err)
	}
	defer func() {
		if err != nil {
			in.tree.Close()
		}
	}()
	return checkTree(o, in)
}

func checkTree(o Options, in inputs) (inputs, error) {
	if err := checkOutput(o); err != nil {
		return in, err
	}
	if o.PartitionTable != TableGPT && o.PartitionTable != TableMBR {
		return in, usererr.New("--partition-table", string(o.PartitionTable), usererr.OneOf(string(TableGPT), string(TableMBR)))
	}
	if err := checkCompression(o.Compression, o.Level); err != nil {
		return in, err
	}
	if err := CheckArch(o.Arch); err != nil {
		return in, err
	}
	var err error
	if in.kernel, err = rootfsFile(in.tree, rootfsKernel, "kernel"); err != nil {
		return in, err
	}
	if in.initrd, err = rootfsFile(in.tree, rootfsInitrd, "initrd"); err != nil {
		return in, err
	}
	if in.boot, err = findBoot(in.tree, o); err != nil {
		return in, err
	}
	if err := checkEFI(o, in.boot); err != nil {
		return in, err
	}
	return checkPayload(o, in)
}

// checkPayload resolves what both ISO kinds carry besides the OS: user-data,
// content bundles, SPC, edge config, local UI and overlay. The local UI is
// checked against in.tree when it is extracted into one (nil for the UKI
// ISO, which puts it in the ISO tree).
func checkPayload(o Options, in inputs) (inputs, error) {
	var err error
	if in.userData, err = readUserData(o.UserData, o.UserDataPath, o.printf); err != nil {
		return in, err
	}
	if in.content, err = contentBundles(o.ContentDir); err != nil {
		return in, err
	}
	for _, f := range []struct{ flag, path string }{{"--cluster-config", o.ClusterConfig}, {"--edge-config", o.EdgeConfig}} {
		if err := readable(f.flag, f.path); err != nil {
			return in, err
		}
	}
	if o.EdgeConfig != "" {
		b, err := inputfile.Read("--edge-config", o.EdgeConfig, inputfile.UserDataLimit)
		if err != nil {
			return in, err
		}
		if err := userdata.Mapping(b); err != nil {
			return in, usererr.Newf("--edge-config", "%s: %v", o.EdgeConfig, err)
		}
	}
	if o.LocalUI != "" {
		if in.localUI, err = readLocalUI(o.LocalUI, in.tree); err != nil {
			return in, err
		}
	}
	if in.overlay, err = overlayTree(o.Overlay); err != nil {
		return in, err
	}
	return in, nil
}

func checkCompression(c Compression, level int) error {
	names := make([]string, len(Compressions))
	for i, k := range Compressions {
		names[i] = string(k)
	}
	found := false
	for _, k := range Compressions {
		found = found || k == c
	}
	if !found {
		return usererr.New("--compression", string(c), usererr.OneOf(names...))
	}
	max, ok := map[Compression]int{CompZstd: 22, CompGzip: 9}[c]
	if level != 0 && (!ok || level < 1 || level > max) {
		return usererr.New("--compression-level", fmt.Sprint(level), "1–22 for zstd, 1–9 for gzip, 0 (the default) otherwise")
	}
	return nil
}

// rootfsFile resolves a Kairos boot file in the rootfs.
func rootfsFile(t *rootfs.Tree, p rootfs.Path, what string) (string, error) {
	host, err := t.HostPath(p)
	if err != nil {
		return "", usererr.Newf("--rootfs", "%s: no %s at /%s (Kairos layout): %v", t.Dir(), what, p, err)
	}
	return host, nil
}

func readable(flag, p string) error {
	if p == "" {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return usererr.Newf(flag, "%v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return usererr.New(flag, p, "a readable regular file")
	}
	return nil
}

// readUserData reads user-data and checks it with userdata.Check, the check
// every verb shares; its warnings go to printf.
func readUserData(p, isoPath string, printf func(string, ...any)) ([]byte, error) {
	if p == "" {
		return nil, nil
	}
	if isoPath != defaultUserData && isoPath != "files-iso/config.yaml" {
		return nil, usererr.New("--user-data-path", isoPath, usererr.OneOf(defaultUserData, "files-iso/config.yaml"))
	}
	b, err := inputfile.Read("--user-data", p, inputfile.UserDataLimit)
	if err != nil {
		return nil, err
	}
	r := userdata.Check(b)
	if err := r.FileErr("--user-data", p); err != nil {
		return nil, err
	}
	for _, w := range r.Warnings() {
		printf("user-data: warning: %s", w)
	}
	return b, nil
}

// contentBundles lists the content bundles (CanvOS: content-*/*.zst). Anything
// else in the directory is refused: a stray file would ship on the ISO.
func contentBundles(dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, usererr.Newf("--content", "%v", err)
	}
	var out []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".zst") {
			return nil, usererr.New("--content", p, "content bundles only (regular *.zst files)")
		}
		if !utf8.ValidString(e.Name()) || strings.ContainsFunc(e.Name(), unicode.IsControl) {
			return nil, usererr.New("--content", p, "bundle names in UTF-8 without control characters (a newline would split the ISO's and the agent's file lists)")
		}
		if err := readable("--content", p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// overlayTree lists an overlay directory (files, dirs, symlinks), relative
// and sorted.
func overlayTree(dir string) ([]string, error) {
	if dir == "" {
		return nil, nil
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, usererr.New("--overlay", dir, "an existing directory")
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		if !d.IsDir() && !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return usererr.New("--overlay", p, "regular files, directories and symlinks")
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if reserved(rel) {
			return usererr.New("--overlay", p, "files other than those canvos iso writes ("+usererr.OneOf(reservedISOPaths...)+", "+isoContentDir+"/)")
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--overlay: %w", err)
	}
	return out, nil
}

// reservedISOPaths are written by canvos iso; an overlay may not replace
// them (a CanvOS overlay's own boot/grub2/grub.cfg would silently drop the
// generated menu).
var reservedISOPaths = []string{isoKernel, isoInitrd, isoSquashfs, isoGrubCfg, isoGrubStubDeb, isoGrubStubEFI,
	isoBIOSImage, isoESP, isoBootCatalog, isoSPC, isoEdgeConfig, defaultUserData, "files-iso/config.yaml"}

func reserved(rel string) bool {
	return slices.Contains(reservedISOPaths, rel) || strings.HasPrefix(rel, isoContentDir+"/")
}
