package maas

// The Ubuntu partition from an Ubuntu cloud image file, without mounting it.
// Hand-written here: the few superblock fields read below (magic, block and
// free counts, block size, times) — go-diskfs' ext4 package keeps its
// superblock parser unexported and refuses file systems with features it does
// not write.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/diskfs/go-diskfs/partition/gpt"

	"dagger/canvos/run"
	"dagger/canvos/usererr"
)

const cloudImageFlag = "--ubuntu-cloud-image"

// qcow2Magic starts every qcow2 file ("QFI\xfb"); cloud-images.ubuntu.com
// serves its *.img disks in that format.
var qcow2Magic = []byte{'Q', 'F', 'I', 0xfb}

// ext superblock: 1024 bytes at byte 1024 of the file system.
const (
	sbOffset       = 1024
	sbSize         = 1024
	sbMagic        = 0xEF53
	incompat64Bit  = 0x80
	sbBlocksLo     = 0x04
	sbFreeLo       = 0x0C
	sbLogBlockSize = 0x18
	sbMtime        = 0x2C
	sbWtime        = 0x30
	sbMagicOff     = 0x38
	sbLastcheck    = 0x40
	sbIncompat     = 0x60
	sbBlocksHi     = 0x150
	sbFreeHi       = 0x158
)

// cloudRoot is the root file system found in a cloud image file.
type cloudRoot struct {
	offset, size int64      // bytes of the file system inside the file
	used         int64      // bytes in use (superblock: blocks - free blocks)
	latest       int64      // latest of its mount, write and check times
	digest       [32]byte   // stands for the image in the seed (see cloudDigest)
	boot         *cloudRoot // a separate /boot (Linux extended boot) file system, merged into the root's /boot
	mergeBoot    bool       // the root's /boot has no kernel: merge boot
}

// rootTypes are the GPT types a root partition may have, preferred first:
// Linux root (x86-64) as the Discoverable Partitions Specification names it,
// then Linux filesystem, which Ubuntu's cloud images use for cloudimg-rootfs.
// Ubuntu 24.04's separate /boot is Linux extended boot: not a root, merged
// into the root's /boot (cloudboot.go).
var rootTypes = []gpt.Type{gpt.LinuxRootX86_64, gpt.LinuxFilesystem}

// findCloudRoot locates the root file system of the cloud image at file: the
// whole file when it is an ext file system image (the *.img inside Ubuntu's
// *-cloudimg-amd64.tar.gz, which CanvOS uses), else the one ext partition of
// the first root type a raw GPT disk has. qcow2 is refused: reading it would
// need qemu-img or a qcow2 reader, and converting once is the user's choice.
func findCloudRoot(file string) (cloudRoot, error) {
	bad := func(why string) error { return usererr.New(cloudImageFlag, file, why) }
	f, err := os.Open(file)
	if err != nil {
		return cloudRoot{}, bad("a readable Ubuntu cloud image file")
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return cloudRoot{}, bad("a raw GPT disk or ext4 file system image")
	}
	if bytes.Equal(head, qcow2Magic) {
		return cloudRoot{}, bad("a raw disk image, not qcow2: convert it with `qemu-img convert -O raw " + file + " <file>.raw`")
	}
	fi, err := f.Stat()
	if err != nil {
		return cloudRoot{}, bad("a readable Ubuntu cloud image file")
	}
	if root, ok := extAt(f, 0, fi.Size(), ""); ok {
		if root.size > fi.Size() {
			return cloudRoot{}, bad("a complete ext4 image (the file is shorter than its file system)")
		}
		return root, nil
	}
	t, err := readTable(f)
	if err != nil {
		return cloudRoot{}, bad("a raw GPT disk or ext4 file system image")
	}
	for _, typ := range rootTypes {
		var found []cloudRoot
		for _, p := range t.Partitions {
			off := int64(p.Start) * sectorSize
			if p.Type != typ {
				continue
			}
			if root, ok := extAt(f, off, fi.Size(), t.GUID+p.GUID); ok && root.size <= int64(p.Size) {
				found = append(found, root)
			}
		}
		if len(found) > 1 {
			return cloudRoot{}, bad(fmt.Sprintf("a disk with one ext4 root partition (found %d of type %s)", len(found), typ))
		}
		if len(found) == 1 {
			found[0].boot = extendedBoot(f, t, fi.Size())
			return found[0], nil
		}
	}
	return cloudRoot{}, bad("a GPT disk with an ext4 root partition (type Linux root x86-64 or Linux filesystem)")
}

