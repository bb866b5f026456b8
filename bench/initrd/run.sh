#!/usr/bin/env bash
# Benchmark of `canvos initrd` (the initrd every UKI carries: the whole rootfs
# as cpio newc, compressed) against the standard tools on the same ~1.2 GiB
# tree: find | sort | cpio -o -H newc | zstd -3 -T0 (what dracut and mkinitcpio
# pipe through) and | gzip -6 (enki's compression). Prints wall time, CPU and
# peak RSS (GNU time -v) of each, output sizes, the ratios, and checks that
# both archives list the same paths.
#
#   bench/initrd/run.sh            # work dir under /var/tmp, removed at the end
#   RUNS=3 KEEP=1 W=/var/tmp/x bench/initrd/run.sh
#
# Needs: go, GNU time, cpio, zstd, gzip.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
W=${W:-$(mktemp -d /var/tmp/canvos-bench-initrd.XXXXXX)}
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
ROOT=$W/rootfs
cpio_zstd_wall=0 canvos_zstd_wall=0 cpio_gzip_wall=0 canvos_gzip_wall=0

go build -o "$W/canvos" ./cmd/canvos
ubuntu_like_tree "$ROOT"
echo "tree: $(du -sb "$ROOT" | cut -f1) bytes, $(find "$ROOT" | wc -l) entries"

# The standard path: a sorted list of the tree, owners root, one cpio stream.
cpio_path() { # compressor command...
	(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 | "$@")
}

# paths lists an archive's member paths, sorted, without a leading ./
paths() { # decompressor file
	"$1" -dc "$2" | cpio --quiet -it | sed 's|^\./||' | grep -v '^\.\?$' | LC_ALL=C sort
}

for i in $(seq "${RUNS:-1}"); do
	echo "== run $i (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	measure canvos_zstd "$W/canvos" initrd --rootfs "$ROOT" --out "$W/canvos.zst" --compression zstd
	measure cpio_zstd bash -c "$(declare -f cpio_path); ROOT='$ROOT' cpio_path zstd -q -3 -T0 >'$W/cpio.zst'"
	measure canvos_gzip "$W/canvos" initrd --rootfs "$ROOT" --out "$W/canvos.gz" --compression gzip
	measure cpio_gzip bash -c "$(declare -f cpio_path); ROOT='$ROOT' cpio_path gzip -6 >'$W/cpio.gz'"
	for f in canvos.zst cpio.zst canvos.gz cpio.gz; do echo "$f: $(stat -c %s "$W/$f") bytes"; done
	awk -v a="$cpio_zstd_wall" -v b="$canvos_zstd_wall" -v c="$cpio_gzip_wall" -v d="$canvos_gzip_wall" \
		'BEGIN {printf "ratio zstd: cpio|zstd -3 -T0 / canvos = %.2fx; gzip: cpio|gzip -6 / canvos = %.2fx\n", a/b, c/d}'
done
if cmp -s <(paths zstd "$W/canvos.zst") <(paths zstd "$W/cpio.zst"); then
	echo "same paths in both archives ($(paths zstd "$W/canvos.zst" | wc -l))"
else
	echo "the archives list different paths" >&2
	diff <(paths zstd "$W/canvos.zst") <(paths zstd "$W/cpio.zst") | head >&2
	exit 1
fi
