#!/bin/sh
# maas-content.sh — network stage of the installed Kairos system (run by
# 80_stylus_maas.yaml): move what the MAAS disk's COS_CONTENT partition holds
# into place, then delete that partition so its space is not wasted.
#
#   bundle-content/*.zst  content bundles: palette-agent content-extract into
#                         /usr/local/spectrocloud/bundle (copied as they are if
#                         that fails)
#   bundle-content/*.tar  unpacked there (copied as they are if that fails)
#   spc-config/*          cluster profile files → /usr/local/spectrocloud/clusterconfig
#   edge-config/.edge_custom_config.yaml → the COS_OEM partition, mounted
#                         read-write on a temporary directory (/oem may be
#                         read-only or not mounted at this stage)
#
# A file that cannot be handled is logged and skipped. The partition is only
# deleted once it is unmounted; a failed mount or unmount exits 1.
set -u

log_file=/var/log/stylus-maas-content-script.log
mnt=/opt/spectrocloud/content
bundle=/usr/local/spectrocloud/bundle
spc=/usr/local/spectrocloud/clusterconfig
agent=/opt/spectrocloud/bin/palette-agent

log() {
	msg="[$(date '+%Y-%m-%d %H:%M:%S')] $*"
	echo "$msg"
	echo "$msg" >>"$log_file" 2>/dev/null || true
}
mkdir -p "$(dirname "$log_file")" || true

dev=$(blkid -L COS_CONTENT 2>/dev/null) || dev=
if [ -z "$dev" ]; then
	log "no COS_CONTENT partition, nothing to do"
	exit 0
fi
log "content partition $dev"
mkdir -p "$mnt" "$bundle" "$spc"
if ! mount -t ext4 "$dev" "$mnt"; then
	log "ERROR: mount $dev on $mnt failed"
	exit 1
fi

# copy_as_is FILE: the fallback when a bundle cannot be unpacked.
copy_as_is() {
	cp "$1" "$bundle/" || log "ERROR: copying $1 failed"
}

for f in "$mnt"/bundle-content/*; do
	[ -f "$f" ] || continue
	case $f in
	*.zst)
		if "$agent" content-extract --source "$f" --destination "$bundle" >>"$log_file" 2>&1; then
			log "extracted $f"
		else
			log "ERROR: extracting $f failed, copying it as it is"
			copy_as_is "$f"
		fi
		;;
	*.tar)
		if tar -xf "$f" -C "$bundle" 2>>"$log_file"; then
			log "unpacked $f"
		else
			log "ERROR: unpacking $f failed, copying it as it is"
			copy_as_is "$f"
		fi
		;;
	*) log "skipping $f: neither .zst nor .tar" ;;
	esac
done

for f in "$mnt"/spc-config/*; do
	[ -f "$f" ] || continue
	if cp "$f" "$spc/"; then log "copied cluster profile $f"; else log "ERROR: copying $f failed"; fi
done

# to_oem FILE NAME: copy FILE to NAME on the COS_OEM partition.
to_oem() {
	oem_dev=$(blkid -L COS_OEM 2>/dev/null) || oem_dev=
	if [ -z "$oem_dev" ]; then
		log "ERROR: no COS_OEM partition for $2"
		return 1
	fi
	oem=$(mktemp -d) || return 1
	if ! mount -o rw "$oem_dev" "$oem"; then
		log "ERROR: mount $oem_dev failed"
		rmdir "$oem"
		return 1
	fi
	cp "$1" "$oem/$2"
	ok=$?
	umount "$oem" || log "ERROR: umount $oem failed"
	rmdir "$oem" 2>/dev/null || true
	[ "$ok" -eq 0 ] && log "copied $2 to COS_OEM"
	return "$ok"
}
edge=$mnt/edge-config/.edge_custom_config.yaml
if [ -f "$edge" ]; then
	to_oem "$edge" .edge_custom_config.yaml || log "ERROR: the edge config was not stored"
fi

if ! umount "$mnt"; then
	log "ERROR: umount $mnt failed, keeping the partition"
	exit 1
fi
rmdir "$mnt" 2>/dev/null || true

# The disk and the partition number come from sysfs, which also gets
# /dev/nvme0n1p5 and /dev/mmcblk0p5 right.
name=$(basename "$(readlink -f "$dev")")
disk=/dev/$(basename "$(readlink -f "/sys/class/block/$name/..")")
num=$(cat "/sys/class/block/$name/partition") || exit 1
wipefs -a "$dev" || log "ERROR: wipefs $dev failed"
if parted -s "$disk" rm "$num"; then
	log "removed partition $num of $disk"
	partprobe "$disk" || true
else
	log "ERROR: removing partition $num of $disk failed"
fi
log "done; bundle directory:"
ls -l "$bundle" >>"$log_file" 2>&1 || true
