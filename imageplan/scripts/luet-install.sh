#!/bin/sh
# Install the Kubernetes payload with luet into /output (CanvOS +install-k8s).
# The optional registry auth is read from a secret mount and appended to the
# repository config inside this same step, then removed, so it never lands in
# a layer or a cached snapshot.
# Usage: luet-install.sh <repo-url> <package> [auth-file]
set -eu
repo=$1
package=$2
auth=${3:-}
conf=/etc/luet/repos.conf.d/spectro.yaml
cleanup() { rm -f "$conf"; }
trap cleanup EXIT
mkdir -p /etc/luet/repos.conf.d /output
luet repo add spectro --type docker --url "$repo" --priority 1 -y
if [ -n "$auth" ] && [ -s "$auth" ]; then
	cat "$auth" >>"$conf"
fi
luet repo update
luet install -y "$package" --system-target /output
luet cleanup
rm -rf /output/var/cache/*
