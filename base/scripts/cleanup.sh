set -eu
# /var/cache/cracklib stays: pam_pwquality needs its dictionary to change
# passwords (CanvOS #584).
find /var/cache -mindepth 1 -maxdepth 1 ! -name cracklib -exec rm -rf {} +
{{- if eq .Distro "ubuntu"}}
rm -rf /var/lib/apt/lists/*
{{- end}}
if command -v journalctl >/dev/null; then
	journalctl --vacuum-size=1K
fi
# Each installed host generates its own machine-id at first boot: ship an
# empty, read-only one and no D-Bus copy.
rm -f /etc/machine-id /var/lib/dbus/machine-id
: >/etc/machine-id
chmod 0444 /etc/machine-id
find /tmp -mindepth 1 -delete
rm -rf {{.MountRoot}}
