set -eu
zypper --non-interactive install zstd vim iputils bridge-utils curl ethtool tcpdump
