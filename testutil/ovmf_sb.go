package testutil

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// GUIDs of the Secure Boot variables (UEFI spec: EFI_GLOBAL_VARIABLE and
// EFI_IMAGE_SECURITY_DATABASE_GUID).
const (
	globalVarGUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"
	dbGUID        = "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
)

// Strings the guest scripts below print on the serial console.
const (
	EnrollDone     = "CANVOS-ENROLL-DONE"
	EnrollFailed   = "CANVOS-ENROLL-FAILED"
	SecureBootOn   = "SecureBoot=1"
	SecureBootOff  = "SecureBoot=0"
	AccessDenied   = "Access Denied" // OVMF refusing an image under Secure Boot
	SecureBootDone = "CANVOS-SB-PROBE-DONE"
)

// efivarfsMount loads efivarfs (a module in Debian's kernel; its Debian
// signature lets it load under lockdown too) and mounts it.
const efivarfsMount = `mount -t proc proc /proc
mount -t sysfs sysfs /sys
insmod /lib/modules/efivarfs.ko
mount -t efivarfs efivarfs /sys/firmware/efi/efivars
`

// efivarfs file names of the Secure Boot variables.
const (
	PKVar  = "PK-" + globalVarGUID
	KEKVar = "KEK-" + globalVarGUID
	DBVar  = "db-" + dbGUID
	DBXVar = "dbx-" + dbGUID
)

// EfivarUpdate is one signed update a guest writes to efivarfs.
type EfivarUpdate struct {
	Name string // label in the guest's output
	Var  string // efivarfs file name, e.g. PKVar
	Auth []byte // EFI_VARIABLE_AUTHENTICATION_2 + signature lists (go-uefi .auth format)
}

// EnrollInitramfs returns a busybox initramfs that writes the updates to
// efivarfs in order, so that firmware in setup mode takes PK and then checks
// KEK against PK and db/dbx against KEK. Each update is prefixed with the
// 4-byte attributes efivarfs expects (NV|BS|RT|time-based authenticated
// write = 0x27) and written in one write. The guest prints
// "CANVOS-ENROLL <name>: ok" or "<EnrollFailed> <name>: refused" per update,
// then "SetupMode=<hex>" and EnrollDone, and powers off.
func EnrollInitramfs(t testing.TB, k Kernel, updates ...EfivarUpdate) string {
	t.Helper()
	extra := map[string][]byte{}
	// A refused write leaves a stale efivarfs inode that refuses the next
	// open (EPERM): remount to drop it, so the firmware decides every write.
	script := efivarfsMount + "V=/sys/firmware/efi/efivars\n" +
		"w() { if dd if=/enroll/$1 of=$V/$2 bs=1M 2>/tmp/err; then echo \"CANVOS-ENROLL $1: ok\"; " +
		"else echo \"" + EnrollFailed + " $1: refused $(cat /tmp/err)\"; umount $V; mount -t efivarfs efivarfs $V; fi; }\n"
	for _, u := range updates {
		extra["enroll/"+u.Name] = append(binary.LittleEndian.AppendUint32(nil, 0x27), u.Auth...)
		script += "w " + u.Name + " " + u.Var + "\n"
	}
	script += "echo SetupMode=$(od -An -tx1 $V/SetupMode-" + globalVarGUID + " | tr -d ' \\n')\n" +
		"echo " + EnrollDone + "\npoweroff -f\n"
	return Initramfs(t, k, script, []string{"efivarfs"}, extra)
}

// SecureBootProbeInitramfs returns a busybox initramfs that prints the
// firmware's SecureBoot variable as SecureBootOn ("SecureBoot=1") or
// SecureBootOff, then SecureBootDone, and powers off.
func SecureBootProbeInitramfs(t testing.TB, k Kernel) string {
	t.Helper()
	script := efivarfsMount +
		"sb=$(od -An -tx1 /sys/firmware/efi/efivars/SecureBoot-" + globalVarGUID + " | tr -d ' \\n')\n" +
		"echo SecureBoot raw: $sb\n" +
		"case $sb in 0600000001) echo " + SecureBootOn + ";; *) echo " + SecureBootOff + ";; esac\n" +
		"echo " + SecureBootDone + "\npoweroff -f\n"
	return Initramfs(t, k, script, []string{"efivarfs"}, nil)
}