// extAt reads the ext superblock of a file system starting at off in f
// (of size fileSize, in partition guids).
func extAt(f *os.File, off, fileSize int64, guids string) (cloudRoot, bool) {
	sb := make([]byte, sbSize)
	if _, err := f.ReadAt(sb, off+sbOffset); err != nil {
		return cloudRoot{}, false
	}
	le := binary.LittleEndian
	logBlock := le.Uint32(sb[sbLogBlockSize:])
	if le.Uint16(sb[sbMagicOff:]) != sbMagic || logBlock > 6 {
		return cloudRoot{}, false
	}
	blocks, free := uint64(le.Uint32(sb[sbBlocksLo:])), uint64(le.Uint32(sb[sbFreeLo:]))
	if le.Uint32(sb[sbIncompat:])&incompat64Bit != 0 {
		blocks |= uint64(le.Uint32(sb[sbBlocksHi:])) << 32
		free |= uint64(le.Uint32(sb[sbFreeHi:])) << 32
	}
	shift := 10 + logBlock
	return cloudRoot{offset: off, size: int64(blocks) << shift, used: int64(blocks-min(free, blocks)) << shift,
		latest: latestTime(sb), digest: cloudDigest(fileSize, guids, sb)}, true
}

// extendedBoot finds the ext file system on the disk's Linux extended boot
// partition (Ubuntu 24.04's /boot), if there is one.
func extendedBoot(f *os.File, t *gpt.Table, fileSize int64) *cloudRoot {
	for _, p := range t.Partitions {
		if p.Type == gpt.LinuxExtendedBoot {
			if b, ok := extAt(f, int64(p.Start)*sectorSize, fileSize, t.GUID+p.GUID); ok {
				return &b
			}
		}
	}
	return nil
}

// latestTime is the latest of the superblock's last mount, write and check
// times (the low 32 bits: good until 2106).
func latestTime(sb []byte) int64 {
	le := binary.LittleEndian
	return int64(max(le.Uint32(sb[sbMtime:]), le.Uint32(sb[sbWtime:]), le.Uint32(sb[sbLastcheck:])))
}

// cloudDigest stands for the image in the seed without reading gigabytes:
// the superblock changes with every write to the file system (free counts,
// write time, checksum), the GUIDs and the size with the disk around it.
func cloudDigest(size int64, guids string, sb []byte) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%d %s %x", size, guids, sb))
}

// validateCloudImage finds the root file system, checks that the grubcustom
// entry's /boot/vmlinuz and /boot/initrd.img are in its /boot or on the
// disk's extended boot partition (then merged), and that it fits the
// partition (debugfs on the file at the offset: read only).
func (o Options) validateCloudImage(ctx context.Context, in *maasInputs) error {
	root, err := findCloudRoot(o.UbuntuCloudImage)
	if err != nil {
		return err
	}
	src := placed{part: part{name: "cloud image root"}, offset: root.offset}
	boot, err := dirNames(ctx, o.Run, o.UbuntuCloudImage, src, "/boot")
	if err != nil {
		return usererr.Newf(cloudImageFlag, "%s: root file system unreadable: %v", o.UbuntuCloudImage, err)
	}
	if (!boot["/boot/vmlinuz"] || !boot["/boot/initrd.img"]) && root.boot != nil {
		bp := placed{part: part{name: "cloud image boot"}, offset: root.boot.offset}
		if boot, err = dirNames(ctx, o.Run, o.UbuntuCloudImage, bp, "/"); err != nil {
			return usererr.Newf(cloudImageFlag, "%s: boot file system unreadable: %v", o.UbuntuCloudImage, err)
		}
		boot = map[string]bool{"/boot/vmlinuz": boot["/vmlinuz"], "/boot/initrd.img": boot["/initrd.img"]}
		root.mergeBoot = true
		root.used += root.boot.used
		root.digest = sha256.Sum256(append(root.digest[:], root.boot.digest[:]...))
	}
	if !boot["/boot/vmlinuz"] || !boot["/boot/initrd.img"] {
		return usererr.New(cloudImageFlag, o.UbuntuCloudImage,
			"a root file system (or Linux extended boot partition) with /boot/vmlinuz and /boot/initrd.img")
	}
	// ext4 metadata (journal, inode tables) takes about 5 % of the partition.
	if root.size > o.RootfsSize || root.used > o.RootfsSize/100*90 {
		return usererr.Newf("--ubuntu-rootfs-size", "%s's root file system is %d MiB with %d MiB in use, more than the %d MiB partition takes",
			o.UbuntuCloudImage, roundMiB(root.size)/mib, root.used/mib, o.RootfsSize/mib)
	}
	in.cloud = root
	return nil
}

