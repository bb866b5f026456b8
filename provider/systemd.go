package provider

import (
	"fmt"
	"strconv"
	"strings"
)

// SystemdVersionCommand prints the first line of `systemctl --version` in the
// base image, or nothing when systemd is absent (CanvOS CHECK_SYSTEMD_VERSION).
var SystemdVersionCommand = []string{"sh", "-c", "systemctl --version 2>/dev/null | head -n 1 || true"}

// ParseSystemdVersion reads the major version from the output of
// SystemdVersionCommand ("systemd 255 (255.4-1ubuntu8)"). No output means no
// systemd: version 0, so Kubernetes is bundled.
func ParseSystemdVersion(out string) (int, error) {
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return 0, nil
	}
	if len(fields) < 2 || fields[0] != "systemd" {
		return 0, fmt.Errorf("provider: systemd version: unexpected output %q", out)
	}
	v, err := strconv.Atoi(fields[1])
	if err != nil {
		return 0, fmt.Errorf("provider: systemd version: %q: %w", out, err)
	}
	return v, nil
}
