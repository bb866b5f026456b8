#!/bin/sh
# maas-content.sh — first boot of the installed Kairos system: copy the content
# bundles, cluster profile (SPC) and edge config from the COS_CONTENT partition
# of the MAAS disk into place, then delete that partition.
set -u

log=/var/log/stylus-maas-content-script.log
exec >>"$log" 2>&1
echo "maas-content: start $(date -u +%FT%TZ)"

mnt=/opt/spectrocloud/content
bundle=/usr/local/spectrocloud/bundle
spc=/usr/local/spectrocloud/clusterconfig

dev=$(blkid -L COS_CONTENT) || { echo "maas-content: no COS_CONTENT partition"; exit 0; }
mkdir -p "$mnt" "$bundle"
mount "$dev" "$mnt" || { echo "maas-content: mount $dev failed"; exit 1; }

agent=$(command -v palette-agent || echo /opt/spectrocloud/bin/palette-agent)
for f in "$mnt"/bundle-content/*.zst; do
	[ -e "$f" ] || continue
	echo "maas-content: extracting $f"
	"$agent" content-extract --source "$f" --destination "$bundle" || cp "$f" "$bundle/"
done
for f in "$mnt"/bundle-content/*.tar; do
	[ -e "$f" ] || continue
	echo "maas-content: unpacking $f"
	tar -xf "$f" -C "$bundle"
done
if [ -d "$mnt/spc-config" ]; then
	mkdir -p "$spc"
	cp -a "$mnt/spc-config/." "$spc/"
fi
if [ -f "$mnt/edge-config/.edge_custom_config.yaml" ]; then
	cp "$mnt/edge-config/.edge_custom_config.yaml" /oem/.edge_custom_config.yaml
fi
umount "$mnt"

name=$(basename "$(readlink -f "$dev")")
disk=/dev/$(basename "$(readlink -f "/sys/class/block/$name/..")")
num=$(cat "/sys/class/block/$name/partition")
wipefs -a "$dev"
parted -s "$disk" rm "$num"
partprobe "$disk" || true
echo "maas-content: done, removed partition $num of $disk"
