#!/bin/sh
# EKS Hybrid Nodes extras on Ubuntu (CanvOS provider-image, nodeadm): install
# the IAM Roles Anywhere and SSM credential providers with the bundled nodeadm,
# the SSM agent, and the helper binaries on PATH.
# Usage: nodeadm.sh <k8s-version>
set -eu
version=$1
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y --no-install-recommends gnupg
/opt/nodeadmutil/bin/nodeadm install -p iam-ra "$version"
/opt/nodeadmutil/bin/nodeadm install -p ssm "$version"
dpkg -i /opt/ssm/amazon-ssm-agent.deb
for bin in aws-iam-authenticator aws_signing_helper; do
	found=$(find / -xdev -type f -name "$bin" -not -path '/usr/bin/*' | head -n 1)
	if [ -n "$found" ]; then
		mv "$found" "/usr/bin/$bin"
	fi
done
ln -sf /etc/systemd/system/amazon-ssm-agent.service \
	/etc/systemd/system/snap.amazon-ssm-agent.amazon-ssm-agent.service
rm -rf /var/lib/apt/lists/*
