set -eu
yum install -y openssl rsyslog logrotate
yum clean all
