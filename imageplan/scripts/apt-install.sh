#!/bin/sh
# Install Debian/Ubuntu packages without recommends and drop the apt lists.
# Usage: apt-install.sh <package>...
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y --no-install-recommends "$@"
rm -rf /var/lib/apt/lists/*
