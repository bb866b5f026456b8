set -eu
# Name the image after the distro it was built from (CanvOS KAIROS_RELEASE).
f=/etc/kairos-release
touch "$f"
sed -i -e '/^KAIROS_NAME=/d' -e '/^KAIROS_IMAGE_LABEL=/d' "$f"
printf '%s\n' 'KAIROS_NAME="{{.KairosName}}"' 'KAIROS_IMAGE_LABEL="{{.KairosLabel}}"' >>"$f"
