#!/bin/sh
# setup-recovery.sh — first boot of the MAAS-deployed Ubuntu (the
# 'ubuntu-firstboot' GRUB entry): hand MAAS' user-data to Kairos and reboot into
# Kairos recovery, which installs the edge host. Any failure stops before the
# reboot, leaving the machine in Ubuntu for inspection.
set -eu

userdata=/var/lib/cloud/instance/user-data.txt
marker=/var/lib/setup-recovery-completed
oem=/run/setup-recovery/oem

[ -f "$userdata" ] || { echo "setup-recovery: $userdata missing" >&2; exit 1; }
mkdir -p "$oem"
mount -o rw -L COS_OEM "$oem"
trap 'umount "$oem"' EXIT
cp "$userdata" "$oem/userdata.yaml"
grub-editenv "$oem/grubenv" set next_entry=recovery
sync
umount "$oem"
trap - EXIT
touch "$marker"
reboot
