package maas

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/diskfs/go-diskfs/partition/gpt"

	"dagger/canvos/rootfs"
	"dagger/canvos/run"
	"dagger/canvos/scratch"
	"dagger/canvos/usererr"
)

// Options describe a MAAS composite disk (CanvOS ./earthly.sh +maas-image,
// cloudconfigs/build-kairos-maas.sh).
type Options struct {
	KairosRaw        string                                         // Kairos raw disk from BuildRaw (its efi, oem and recovery partitions are copied)
	UbuntuRootfs     string                                         // Ubuntu rootfs directory with kernel, initrd, cloud-init
	UbuntuCloudImage string                                         // or: Ubuntu cloud image (raw GPT disk or ext4 image) whose root file system becomes p2
	OutDir           string                                         // where <Name>.raw.gz and <Name>.raw.gz.sha256 go
	Name             string                                         // MAAS_IMAGE_NAME; "" is kairos-ubuntu-maas; .raw/.raw.gz are stripped
	Content          string                                         // optional directory of content bundles (*.zst, *.tar)
	ClusterConfig    string                                         // optional SPC file
	EdgeConfig       string                                         // optional EDGE_CUSTOM_CONFIG file
	RootfsSize       int64                                          // UBUNTU_ROOTFS size in bytes; 0 is 3 GiB
	ScratchDir       string                                         // for the uncompressed disk and staged files; "" is OutDir
	Epoch            int64                                          // SOURCE_DATE_EPOCH
	Printf           func(string, ...any)                           // progress; nil is silent
	Run              func(context.Context, run.Cmd) ([]byte, error) // nil: run.Run
}

// DefaultName is CanvOS' MAAS_IMAGE_NAME default.
const DefaultName = "kairos-ubuntu-maas"

// defaultRootfsSize is CanvOS' UBUNTU_ROOT_SIZE (3G).
const defaultRootfsSize = 3 << 30

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Result names the artifact written.
type Result struct {
	Path   string // <OutDir>/<Name>.raw.gz
	SHA256 []byte
}

// maasInputs is what validation found.
type maasInputs struct {
	kairos  map[string]*gpt.Partition // efi, oem, recovery of the Kairos raw disk
	diskID  string                    // the Kairos raw disk's GUID, which stands for its content
	rootfs  tree
	has     map[string]bool // which of ubuntuAdds (and their directories) the Ubuntu rootfs has, "/etc"
	cloud   cloudRoot       // with UbuntuCloudImage
	content contentSet
}

// contentInputs are the MAAS disk's content partition files (one directory).
func (o Options) contentInputs() ContentInputs {
	c := ContentInputs{ClusterConfig: o.ClusterConfig, EdgeConfig: o.EdgeConfig}
	if o.Content != "" {
		c.Content = []string{o.Content}
	}
	return c
}

// baseName is MAAS_IMAGE_NAME without .raw/.raw.gz; "" is DefaultName.
func baseName(name string) string {
	return cmp.Or(strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".raw"), DefaultName)
}

// FileName is the artifact's file name for MAAS_IMAGE_NAME name.
func FileName(name string) string { return baseName(name) + ".raw.gz" }

func (o Options) withDefaults() Options {
	o.Name = baseName(o.Name)
	if o.RootfsSize == 0 {
		o.RootfsSize = defaultRootfsSize
	}
	if o.ScratchDir == "" {
		o.ScratchDir = o.OutDir
	}
	if o.Printf == nil {
		o.Printf = func(string, ...any) {}
	}
	if o.Run == nil {
		o.Run = run.Run
	}
	return o
}

func (o Options) validate(ctx context.Context) (maasInputs, error) {
	in := maasInputs{}
	if err := CheckName("--name", o.Name); err != nil {
		return in, err
	}
	if o.RootfsSize%mib != 0 || o.RootfsSize < 256*mib {
		return in, usererr.New("--ubuntu-rootfs-size", strconv.FormatInt(o.RootfsSize, 10), "whole MiB, at least 256 MiB")
	}
	if fi, err := os.Stat(o.OutDir); err != nil || !fi.IsDir() {
		return in, usererr.New("--out-dir", o.OutDir, "an existing directory")
	}
	var err error
	if in.kairos, in.diskID, err = kairosPartitions(o.KairosRaw); err != nil {
		return in, err
	}
	switch {
	case (o.UbuntuRootfs == "") == (o.UbuntuCloudImage == ""):
		return in, usererr.New("--ubuntu-rootfs/"+cloudImageFlag, fmt.Sprintf("%q/%q", o.UbuntuRootfs, o.UbuntuCloudImage), "exactly one of them")
	case o.UbuntuCloudImage != "":
		err = o.validateCloudImage(ctx, &in)
	default:
		err = o.validateRootfs(&in)
	}
	if err != nil {
		return in, err
	}
	in.content, err = o.contentInputs().collect()
	return in, err
}