// cloudUbuntu makes p2 from the cloud image's root file system: its bytes are
// copied (holes kept) into a scratch file, checked, grown to the partition,
// labelled and given a UUID of ours, given the boot partition's files if
// /boot is separate, then copied into p2. The scratch file is
// needed because resize2fs (1.47) truncates a regular-file device to the new
// file-system size after resizing, ignoring ?offset=, which would cut the
// disk; e2fsck, tune2fs and debugfs honour ?offset= (see docs/maas.md).
func (d *composite) cloudUbuntu(ctx context.Context, p placed) error {
	img := filepath.Join(d.work, nameUbuntu+".ext4")
	if err := copyFile(img, d.o.UbuntuCloudImage, d.in.cloud.offset, d.in.cloud.size); err != nil {
		return err
	}
	for _, cmd := range cloudRootCmds(img, p, d.s, d.o.Epoch, d.in.cloud.latest) {
		if _, err := d.o.Run(ctx, cmd); err != nil {
			return err
		}
	}
	if d.in.cloud.mergeBoot {
		d.o.Printf("maas: %s: merging the Linux extended boot partition into /boot", nameUbuntu)
		scratch := filepath.Join(d.work, "cloud-boot")
		if err := mergeBoot(ctx, d.o.Run, scratch, d.o.UbuntuCloudImage, d.in.cloud.boot.offset, img, d.o.Epoch); err != nil {
			return err
		}
	}
	src, err := os.Open(img)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(d.disk, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := copyRange(dst, src, p.offset, 0, p.size); err != nil {
		return err
	}
	return os.Remove(img)
}

// copyFile copies n bytes of src at off into a new sparse file dst.
func copyFile(dst, src string, off, n int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	if err := out.Truncate(n); err != nil {
		return err
	}
	return copyRange(out, in, 0, off, n)
}

// cloudRootCmds check the copied root file system and mark it checked
// (e2fsck -p exits 0 only on a clean file system: nothing here repairs a
// user's image), grow it to p's size, and set our label and a UUID derived
// from the seed; resize2fs and tune2fs -U refuse a file system mounted since
// its last check, which a cloud image is. The hash seed stays: the
// directories' hash trees are built with it. E2FSPROGS_FAKE_TIME pins the
// times resize2fs and tune2fs write; e2fsck reads its clock from E2FSCK_TIME,
// not before the image's own latest time, so it finds nothing "in the future".
func cloudRootCmds(img string, p placed, s seed, epoch, latest int64) []run.Cmd {
	env := []string{"E2FSPROGS_FAKE_TIME=" + strconv.FormatInt(epoch, 10)}
	check := append([]string{"E2FSCK_TIME=" + strconv.FormatInt(max(epoch, latest), 10)}, env...)
	return []run.Cmd{
		{Name: "e2fsck", Args: []string{"-fp", img}, Env: check},
		{Name: "resize2fs", Args: []string{img, strconv.FormatInt(p.size/1024, 10) + "K"}, Env: env},
		{Name: "tune2fs", Args: []string{"-L", labelUbuntu, "-U", s.guid("fs " + p.name).String(), img}, Env: env},
	}
}

// extExists tells which of paths and their parent directories the ext file
// system on p has, listing each parent directory once.
func extExists(ctx context.Context, r func(context.Context, run.Cmd) ([]byte, error), disk string, p placed, paths []string) (func(string) bool, error) {
	have := map[string]bool{"/": true}
	listed := map[string]bool{}
	for _, q := range paths {
		for dir := path.Dir(q); !listed[dir]; dir = path.Dir(dir) {
			listed[dir] = true
			names, err := dirNames(ctx, r, disk, p, dir)
			if err != nil {
				return nil, err
			}
			for n := range names {
				have[n] = true
			}
		}
	}
	return func(q string) bool { return have[q] }, nil
}
