#!/bin/sh
# Times `canvos uki-iso` end to end (initrd packing, 1 UKI signed, systemd-boot
# signed, ESP image, ISO, sha256) over a stand-in rootfs: the host's /usr/bin,
# a Debian kernel and os-release. Not part of `go test`.
#   bench/ukiiso/run.sh KERNEL [runs]
set -eu
kernel=${1:?usage: run.sh /path/to/vmlinuz [runs]}
runs=${2:-3}
work=${BENCH_DIR:-/tmp}/canvos-ukiiso-bench
rm -rf "$work" && mkdir -p "$work/rootfs/boot" "$work/rootfs/etc" "$work/rootfs/usr"
cp -a /usr/bin "$work/rootfs/usr/bin"
cp "$kernel" "$work/rootfs/boot/vmlinuz"
printf 'ID=canvos-bench\nPRETTY_NAME="CanvOS bench"\n' > "$work/rootfs/etc/os-release"
go build -o "$work/canvos" ./cmd/canvos
SOURCE_DATE_EPOCH=1700000000 "$work/canvos" genkey --org Bench --key-size 2048 --out "$work/keys" >/dev/null 2>&1
du -sb "$work/rootfs"
for i in $(seq "$runs"); do
	rm -f "$work/uki.iso" "$work/uki.iso.sha256"
	/usr/bin/time -f "run $i: %e s wall, %M KB max RSS" env SOURCE_DATE_EPOCH=1700000000 \
		"$work/canvos" uki-iso --rootfs "$work/rootfs" --keys "$work/keys" --cmdline "console=ttyS0" \
		--secure-boot-enroll force --out "$work/uki.iso" --scratch "$work" 2>"$work/log.$i" || { cat "$work/log.$i"; exit 1; }
	tail -n 1 "$work/log.$i"
done
ls -l "$work/uki.iso"
