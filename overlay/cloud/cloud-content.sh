#!/bin/sh
# cloud-content.sh — first boot of an installed cloud image (network stage,
# active mode; custom-post-reset.yaml): unpack the COS_CONTENT partition of
# the disk — content bundles into /usr/local/spectrocloud/bundle, the cluster
# profile (SPC) into /usr/local/spectrocloud/clusterconfig, the edge config
# onto COS_OEM — then wipe and delete that partition, so
# cloud-extend-persistent.sh can give its room to persistent.
set -u

log=/var/log/stylus-cloud-content-script.log
mkdir -p /var/log
say() {
	echo "cloud-content: $*"
	echo "$(date -u +%FT%TZ) $*" >>"$log"
}

mnt=/opt/spectrocloud/content
bundle=/usr/local/spectrocloud/bundle
spc=/usr/local/spectrocloud/clusterconfig
agent=/opt/spectrocloud/bin/palette-agent

dev=$(blkid -L COS_CONTENT 2>/dev/null) || dev=
if [ -z "$dev" ]; then
	say "no COS_CONTENT partition, nothing to do"
	exit 0
fi
say "content partition $dev"
mkdir -p "$mnt" "$bundle" "$spc"
if ! mount -t ext4 -o ro "$dev" "$mnt" 2>>"$log"; then
	say "ERROR: cannot mount $dev on $mnt"
	exit 1
fi

# keep copies a bundle as it is when it cannot be unpacked: stylus then
# reads it from the bundle directory itself.
keep() {
	say "$2, copying $(basename "$1") as it is"
	cp "$1" "$bundle/" 2>>"$log" || say "ERROR: cannot copy $1"
}

for f in "$mnt"/bundle-content/*; do
	[ -f "$f" ] || continue
	case $f in
	*.zst)
		if [ ! -x "$agent" ]; then
			keep "$f" "no $agent"
		elif "$agent" content-extract --source "$f" --destination "$bundle" >>"$log" 2>&1; then
			say "extracted $(basename "$f")"
		else
			keep "$f" "palette-agent content-extract failed on $(basename "$f")"
		fi
		;;
	*.tar)
		if tar -xf "$f" -C "$bundle" 2>>"$log"; then
			say "unpacked $(basename "$f")"
		else
			keep "$f" "tar failed on $(basename "$f")"
		fi
		;;
	*) say "skipping $(basename "$f"): not a .zst or .tar bundle" ;;
	esac
done

for f in "$mnt"/spc-config/*; do
	[ -f "$f" ] || continue
	if cp "$f" "$spc/" 2>>"$log"; then
		say "cluster profile $(basename "$f")"
	else
		say "ERROR: cannot copy $f"
	fi
done

# COS_OEM is mounted read-only (or not at all) at this stage: a mount of
# its own, read-write, for the copy.
edge=$mnt/edge-config/.edge_custom_config.yaml
if [ -f "$edge" ]; then
	oem=$(blkid -L COS_OEM 2>/dev/null) || oem=
	tmp=$(mktemp -d)
	if [ -n "$oem" ] && mount -o rw "$oem" "$tmp" 2>>"$log"; then
		if cp "$edge" "$tmp/.edge_custom_config.yaml" 2>>"$log"; then
			say "edge config copied to COS_OEM"
		else
			say "ERROR: cannot copy the edge config"
		fi
		umount "$tmp" 2>>"$log" || say "ERROR: cannot unmount COS_OEM from $tmp"
	else
		say "ERROR: cannot mount COS_OEM (${oem:-not found}) read-write: edge config not copied"
	fi
	rmdir "$tmp" 2>/dev/null
fi

if ! umount "$mnt" 2>>"$log"; then
	say "ERROR: cannot unmount $mnt: the content partition stays"
	exit 1
fi
rmdir "$mnt" 2>/dev/null

# The disk and partition number come from sysfs, so sda5 and nvme0n1p5 alike.
name=$(basename "$(readlink -f "$dev")")
disk=/dev/$(basename "$(readlink -f "/sys/class/block/$name/..")")
num=$(cat "/sys/class/block/$name/partition")
wipefs -a "$dev" >>"$log" 2>&1 || say "ERROR: wipefs $dev failed"
# sgdisk writes the table; the kernel keeps the other partitions of a disk in
# use, so the one partition is dropped from its view with partx.
if ! sgdisk -d "$num" "$disk" >>"$log" 2>&1; then
	say "ERROR: cannot delete partition $num of $disk"
	exit 1
fi
partx -d --nr "$num" "$disk" 2>/dev/null || true
say "done: partition $num of $disk deleted"
