set -eu
# The Pro client rejects an /etc/os-release with blank lines.
sed -i '/^$/d' /etc/os-release
# The token goes from the secret mount into a 0600 attach config, never
# through argv or the environment; the config is gone when this script ends.
umask 077
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
{ printf 'token: '; cat {{.ProToken}}; } >"$conf"
pro attach --attach-config "$conf"
