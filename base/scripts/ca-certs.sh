set -eu
# CanvOS certs/: every file becomes a trust anchor of the distribution.
dir={{.TrustDir}}
mkdir -p "$dir"
for cert in {{.CertsDir}}/*; do
	[ -f "$cert" ] || continue
	name=$(basename "$cert")
{{- if eq .Distro "ubuntu"}}
	# update-ca-certificates only reads *.crt from this directory.
	name=${name%.*}.crt
{{- end}}
	install -m 0644 "$cert" "$dir/$name"
done
{{.TrustUpdate}}
