#!/usr/bin/env bash
# Benchmark of `canvos maas --ubuntu-cloud-image` against `--ubuntu-rootfs` on
# the same ~1 GiB Ubuntu-like tree: the cloud image is that tree in a 2.5 GiB
# ext4 image (mke2fs -d, as the root partition of noble-server-cloudimg-amd64
# is 2.5 GiB), grown to the 3 GiB ubuntu_rootfs partition. Then the steps of
# the cloud path alone, to show what the scratch copy resize2fs forces costs.
#
#   bench/maas/cloudimage.sh     # work dir under /var/tmp, removed at the end
#
# Needs: go, GNU time, e2fsprogs, dosfstools, mtools, squashfs-tools,
# shim-signed and grub-efi-amd64-signed (the stand-in Kairos rootfs).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
W=${W:-$(mktemp -d /var/tmp/canvos-bench-cloud.XXXXXX)}
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000 E2FSPROGS_FAKE_TIME=1700000000
ROOT=$W/ubuntu KAIROS=$W/kairos

go build -tags daggeroffline -o "$W/canvos" ./cmd/canvos
ubuntu_like_tree "$ROOT"
echo "tree: $(du -sb "$ROOT" | cut -f1) bytes, $(find "$ROOT" | wc -l) entries"
kairos_raw "$ROOT" "$KAIROS" "$W/kairos.raw" "$W/canvos"
[[ -f $W/cloud.ext4 ]] || mkfs.ext4 -F -q -L cloudimg-rootfs -d "$ROOT" "$W/cloud.ext4" 2560M

step() { # name, command...: one line of GNU time
	local name=$1
	shift
	sync
	/usr/bin/time -f "$name: %e s wall, %U+%S s CPU, %M KB peak RSS" "$@" 2>&1 >/dev/null | grep -v '^maas:' || true
}
mkdir -p "$W/out"
for run in 1 2; do
	echo "run $run"
	step "  maas --ubuntu-rootfs     " "$W/canvos" maas --kairos-raw "$W/kairos.raw" --ubuntu-rootfs "$ROOT" --out-dir "$W/out" --name a
	step "  maas --ubuntu-cloud-image" "$W/canvos" maas --kairos-raw "$W/kairos.raw" --ubuntu-cloud-image "$W/cloud.ext4" --out-dir "$W/out" --name b
done
echo "cloud path steps (the scratch copy is what resize2fs' truncation forces):"
rm -f "$W/s.ext4"
step "  copy to scratch (sparse)" cp --sparse=always --reflink=never "$W/cloud.ext4" "$W/s.ext4"
step "  e2fsck -fp              " e2fsck -fp "$W/s.ext4"
step "  resize2fs 3G            " resize2fs "$W/s.ext4" 3G
step "  tune2fs -L -U           " tune2fs -L UBUNTU_ROOTFS -U 11111111-2222-4333-8444-555555555555 "$W/s.ext4"
rm -f "$W/d.raw" && truncate -s 4G "$W/d.raw"
# copy_file_range of the data runs to offset 65 MiB, as maas/copy.go does.
step "  copy into the disk      " python3 -c '
import os, sys
src, dst = os.open(sys.argv[1], os.O_RDONLY), os.open(sys.argv[2], os.O_WRONLY)
end, off = os.fstat(src).st_size, 0
while off < end:
    try:
        off = os.lseek(src, off, os.SEEK_DATA)
    except OSError:
        break
    hole = os.lseek(src, off, os.SEEK_HOLE)
    while off < hole:
        off += os.copy_file_range(src, dst, hole - off, off, off + 65 * 2**20)
' "$W/s.ext4" "$W/d.raw"
