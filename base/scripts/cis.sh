set -eu
# CIS_HARDENING: CanvOS' CIS benchmark script from the hooks input.
bash {{.HooksDir}}/{{.CISScript}}
