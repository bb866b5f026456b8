#!/bin/sh
# Two-node HA extras (CanvOS TWO_NODE=true): PostgreSQL 16 and kine, with
# postgres disabled at boot because Stylus enables it when the node needs it.
# Usage: two-node.sh <os-distribution> <arch> <kine-version>
set -eu
distro=$1
arch=$2
kine=$3
case "$distro" in
ubuntu)
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y --no-install-recommends curl ca-certificates gnupg lsb-release
	install -d /usr/share/postgresql-common/pgdg
	curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
		https://www.postgresql.org/media/keys/ACCC4CF8.asc
	echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt $(lsb_release -cs)-pgdg main" \
		>/etc/apt/sources.list.d/pgdg.list
	apt-get update -qq
	apt-get install -y --no-install-recommends postgresql-16 postgresql-contrib-16 iputils-ping
	rm -rf /var/lib/apt/lists/*
	;;
opensuse-leap)
	# Only the PostgreSQL project's repository (as CanvOS), never a whole
	# distribution repository: everything else stays Leap's own packages.
	zypper --non-interactive --quiet addrepo --refresh -p 90 \
		https://download.opensuse.org/repositories/server:database:postgresql/openSUSE_Tumbleweed/ PostgreSQL
	zypper --non-interactive --gpg-auto-import-keys refresh
	zypper --non-interactive install -y postgresql16 postgresql16-server postgresql16-contrib iputils
	zypper --non-interactive removerepo PostgreSQL
	zypper clean --all
	;;
*)
	echo "two-node: $distro is not supported (ubuntu, opensuse-leap)" >&2
	exit 1
	;;
esac
mkdir -p /opt/spectrocloud/bin
curl -fsSL -o /opt/spectrocloud/bin/kine \
	"https://github.com/k3s-io/kine/releases/download/v${kine}/kine-${arch}"
chmod 0755 /opt/spectrocloud/bin/kine
home=$(getent passwd postgres | cut -d: -f6)
if [ -n "$home" ]; then
	perl5lib=$(perl -e 'print join(":", grep { -d } @INC)' 2>/dev/null || true)
	echo "export PERL5LIB=$perl5lib" >>"$home/.bash_profile"
fi
mkdir -p /etc/systemd/system/postgresql@.service.d
printf '[Unit]\nAfter=network-online.target\nWants=network-online.target\n' \
	>/etc/systemd/system/postgresql@.service.d/10-network-online.conf
systemctl disable postgresql || true