// kairosPartitions reads the Kairos raw disk's GPT and finds its partitions by
// name.
func kairosPartitions(raw string) (map[string]*gpt.Partition, string, error) {
	bad := func(why string) error { return usererr.New("--kairos-raw", raw, why) }
	f, err := os.Open(raw)
	if err != nil {
		return nil, "", bad("a readable Kairos raw disk (canvos raw)")
	}
	defer f.Close()
	t, err := readTable(f)
	if err != nil {
		return nil, "", bad("a disk image with a GPT (canvos raw)")
	}
	parts := map[string]*gpt.Partition{}
	for _, p := range t.Partitions {
		parts[p.Name] = p
	}
	for _, n := range []string{nameEFI, nameOEM, nameRecovery} {
		if parts[n] == nil {
			return nil, "", bad("a Kairos raw disk with GPT partitions efi, oem and recovery")
		}
	}
	return parts, t.GUID, nil
}

// ubuntuBoot is what the grubcustom entry boots (CanvOS' entry).
var ubuntuBoot = []rootfs.Path{rootfs.Kernel[0], rootfs.Known("boot/initrd.img")[0]}

// existing tells which of ps and of their directories t has (a link
// counts, unfollowed), keyed "/etc/…" as edit asks.
func existing(t *rootfs.Tree, ps []rootfs.Path) map[string]bool {
	has := map[string]bool{}
	for _, p := range ps {
		for ; p.String() != "."; p = p.Dir() {
			if _, err := t.Lstat(p); err == nil {
				has["/"+p.String()] = true
			}
		}
	}
	return has
}

func (o Options) validateRootfs(in *maasInputs) error {
	if fi, err := os.Stat(o.UbuntuRootfs); err != nil || !fi.IsDir() {
		return usererr.New("--ubuntu-rootfs", o.UbuntuRootfs, "an existing rootfs directory")
	}
	t, err := rootfs.Open(o.UbuntuRootfs)
	if err != nil {
		return usererr.Newf("--ubuntu-rootfs", "%v", err)
	}
	defer t.Close()
	for _, p := range ubuntuBoot {
		if _, ok := t.First([]rootfs.Path{p}); !ok {
			return usererr.New("--ubuntu-rootfs", o.UbuntuRootfs, "a rootfs with /boot/vmlinuz and /boot/initrd.img")
		}
	}
	in.has = existing(t, ubuntuAdds)
	if in.rootfs, err = scanTree(o.UbuntuRootfs); err != nil {
		return err
	}
	// ext4 metadata (journal, inode tables) takes about 5 % of the partition.
	if in.rootfs.size > o.RootfsSize/100*90 {
		return usererr.Newf("--ubuntu-rootfs-size", "%s needs about %d MiB, more than 90 %% of %d MiB",
			o.UbuntuRootfs, in.rootfs.size/mib, o.RootfsSize/mib)
	}
	return nil
}

// Build writes <OutDir>/<Name>.raw.gz and its .sha256: the MAAS composite disk
// laid out as CanvOS §10 (efi, ubuntu_rootfs, oem, recovery, optional content).
func Build(ctx context.Context, o Options) (Result, error) {
	o = o.withDefaults()
	if r, err := rootfs.Real(o.UbuntuRootfs); o.UbuntuRootfs != "" && err == nil {
		o.UbuntuRootfs = r // a linked --ubuntu-rootfs: scan and copy the tree (validate names a bad one)
	}
	in, err := o.validate(ctx)
	if err != nil {
		return Result{}, err
	}
	work, err := scratch.Dir(o.ScratchDir, "maas")
	if err != nil {
		return Result{}, fmt.Errorf("maas: %w", err)
	}
	defer os.RemoveAll(work)
	d := &composite{o: o, in: in, work: work, disk: filepath.Join(work, o.Name+".raw")}
	if err := d.build(ctx); err != nil {
		return Result{}, err
	}
	res := Result{Path: filepath.Join(o.OutDir, FileName(o.Name))}
	o.Printf("maas: compressing %s", res.Path)
	if res.SHA256, err = compressTo(ctx, res.Path, d.disk); err != nil {
		return Result{}, fmt.Errorf("maas: %w", err)
	}
	return res, nil
}
