set -eu
{{- if .UpdateKernel}}
# UPDATE_KERNEL=true: move to the newest HWE kernel of Ubuntu {{.OSVersion}}.
{{template "apt"}} install --no-install-recommends linux-image-generic-hwe-{{.OSVersion}}
{{template "apt"}} upgrade --with-new-pkgs
{{- else}}
# UPDATE_KERNEL=false: hold the kernel of the base image, so upgrades keep it.
for pkg in linux-image-generic-hwe-{{.OSVersion}} linux-headers-generic-hwe-{{.OSVersion}} linux-generic-hwe-{{.OSVersion}}; do
	# shellcheck disable=SC2016 # ${Status} is a dpkg-query field, not a shell variable
	if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		apt-mark hold "$pkg"
	fi
done
apt-mark hold linux-image-generic linux-headers-generic linux-generic
{{- end}}
