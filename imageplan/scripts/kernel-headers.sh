#!/bin/sh
# Install the headers matching the image's kernel (not the build host's), as
# CanvOS' install-kernel-headers.sh: exact package first, then the distro's
# generic headers. Never fails the build: out-of-tree modules that need the
# headers report their own error.
# Usage: kernel-headers.sh <os-distribution>
set -u
distro=$1
kver=$(find /lib/modules -mindepth 1 -maxdepth 1 -type d -printf "%f\n" 2>/dev/null | sort -V | tail -n 1)
if [ -z "$kver" ]; then
	echo "kernel-headers: no kernel in /lib/modules; skipping" >&2
	exit 0
fi
if [ -d "/usr/src/linux-headers-$kver" ] || [ -d "/lib/modules/$kver/build/include" ]; then
	echo "kernel-headers: headers for $kver already present"
	exit 0
fi
case "$distro" in
ubuntu)
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || true
	apt-get install -y --no-install-recommends "linux-headers-$kver" ||
		apt-get install -y --no-install-recommends linux-headers-generic ||
		echo "kernel-headers: no headers package for $kver" >&2
	rm -rf /var/lib/apt/lists/*
	;;
opensuse-leap | sles)
	ver=${kver%-default}
	zypper --non-interactive install -y "kernel-default-devel-$ver" ||
		zypper --non-interactive install -y kernel-default-devel ||
		zypper --non-interactive install -y kernel-devel ||
		echo "kernel-headers: no headers package for $kver" >&2
	zypper clean --all || true
	;;
rhel)
	yum install -y "kernel-devel-$kver" ||
		yum install -y kernel-devel ||
		echo "kernel-headers: no headers package for $kver" >&2
	yum clean all || true
	;;
*)
	echo "kernel-headers: no recipe for $distro; skipping" >&2
	;;
esac
exit 0
