#!/bin/sh
# cloud-extend-persistent.sh — first boot of an installed cloud image, after
# cloud-content.sh (network stage, active mode; custom-post-reset.yaml): grow
# the persistent partition (COS_PERSISTENT, partlabel persistent) over the free
# space that follows it, up to the end of the disk, and its file system with
# it, mounted or not. The GPT's backup header is moved to the end of the disk
# first when it is short of it, so a volume larger than the image is used
# whole.
set -u

log=/var/log/persistent-extension.log
mkdir -p /var/log
say() {
	echo "cloud-extend-persistent: $*"
	echo "$(date -u +%FT%TZ) $*" >>"$log"
}

dev=$(blkid -L COS_PERSISTENT 2>/dev/null || blkid -t PARTLABEL=persistent -o device 2>/dev/null) || dev=
if [ -z "$dev" ]; then
	say "no persistent partition, nothing to do"
	exit 0
fi
name=$(basename "$(readlink -f "$dev")")
disk=/dev/$(basename "$(readlink -f "/sys/class/block/$name/..")")
num=$(cat "/sys/class/block/$name/partition")
say "persistent is partition $num of $disk"

# field prints a field of `sgdisk -i` (e.g. "First sector: 2048 (at 1.0 MiB)").
field() { sed -n "s/^$1: *\([^ ]*\).*/\1/p"; }

# A volume enlarged after the install has its backup GPT short of the end
# (more than its 33 sectors after the last usable one): move it there, so the
# whole volume is usable. Not otherwise: no table write at every boot. (At
# the first boot, cloud-content.sh's sgdisk -d has moved it already: sgdisk
# does so whenever it writes.)
table=$(sgdisk -p "$disk")
sectors=$(echo "$table" | sed -n "s|^Disk $disk: \([0-9]*\) sectors.*|\1|p")
usable=$(echo "$table" | sed -n 's/.*last usable sector is \([0-9]*\).*/\1/p')
if [ -n "$sectors" ] && [ -n "$usable" ] && [ $((sectors - usable)) -gt 34 ]; then
	if sgdisk -e "$disk" >>"$log" 2>&1; then
		say "backup GPT moved to the end of $disk"
	else
		say "WARNING: cannot move the backup GPT to the end of $disk"
	fi
fi
info=$(sgdisk -i "$num" "$disk")
start=$(echo "$info" | field "First sector")
end=$(echo "$info" | field "Last sector")
guid=$(echo "$info" | field "Partition unique GUID")
code=$(echo "$info" | field "Partition GUID code")
attrs=$(echo "$info" | field "Attribute flags")
pname=$(echo "$info" | sed -n "s/^Partition name: '\(.*\)'$/\1/p")
# The same partition again, from the same first sector to the end of the free
# space after it (end 0): a dry run tells whether it would grow.
recreate="-d $num -n $num:$start:0 -t $num:$code -u $num:$guid -c $num:$pname -A $num:=:$attrs"
# shellcheck disable=SC2086 # recreate is a list of sgdisk options without blanks
new=$(sgdisk --pretend $recreate -i "$num" "$disk" 2>/dev/null | field "Last sector")
if [ -z "$new" ] || [ "$new" -le "$end" ]; then
	say "persistent already ends at sector $end, where the free space ends"
	exit 0
fi
# shellcheck disable=SC2086
if ! sgdisk $recreate "$disk" >>"$log" 2>&1; then
	say "ERROR: cannot grow partition $num of $disk"
	exit 1
fi
# The kernel keeps a table of a disk in use: update this one partition.
partx -u --nr "$num" "$disk" >>"$log" 2>&1 || say "WARNING: partx -u $disk failed"
say "partition $num now ends at sector $new (was $end)"

# mountpoint prints where dev is mounted, whatever name it was mounted by.
mountpoint() {
	while read -r src dir _; do
		if [ "$(readlink -f "$src")" = "$(readlink -f "$1")" ]; then
			echo "$dir"
			return 0
		fi
	done </proc/mounts
	return 1
}

fstype=$(blkid -s TYPE -o value "$dev")
at=$(mountpoint "$dev") || at=
case $fstype in
ext2 | ext3 | ext4)
	# resize2fs grows a mounted ext file system online; an unmounted one
	# must be checked first.
	if [ -z "$at" ] && ! e2fsck -f -p "$dev" >>"$log" 2>&1; then
		say "ERROR: e2fsck $dev failed, not resized"
		exit 1
	fi
	resize2fs "$dev" >>"$log" 2>&1 || {
		say "ERROR: resize2fs $dev failed"
		exit 1
	}
	;;
xfs)
	if [ -z "$at" ]; then
		say "ERROR: xfs grows only mounted, and $dev is not"
		exit 1
	fi
	xfs_growfs "$at" >>"$log" 2>&1 || {
		say "ERROR: xfs_growfs $at failed"
		exit 1
	}
	;;
*)
	say "ERROR: cannot grow a ${fstype:-unknown} file system"
	exit 1
	;;
esac
say "done: $fstype on $dev grown${at:+ (mounted on $at)}"
