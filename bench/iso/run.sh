#!/usr/bin/env bash
# Benchmark of `canvos iso` against `xorriso -as mkisofs` (what AuroraBoot
# runs) on the same ~1.2 GiB rootfs and the same squashfs. Prints where
# canvos' time goes (from its progress lines), then the ISO assembly alone
# (after mksquashfs: ESP, GRUB image, go-diskfs ISO 9660, fix-ups, hybrid
# MBR, sha256) against xorriso mastering the very tree canvos staged
# (extracted back from our ISO) + sha256sum, 3 runs each, and the ratio.
#
#   bench/iso/run.sh             # work dir under /var/tmp, removed at the end
#   KEEP=1 W=/var/tmp/x bench/iso/run.sh
#
# Needs: go, GNU time, squashfs-tools, dosfstools, mtools, grub-pc-bin,
# grub-efi-amd64-signed, shim-signed, xorriso.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${W:-$(mktemp -d /var/tmp/canvos-bench-iso.XXXXXX)}
[[ -n "${KEEP:-}" ]] || trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
ROOT=$W/rootfs
RUNS=${RUNS:-3}

go build -tags daggeroffline -o "$W/canvos" ./cmd/canvos

# ~1.2 GiB installer-like rootfs: the host's binaries, libraries, python,
# /etc and /usr/share/{doc,locale,i18n} (many small files, symlinks,
# hardlinks), a kernel and initrd in the Kairos layout and the Debian boot
# files where canvos iso looks for them.
if [[ ! -d $ROOT ]]; then
	mkdir -p "$ROOT/usr/lib/grub" "$ROOT/usr/lib/shim" "$ROOT/usr/lib/grub/x86_64-efi-signed" "$ROOT/usr/share" "$ROOT/boot" "$ROOT/etc"
	cp -a /usr/bin /usr/sbin "$ROOT/usr/"
	cp -a /usr/lib/x86_64-linux-gnu /usr/lib/python3 /usr/lib/gcc "$ROOT/usr/lib/"
	cp -a /usr/share/doc /usr/share/locale /usr/share/i18n "$ROOT/usr/share/"
	cp -a /etc/. "$ROOT/etc/"
	cp -a /usr/lib/grub/i386-pc "$ROOT/usr/lib/grub/"
	cp /usr/lib/shim/shimx64.efi.signed /usr/lib/shim/mmx64.efi.signed "$ROOT/usr/lib/shim/"
	cp /usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed "$ROOT/usr/lib/grub/x86_64-efi-signed/"
	head -c 12M /dev/urandom >"$ROOT/boot/vmlinuz"
	head -c 40M /dev/urandom >"$ROOT/boot/initrd"
fi
echo "tree: $(du -sb "$ROOT" | cut -f1) bytes, $(find "$ROOT" | wc -l) entries"

stamp() { while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done; }

# canvos iso, with a timestamp on each progress line: the gaps between them
# are the phases (squashfs, boot, esp, bios, iso9660 = go-diskfs Finalize,
# fixups = padding/dates/owners/hybrid table, sha256 = hash + fsync + rename).
ours() {
	rm -f "$W/ours.iso" "$W/ours.iso.sha256"
	sync
	local t0 t1
	t0=$(date +%s.%N)
	"$W/canvos" iso --rootfs "$ROOT" --out "$W/ours.iso" --scratch "$W" 2> >(stamp >"$W/ours.log")
	t1=$(date +%s.%N)
	sleep 0.2
	awk -v t0="$t0" -v t1="$t1" '
		{ ts[NR]=$1; $1=""; split($2, w, ":"); name[NR]=w[1] }
		END { for (i=1;i<NR;i++) { d=ts[i+1]-ts[i]; n=name[i]; printf "  %-9s %6.2f s\n", n, d }
		      printf "  total     %6.2f s\n", t1-t0
		      printf "ASSEMBLY %.3f\n", t1-ts[2] }' "$W/ours.log"
}

# xorriso on the tree canvos staged (read back from our ISO): same squashfs,
# kernel, initrd, grub.cfg, ESP and GRUB El Torito image, with the same
# BIOS + UEFI entries and a grub2 hybrid MBR + appended ESP partition
# (AuroraBoot's shape), then sha256sum as canvos does.
xorriso_iso() {
	rm -f "$W/x.iso"
	sync
	local t0 t1
	t0=$(date +%s.%N)
	xorriso -as mkisofs -quiet -R -V COS_LIVE -o "$W/x.iso" \
		-b boot/grub2/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 -boot-info-table --grub2-boot-info \
		--grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
		-eltorito-alt-boot -e boot/efiboot.img -no-emul-boot \
		-append_partition 2 0xef "$W/tree/boot/efiboot.img" "$W/tree" 2>/dev/null
	sha256sum "$W/x.iso" >/dev/null
	t1=$(date +%s.%N)
	echo "XORRISO $(echo "$t1 - $t0" | bc)"
}

declare -a a x
for i in $(seq "$RUNS"); do
	echo "== canvos iso run $i"
	out=$(ours)
	echo "$out" | grep -v ASSEMBLY
	a+=("$(echo "$out" | awk '/ASSEMBLY/ {print $2}')")
	if [[ ! -d $W/tree ]]; then
		xorriso -osirrox on -indev "$W/ours.iso" -extract / "$W/tree" 2>/dev/null
		rm -f "$W/tree/boot/boot.catalog"
	fi
	echo "== xorriso run $i"
	x+=("$(xorriso_iso | awk '{print $2}')")
	echo "  xorriso+sha256 ${x[-1]} s"
done
med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
ma=$(med "${a[@]}") mx=$(med "${x[@]}")
echo "ISO sizes: ours $(stat -c %s "$W/ours.iso"), xorriso $(stat -c %s "$W/x.iso")"
echo "median ISO assembly after mksquashfs: canvos ${ma} s, xorriso ${mx} s, ratio $(echo "scale=2; $ma / $mx" | bc)"
