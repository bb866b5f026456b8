#!/usr/bin/env bash
# Benchmark of `canvos maas` against CanvOS' MAAS path reproduced with files
# (mkfs.ext4 -d + sgdisk + dd + gzip -6 + sha256sum, no loop devices), on the
# same ~1 GiB Ubuntu-like tree and the same Kairos raw disk. Prints wall time,
# CPU time and peak RSS (GNU time -v) of each, and the ratio.
#
#   bench/maas/run.sh            # work dir under /var/tmp, removed at the end
#   KEEP=1 W=/var/tmp/x bench/maas/run.sh
#
# Needs: go, GNU time, e2fsprogs, dosfstools, mtools, squashfs-tools, gdisk,
# gzip, shim-signed and grub-efi-amd64-signed (the stand-in Kairos rootfs).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
W=${W:-$(mktemp -d /var/tmp/canvos-bench-maas.XXXXXX)}
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
ROOT=$W/ubuntu KAIROS=$W/kairos
canvos_path_wall=0 ours_wall=0

go build -tags daggeroffline -o "$W/canvos" ./cmd/canvos

ubuntu_like_tree "$ROOT"
echo "tree: $(du -sb "$ROOT" | cut -f1) bytes, $(find "$ROOT" | wc -l) entries"

# The Kairos rootfs: the same tree + shim, GRUB and grub.cfg.
kairos_raw "$ROOT" "$KAIROS" "$W/kairos.raw" "$W/canvos"

# CanvOS' build-kairos-maas.sh with files instead of losetup/kpartx/rsync.
canvos_path() {
	local d=$W/canvos-path
	rm -rf "$d" && mkdir -p "$d"
	mkfs.ext4 -F -q -L UBUNTU_ROOTFS -d "$ROOT" "$d/ubuntu.img" 3G
	local -A start size
	while read -r _ s e name; do
		start[$name]=$s size[$name]=$((e - s + 1))
	done < <(sgdisk -p "$W/kairos.raw" | awk '$1 ~ /^[0-9]+$/ {print $1, $2, $3, $7}')
	local efi=$((size[efi] / 2048)) oem=$((size[oem] / 2048)) rec=$((size[recovery] / 2048))
	truncate -s $(((1 + efi + 3072 + oem + rec + 1) * 1048576)) "$d/disk.raw"
	sgdisk -n 1:2048:+${efi}M -t 1:ef00 -c 1:efi -n 2:0:+3072M -t 2:8300 -c 2:ubuntu_rootfs \
		-n 3:0:+${oem}M -t 3:8300 -c 3:oem -n 4:0:+${rec}M -t 4:8300 -c 4:recovery "$d/disk.raw" >/dev/null
	local off=1
	for p in efi ubuntu oem recovery; do
		if [[ $p == ubuntu ]]; then
			dd if="$d/ubuntu.img" of="$d/disk.raw" bs=1M seek=$off conv=notrunc,sparse status=none
			off=$((off + 3072))
		else
			dd if="$W/kairos.raw" of="$d/disk.raw" bs=1M iflag=skip_bytes,count_bytes skip=$((start[$p] * 512)) \
				count=$((size[$p] * 512)) seek=$off conv=notrunc,sparse status=none
			off=$((off + size[$p] / 2048))
		fi
	done
	gzip -6 -c "$d/disk.raw" >"$d/canvos.raw.gz"
	(cd "$d" && sha256sum canvos.raw.gz >canvos.raw.gz.sha256)
	echo "canvos path output: $(stat -c %s "$d/canvos.raw.gz") bytes"
}

ours() {
	rm -rf "$W/out" && mkdir -p "$W/out"
	"$W/canvos" maas --kairos-raw "$W/kairos.raw" --ubuntu-rootfs "$ROOT" --out-dir "$W/out" 2>/dev/null
	echo "canvos maas output: $(stat -c %s "$W/out/kairos-ubuntu-maas.raw.gz") bytes"
}

for i in $(seq "${RUNS:-1}"); do
	echo "== run $i (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	measure canvos_path bash -c "$(declare -f canvos_path); W='$W' ROOT='$ROOT' canvos_path"
	measure ours bash -c "$(declare -f ours); W='$W' ROOT='$ROOT' ours"
	awk -v a="$canvos_path_wall" -v b="$ours_wall" 'BEGIN {printf "ratio: canvos path / canvos maas = %.1fx\n", a/b}'
done
