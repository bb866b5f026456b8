set -eu
{{template "apt"}} upgrade
{{template "apt"}} install --no-install-recommends util-linux parted cloud-guest-utils gawk fdisk gdisk e2fsprogs dosfstools rsync cryptsetup-bin udev
{{template "newest-kernel" .}}
# Purge every other versioned kernel package{{if .FIPS}}, but keep every FIPS
# package: the FIPS kernel and its meta packages must survive (CanvOS #422){{end}}.
kabi=$(printf '%s\n' "$kver" | sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+-[0-9]+).*/\1/')
# shellcheck disable=SC2016 # ${...} are dpkg-query fields
old=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'linux-image-*' 'linux-headers-*' 'linux-modules-*' 2>/dev/null |
	awk -v keep="$kabi" '$1 == "ii" && $2 ~ /^linux-(image|headers|modules)(-extra)?-[0-9]/ && index($2, keep) == 0{{if .FIPS}} && $2 !~ /fips/{{end}} { print $2 }')
if [ -n "$old" ]; then
	# shellcheck disable=SC2086 # one package name per word
	{{template "apt"}} purge --allow-change-held-packages $old
fi
apt-get -y autoremove
rm -rf /var/lib/apt/lists/*
ln -sf "vmlinuz-$kver" /boot/vmlinuz
{{- if .FIPS}}
# FIPS: the base image's initrd carries the FIPS dracut modules; keep it.
{{- else}}
{{template "initrd" .}}
{{- end}}
depmod -a "$kver"
# Kairos calls grub2-editenv; Ubuntu ships it as grub-editenv.
if [ ! -e /usr/bin/grub2-editenv ] && command -v grub-editenv >/dev/null; then
	ln -s "$(command -v grub-editenv)" /usr/bin/grub2-editenv
fi
