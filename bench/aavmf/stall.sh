#!/usr/bin/env bash
# Counts how often AAVMF (qemu-efi-aarch64) under TCG stalls before its boot
# manager loads any boot option: each run boots the image until the serial
# console shows "BdsDxe: loading" (a stall: nothing within 40 s). Used to show
# the stall is the firmware's, not the image's (docs/iso.md, testutil.aavmfStalled).
#
#   bench/aavmf/stall.sh N IMAGE cd|disk
#   e.g. a plain disk: truncate -s 64M p.img && sgdisk -n1:2048:+32M -t1:EF00 p.img &&
#        mkfs.fat --offset 2048 p.img 32768 && bench/aavmf/stall.sh 40 p.img cd
set -euo pipefail
n=$1 img=$2 kind=$3
case $kind in
cd) media=(-device virtio-scsi-pci -drive "if=none,id=m,media=cdrom,readonly=on,format=raw,file=$img" -device "scsi-cd,drive=m") ;;
disk) media=(-drive "if=none,id=m,format=raw,snapshot=on,file=$img" -device "virtio-blk-pci,drive=m") ;;
*) echo "kind: cd or disk" >&2; exit 2 ;;
esac
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
stalls=0
for i in $(seq 1 "$n"); do
	cp /usr/share/AAVMF/AAVMF_VARS.fd "$w/vars.fd"
	qemu-system-aarch64 -machine virt -cpu cortex-a57 -m 1024 -smp 1 -nographic -no-reboot -nic none \
		-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd \
		-drive "if=pflash,format=raw,unit=1,file=$w/vars.fd" "${media[@]}" </dev/null >"$w/serial.log" 2>&1 &
	pid=$!
	ok=0
	for _ in $(seq 1 80); do
		if grep -q "BdsDxe: loading" "$w/serial.log"; then ok=1 && break; fi
		sleep 0.5
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [[ $ok == 0 ]]; then
		stalls=$((stalls + 1))
		cp "$w/serial.log" "stall-$i.log"
	fi
	echo "run $i: $([[ $ok == 1 ]] && echo loaded || echo STALLED)"
done
echo "stalls: $stalls / $n"
