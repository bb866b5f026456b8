#!/bin/sh
# check-disk-size.sh PERCENT: disk check of Palette Edge two-node hosts, run by
# stylus. It compares df's percentage column for the filesystem holding /var
# with PERCENT and exits 1 ("Not enough free disk") when the value is below it,
# 0 otherwise. The column is df's "Use%" although the messages call it "Free":
# stylus reads only the exit status and the messages, so both are kept exactly
# as on CanvOS hosts.
set -eu

required=${1:-}
case $required in
'' | *[!0-9]*)
	echo "check-disk-size.sh: PERCENT must be a whole number, got '$required'" >&2
	exit 1
	;;
esac

# df prints a header line ("Use%") and then the value, e.g. " 42%".
value=$(df --output=pcent /var/ | tail -n 1 | tr -d '% ')

if [ "$value" -lt "$required" ]; then
	echo "Not enough free disk, required: $required. Free: $value"
	exit 1
fi
echo "Free disk ok, required: $required. Free: $value"
