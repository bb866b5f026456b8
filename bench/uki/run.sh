#!/usr/bin/env bash
# Benchmark: Authenticode-sign a 100 MiB UKI with `canvos sign` (go-uefi +
# our deterministic PKCS#7) and with sbsign, in the same run, on the same
# input and key (perf-baselines.md §4). Also times the whole `canvos uki`
# (assemble + PCR policy + sign) against objcopy + sbsign.
# Usage: bench/uki/run.sh [runs]   (default 5). Needs sbsigntool, binutils,
# openssl, systemd-boot-efi and GNU time. Prints one line per command:
# median and min-max wall seconds, max peak RSS in MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
w=$(mktemp -d -p "${BENCH_DIR:-${TMPDIR:-/tmp}}") # BENCH_DIR=/dev/shm takes the disk (and our fsync) out
trap 'rm -rf "$w"' EXIT
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

go build -tags daggeroffline -o "$w/canvos" ./cmd/canvos
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$w/db.key" -out "$w/db.pem" -subj /CN=bench-db -days 30 2>/dev/null
openssl genrsa -out "$w/pcr.pem" 2048 2>/dev/null
head -c $((100 << 20)) /dev/urandom >"$w/linux.bin"
head -c 4096 /dev/urandom >"$w/initrd.bin"
printf 'console=ttyS0' >"$w/cmdline"
# The baseline's unsigned input: the stub plus a 100 MiB .linux (perf-baselines.md §4).
objcopy --add-section .linux="$w/linux.bin" --change-section-vma .linux=0x2000000 \
	--set-section-flags .linux=data,readonly "$stub" "$w/unsigned.efi"
echo "input: $(stat -c %s "$w/unsigned.efi") bytes"

measure() { # name, command...
	local name=$1; shift
	local walls=() rss=0
	for _ in $(seq "$runs"); do
		rm -f "$w/out.efi"; sync
		/usr/bin/time -f '%e %M' -o "$w/t" "$@" >/dev/null 2>&1
		read -r s kb <"$w/t"
		walls+=("$s"); ((kb > rss)) && rss=$kb
	done
	printf '%s\n' "${walls[@]}" | sort -n | awk -v n="$name" -v rss="$rss" \
		'{a[NR]=$1} END {printf "%-34s median %.2f s (min %.2f, max %.2f)  peak RSS %.1f MB\n", n, a[int((NR+1)/2)], a[1], a[NR], rss/1024}'
}

measure "sbsign (100 MiB)" sbsign --key "$w/db.key" --cert "$w/db.pem" --output "$w/out.efi" "$w/unsigned.efi"
sbverify --cert "$w/db.pem" "$w/out.efi" >/dev/null 2>&1 && echo "  sbverify: OK"
measure "canvos sign (100 MiB)" "$w/canvos" sign --key "$w/db.key" --cert "$w/db.pem" --in "$w/unsigned.efi" --out "$w/out.efi"
sbverify --cert "$w/db.pem" "$w/out.efi" >/dev/null 2>&1 && echo "  sbverify: OK"
measure "objcopy + sbsign (assemble+sign)" sh -c "objcopy --add-section .linux=$w/linux.bin --change-section-vma .linux=0x2000000 --set-section-flags .linux=data,readonly $stub $w/u2.efi && sbsign --key $w/db.key --cert $w/db.pem --output $w/out.efi $w/u2.efi"
measure "canvos uki (assemble+PCR+sign)" "$w/canvos" uki --kernel "$w/linux.bin" --initrd "$w/initrd.bin" --cmdline console=ttyS0 \
	--pcr-key "$w/pcr.pem" --key "$w/db.key" --cert "$w/db.pem" --out "$w/out.efi"
sbverify --cert "$w/db.pem" "$w/out.efi" >/dev/null 2>&1 && echo "  sbverify: OK"
