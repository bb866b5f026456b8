package testutil

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// QEMU is one bounded qemu-system-x86_64 run under TCG with the serial
// console on stdout.
type QEMU struct {
	Arch    string        // "" or "amd64": qemu-system-x86_64; "arm64": qemu-system-aarch64 (virt, Cortex-A57)
	Args    []string      // machine arguments after the fixed ones
	Timeout time.Duration // hard limit; the VM is killed when it passes
	Until   []string      // the run ends as soon as the console shows any of these
}

// Result is what a QEMU run printed and why it stopped.
type Result struct {
	Output   string // serial console
	Matched  string // the Until string seen, or "" on exit or timeout
	TimedOut bool
}

// Run boots the VM once a VM slot is free (vmSlot); the timeout counts from
// the start of the VM. Firmware that refuses an image never exits by itself
// (OVMF falls through to other boot options), so the Until strings and the
// timeout are what bound every boot. An arm64 boot that AAVMF stalled
// before loading any boot option (aavmfStalled) is booted once more.
func (q QEMU) Run(t testing.TB) Result {
	t.Helper()
	res := q.run(t)
	if q.Arch == "arm64" && aavmfStalled(res) {
		t.Logf("AAVMF stalled before loading any boot option (intermittent under TCG, with any disk: docs/iso.md); booting once more")
		res = q.run(t)
	}
	return res
}

// aavmfStalled tells a run that timed out after AAVMF's banner but before
// its boot manager loaded any boot option. AAVMF (qemu-efi-aarch64
// 2022.11) under TCG stops there now and then whatever the medium: a plain
// 64 MiB GPT disk with an empty FAT ESP made by sgdisk and mkfs.fat stalled
// in 1 of 80 boots, our arm64 ISO in 1 of 50 (scsi-cd and virtio-blk alike),
// while no boot that got past it ever failed.
func aavmfStalled(r Result) bool {
	return r.TimedOut && strings.Contains(r.Output, "UEFI firmware") && !strings.Contains(r.Output, "BdsDxe: loading")
}

func (q QEMU) run(t testing.TB) Result {
	t.Helper()
	bin, machine := "qemu-system-x86_64", []string{"-machine", "accel=tcg", "-cpu", "max"}
	if q.Arch == "arm64" {
		bin, machine = "qemu-system-aarch64", []string{"-machine", "virt", "-cpu", "cortex-a57"}
	}
	RequireTool(t, bin)
	defer vmSlot(t)()
	ctx, cancel := context.WithTimeout(context.Background(), q.Timeout)
	defer cancel()
	args := append(append(machine, "-m", "1024", "-smp", "1", "-nographic", "-no-reboot", "-nic", "none"), q.Args...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = nil
	out := &watch{until: q.Until, hit: make(chan string, 1)}
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start qemu: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	res := Result{}
	select {
	case res.Matched = <-out.hit:
		cmd.Process.Kill()
		<-done
	case <-done:
		res.TimedOut = ctx.Err() != nil
	}
	res.Output = out.String()
	log := filepath.Join(t.TempDir(), "serial.log")
	os.WriteFile(log, []byte(res.Output), 0o644)
	t.Logf("%s %s (limit %s); serial log %s, last lines:\n%s", bin, stopReason(res), q.Timeout, log, tail(res.Output, 15))
	return res
}

func stopReason(r Result) string {
	switch {
	case r.Matched != "":
		return "matched " + strconv.Quote(r.Matched)
	case r.TimedOut:
		return "timed out"
	}
	return "exited"
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type watch struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	until []string
	hit   chan string
	fired bool
}

func (w *watch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired {
		s := w.buf.String()
		for _, u := range w.until {
			if strings.Contains(s, u) {
				w.fired = true
				w.hit <- u
				break
			}
		}
	}
	return len(p), nil
}

func (w *watch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

var _ io.Writer = (*watch)(nil)

// OVMF returns the pflash arguments for OVMF with a private copy of the
// variable store. secure selects the Secure Boot build (with SMM); vars is the
// template to copy (the blank OVMF_VARS_4M.fd, i.e. setup mode, when empty).
// The copy's path is returned so later boots can reuse enrolled keys.
func OVMF(t testing.TB, secure bool, vars string) (args []string, varsCopy string) {
	t.Helper()
	code := "/usr/share/OVMF/OVMF_CODE_4M.fd"
	if secure {
		code = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
	}
	RequireFile(t, code)
	if vars == "" {
		vars = RequireFile(t, "/usr/share/OVMF/OVMF_VARS_4M.fd")
	}
	varsCopy = filepath.Join(t.TempDir(), "OVMF_VARS.fd")
	copyFile(t, vars, varsCopy, 0o644)
	return OVMFArgs(code, varsCopy, secure), varsCopy
}

// OVMFArgs returns the pflash arguments for a given code and vars file.
func OVMFArgs(code, vars string, secure bool) []string {
	args := []string{}
	if secure {
		args = append(args, "-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on")
	} else {
		args = append(args, "-machine", "q35")
	}
	return append(args,
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+code,
		"-drive", "if=pflash,format=raw,unit=1,file="+vars)
}