// BootEFISecure boots the EFI application efi as the removable-media boot
// loader (EFI/BOOT/BOOTX64.EFI of a virtual FAT disk) under OVMF with Secure
// Boot support and the variable store vars (used in place, so enrolled keys
// persist between boots). Firmware that refuses the image never exits, so
// the run ends on AccessDenied, on any of until, or after timeout.
func BootEFISecure(t testing.TB, vars, efi string, timeout time.Duration, until ...string) Result {
	t.Helper()
	esp := t.TempDir()
	boot := filepath.Join(esp, "EFI", "BOOT")
	mustNoErr(t, os.MkdirAll(boot, 0o755))
	copyFile(t, efi, filepath.Join(boot, "BOOTX64.EFI"), 0o644)
	return BootESPSecure(t, vars, esp, timeout, until...)
}

// BootESPSecure is BootEFISecure for a whole ESP directory.
func BootESPSecure(t testing.TB, vars, esp string, timeout time.Duration, until ...string) Result {
	t.Helper()
	code := RequireFile(t, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
	args := append(OVMFArgs(code, vars, true), "-drive", "file=fat:rw:"+esp+",format=raw,if=virtio")
	return QEMU{Args: args, Timeout: timeout, Until: append([]string{AccessDenied}, until...)}.Run(t)
}

// BootDiskSecure is BootEFISecure for a raw disk or FAT image (e.g. an ESP
// image), attached as a virtio disk.
func BootDiskSecure(t testing.TB, vars, img string, timeout time.Duration, until ...string) Result {
	t.Helper()
	code := RequireFile(t, "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
	args := append(OVMFArgs(code, vars, true), "-drive", "file="+img+",format=raw,if=virtio,snapshot=on")
	return QEMU{Args: args, Timeout: timeout, Until: append([]string{AccessDenied}, until...)}.Run(t)
}

// PCRProbeInitramfs returns a busybox initramfs that prints the SHA-256 bank
// of TPM PCR pcr as "PCR<n>=<hex>" (sysfs, TPM driver built into Debian's
// kernel), then PCRProbeDone, and powers off.
func PCRProbeInitramfs(t testing.TB, k Kernel, pcr int) string {
	t.Helper()
	n := strconv.Itoa(pcr)
	script := "mount -t sysfs sysfs /sys\n" +
		"echo PCR" + n + "=$(cat /sys/class/tpm/tpm0/pcr-sha256/" + n + ")\n" +
		"echo " + PCRProbeDone + "\npoweroff -f\n"
	return Initramfs(t, k, script, nil, nil)
}

// PCRProbeDone ends the output of PCRProbeInitramfs.
const PCRProbeDone = "CANVOS-PCR-PROBE-DONE"

// SWTPM starts a software TPM 2.0 for one VM and returns the qemu arguments
// that attach it (TIS interface, which OVMF measures into).
func SWTPM(t testing.TB) []string {
	t.Helper()
	sock := startSWTPM(t, func(sock string) []string { return []string{"--ctrl", "type=unixio,path=" + sock} })
	return []string{"-chardev", "socket,id=chrtpm,path=" + sock, "-tpmdev", "emulator,id=tpm0,chardev=chrtpm", "-device", "tpm-tis,tpmdev=tpm0"}
}

// SWTPMDevice starts a software TPM 2.0 serving the TSS2 swtpm TCTI and
// returns the systemd --tpm2-device value for it. systemd-measure 252 needs
// a TPM even to sign: it computes the policy digest in a trial session.
func SWTPMDevice(t testing.TB) string {
	t.Helper()
	RequireFile(t, "/usr/lib/x86_64-linux-gnu/libtss2-tcti-swtpm.so.0")
	sock := startSWTPM(t, func(sock string) []string {
		return []string{"--server", "type=unixio,path=" + sock, "--ctrl", "type=unixio,path=" + sock + ".ctrl", // the TCTI expects <path>.ctrl
			"--flags", "not-need-init,startup-clear"}
	})
	return "swtpm:path=" + sock
}

// startSWTPM runs swtpm with the socket arguments args(sock) until the test
// ends and waits for sock to appear.
func startSWTPM(t testing.TB, args func(sock string) []string) string {
	t.Helper()
	RequireTool(t, "swtpm")
	dir, err := os.MkdirTemp("", "swtpm") // short: unix socket paths are limited to 108 bytes
	mustNoErr(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "sock")
	cmd := exec.Command("swtpm", append([]string{"socket", "--tpm2", "--tpmstate", "dir=" + dir}, args(sock)...)...)
	mustNoErr(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			return sock
		}
		if i == 200 {
			t.Fatalf("swtpm: no socket %s after 10 s", sock)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
