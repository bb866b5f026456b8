// Package iso assembles the CanvOS installer ISO from files, without
// privileges: the installer rootfs becomes rootfs.squashfs (mksquashfs), the
// boot files come from the rootfs, the ESP is a FAT image (mkfs.fat + mcopy),
// the ISO 9660 file system and El Torito catalog are written by go-diskfs and
// the hybrid MBR that makes the same file boot from a USB stick is written
// into its system area afterwards. It is the pure core of installer/: no
// Dagger import, so the worker CLI links it (installer/stage.go holds the
// installer image's Dagger stage).
package iso

// Compression selects the squashfs compressor.
type Compression string

// Compressors mksquashfs 4.5 offers. zstd level 3 is the default: on a 1 GB
// rootfs it took 6 s where zstd's own default (15) took 71 s for an 11 %
// smaller file (perf-baselines.md §2).
const (
	CompZstd Compression = "zstd"
	CompXz   Compression = "xz"
	CompGzip Compression = "gzip"
	CompLz4  Compression = "lz4"
	CompNone Compression = "none"
)

// Compressions lists the accepted values, for errors and help.
var Compressions = []Compression{CompZstd, CompXz, CompGzip, CompLz4, CompNone}

// DefaultLabel is the volume label the Kairos initramfs looks for
// (root=live:CDLABEL=COS_LIVE).
const DefaultLabel = "COS_LIVE"

// Arch is the target CPU architecture, CanvOS' ARCH.
type Arch string

// Architectures canvos iso builds for. arm64 boots through UEFI only: there
// is no BIOS on arm64, so its ISO has no BIOS El Torito entry and no MBR
// boot code (CanvOS' build-all --arch arm64, AuroraBoot --arch arm64).
const (
	ArchAMD64 Arch = "amd64"
	ArchARM64 Arch = "arm64"
)

// Arches lists the accepted values, for errors and help.
var Arches = []Arch{ArchAMD64, ArchARM64}

// BootFiles override the boot files found in the rootfs; empty fields are
// looked up at the Ubuntu/Debian and openSUSE paths (see bootfiles.go).
type BootFiles struct {
	Shim     string // signed shim → EFI/BOOT/BOOTX64.EFI (arm64: BOOTAA64.EFI)
	GrubEFI  string // signed GRUB (CD variant preferred) → EFI/BOOT/grubx64.efi (arm64: grubaa64.efi)
	MokMgr   string // MokManager → EFI/BOOT/mmx64.efi (arm64: mmaa64.efi; optional)
	GrubBIOS string // directory of GRUB i386-pc modules and images (amd64 only)
}

// Payload is what an installer ISO carries besides the OS (canvos.md §12).
// Every field is an optional input path.
type Payload struct {
	UserData      string // #cloud-config user-data
	ContentDir    string // content bundles (*.zst) → opt/spectrocloud/content/<name>_partNN
	ClusterConfig string // SPC → opt/spectrocloud/clusterconfig/spc.tgz
	EdgeConfig    string // → .edge_custom_config.yaml
	LocalUI       string // local-ui tar, extracted under opt/spectrocloud
	Overlay       string // directory copied onto the ISO root
}

// Options describe one installer ISO. Paths are read only; OutPath and its
// .sha256 are the only files written outside ScratchDir.
type Options struct {
	Rootfs       string // installer rootfs directory (/boot/vmlinuz, /boot/initrd)
	OutPath      string // the ISO to write; OutPath+".sha256" is written beside it
	ScratchDir   string // throwaway workspace (squashfs, ESP, ISO staging); must exist
	Payload             // user-data (→ UserDataPath), content, SPC, edge config, local UI (into the rootfs), overlay
	UserDataPath string // ISO path of the user-data; default "config.yaml"
	Label        string // volume label; default COS_LIVE
	Interactive  bool   // FORCE_INTERACTIVE_INSTALL: default to the interactive entry
	Debug        bool   // DEBUG: debug kernel arguments
	Compression  Compression
	Level        int   // compression level (zstd, gzip, xz not); 0 = default for the compressor
	Epoch        int64 // SOURCE_DATE_EPOCH for every timestamp
	// Arch is the target architecture: amd64 (default) or arm64.
	Arch Arch
	// PartitionTable is the hybrid table for USB boot: gpt (default) or mbr.
	PartitionTable PartitionTable
	Boot           BootFiles
	// BIOSFallback is the GRUB i386-pc directory used when the rootfs has
	// none (the worker's grub-pc-bin).
	BIOSFallback string
	// Printf reports progress; nil means silent.
	Printf func(string, ...any)
}

func (o Options) printf(format string, args ...any) {
	if o.Printf != nil {
		o.Printf(format, args...)
	}
}
