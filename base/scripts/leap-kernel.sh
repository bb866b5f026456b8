set -eu
{{- if not .UpdateKernel}}
# UPDATE_KERNEL=false: lock the kernel of the base image.
zypper --non-interactive addlock 'kernel-de*'
{{- end}}
zypper --non-interactive refresh
zypper --non-interactive update
# Images without dracut keep the initrd they came with.
if ! command -v dracut >/dev/null; then
	exit 0
fi
{{template "newest-kernel" .}}
depmod -a "$kver"
{{template "initrd" .}}
