package testutil

import (
	"strings"
	"testing"
)

// Strings the UKI ISO probe prints.
const (
	UKIISOPayload = "CANVOS-UKI-ISO-PAYLOAD"
	UKIISODone    = "CANVOS-UKI-ISO-DONE"
	UKIISOFailed  = "CANVOS-UKI-ISO-FAILED"
)

// ukiISOProbe prints the SecureBoot variable like SecureBootProbeInitramfs,
// then finds the installer medium by its label (the UKI has no live root:
// the payload is read from the CD, as the Kairos agent does in UKI mode) and
// prints the lines of its /config.yaml that contain "canvos-payload", then
// what 80_stylus_uki.yaml copies from there: luet and stylus-image.tar
// (ls -l, and the members of the image tarball).
const ukiISOProbe = `mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in %MODULES%; do insmod /lib/modules/$m.ko; done
mount -t efivarfs efivarfs /sys/firmware/efi/efivars
sb=$(od -An -tx1 /sys/firmware/efi/efivars/SecureBoot-` + globalVarGUID + ` | tr -d ' \n')
case $sb in 0600000001) echo ` + SecureBootOn + `;; *) echo ` + SecureBootOff + `;; esac
dev=
for i in $(seq 1 60); do dev=$(findfs LABEL=%LABEL% 2>/dev/null) && break; sleep 0.5; done
[ -n "$dev" ] || { echo "%FAILED% no LABEL=%LABEL%"; poweroff -f; }
mkdir -p /live
mount -t iso9660 -o ro "$dev" /live || echo "%FAILED% mount $dev"
echo "%PAYLOAD% dev=$dev $(grep canvos-payload /live/config.yaml)"
ls -l /live/luet /live/stylus-image.tar 2>&1 | sed 's/^/stylus: /'
tar -tf /live/stylus-image.tar 2>&1 | sed 's/^/stylus-image: /'
echo "cmdline: $(cat /proc/cmdline)"
echo %DONE%
poweroff -f
`

// UKIISOProbeInitramfs builds the probe initramfs for a UKI ISO labelled
// label.
func UKIISOProbeInitramfs(t testing.TB, k Kernel, label string) string {
	t.Helper()
	mods := append(append([]string{}, liveModules...), "efivarfs")
	script := strings.NewReplacer("%MODULES%", strings.Join(mods, " "), "%LABEL%", label,
		"%PAYLOAD%", UKIISOPayload, "%DONE%", UKIISODone, "%FAILED%", UKIISOFailed).Replace(ukiISOProbe)
	return Initramfs(t, k, script, mods, nil)
}
