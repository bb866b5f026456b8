set -eu
# Kernel arguments of installed (non-UKI) systems live in bootargs.cfg.
f=/etc/cos/bootargs.cfg
if [ ! -f "$f" ]; then
	exit 0
fi
{{- if and .DisableSELinux (not .UKI)}}
# DISABLE_SELINUX=true
sed -i -e 's/ security=selinux//g' -e 's/selinux=1/selinux=0/g' "$f"
{{- end}}
# cgroup v2: Kubernetes 1.35 refuses cgroup v1 (CanvOS #608).
{{- if not .UKI}}
# nouveau off: it hangs Hopper/Blackwell GPUs before their driver loads.
{{- end}}
set -- {{.KernelArgs}}
for arg do
	if ! grep -qF -- "$arg" "$f"; then
		sed -i "s/^set baseCmd=\"\(.*\)\"/set baseCmd=\"\1 $arg\"/" "$f"
	fi
done
