set -eu
zypper --non-interactive install apparmor-parser apparmor-profiles rsyslog logrotate
# Kairos calls /usr/bin/apparmor_parser; some SUSE releases only have /sbin.
if [ ! -e /usr/bin/apparmor_parser ]; then
	cp /sbin/apparmor_parser /usr/bin/apparmor_parser
fi
zypper --non-interactive clean --all
