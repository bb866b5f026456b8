#!/bin/sh
# setup-recovery.sh — first boot of the MAAS-deployed Ubuntu (the
# 'ubuntu-firstboot' GRUB entry), run once by setup-recovery.service: hand
# MAAS' user-data (if cloud-init fetched any) to Kairos on the COS_OEM
# partition, point GRUB's next boot at Kairos recovery, which installs the
# edge host, and reboot. Any failure exits 1 before the reboot, leaving the
# machine in Ubuntu for inspection and the service free to run again.
set -u

userdata=/var/lib/cloud/instance/user-data.txt
marker=/var/lib/setup-recovery-completed

[ ! -e "$marker" ] || exit 0

oem_dev=$(blkid -L COS_OEM) || oem_dev=
if [ -z "$oem_dev" ]; then
	echo "setup-recovery: no COS_OEM partition" >&2
	exit 1
fi
oem=$(mktemp -d) || exit 1
if ! mount -o rw "$oem_dev" "$oem"; then
	echo "setup-recovery: mount $oem_dev failed" >&2
	rmdir "$oem"
	exit 1
fi

ok=true
if [ -f "$userdata" ]; then
	cp "$userdata" "$oem/userdata.yaml" || { echo "setup-recovery: copying $userdata failed" >&2; ok=false; }
else
	echo "setup-recovery: no $userdata, Kairos gets no MAAS user-data"
fi
grub-editenv "$oem/grubenv" set next_entry=recovery || { echo "setup-recovery: grub-editenv failed" >&2; ok=false; }
umount "$oem" || { echo "setup-recovery: umount $oem failed" >&2; ok=false; }
rmdir "$oem" 2>/dev/null || true

if [ "$ok" != true ]; then
	echo "setup-recovery: failed, not rebooting" >&2
	exit 1
fi
mkdir -p "$(dirname "$marker")"
touch "$marker"
reboot
