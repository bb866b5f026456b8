package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/installer/iso"
)

// seedISO is a small UKI ISO built in pure Go (no tools): a stand-in FAT
// ESP image, user-data and an overlay with nested directories, so verify
// has volume descriptors, a boot catalog, Rock Ridge names, an MBR and a
// GPT to read.
var seedISO = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "canvos-fuzz-iso-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	esp := make([]byte, 64<<10)
	copy(esp[0x36:], "FAT16   ")
	esp[510], esp[511] = 0x55, 0xaa
	files := map[string][]byte{
		"esp.img":                      esp,
		"user-data":                    []byte("#cloud-config\nstylus: {}\n"),
		"overlay/a/b/c/d/file.txt":     []byte("deep"),
		"overlay/luet/repositories.ok": []byte("x"),
	}
	for p, b := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			return nil, err
		}
	}
	out := filepath.Join(dir, "seed.iso")
	_, err = iso.BuildUKIISO(context.Background(), iso.UKIOptions{ESPImage: filepath.Join(dir, "esp.img"), OutPath: out, ScratchDir: dir,
		Payload: iso.Payload{UserData: filepath.Join(dir, "user-data"), Overlay: filepath.Join(dir, "overlay")}, Epoch: 1700000000})
	if err != nil {
		return nil, err
	}
	return os.ReadFile(out)
})

// FuzzVerify runs `canvos verify` over mutations of seedISO: a patch of
// bytes at an offset, then an optional truncation. Whatever the bytes,
// verify ends with a verdict or an error, never a panic or a hang; the
// unchanged seed is read through.
func FuzzVerify(f *testing.F) {
	base, err := seedISO()
	require.NoError(f, err)
	f.Add(uint32(0), []byte{}, uint32(0))                                                    // the seed itself
	f.Add(uint32(16*2048+80), []byte{0xff, 0xff, 0xff, 0x7f}, uint32(0))                     // PVD volume space size
	f.Add(uint32(16*2048+156+2), []byte{0xff, 0xff, 0xff, 0x0f}, uint32(0))                  // root directory extent
	f.Add(uint32(17*2048+71), []byte{0xff, 0xff, 0xff, 0xff}, uint32(0))                     // boot catalog pointer
	f.Add(uint32(446), bytes.Repeat([]byte{0xff}, 16), uint32(0))                            // MBR partition 1
	f.Add(uint32(512+72), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, uint32(0)) // GPT entries LBA
	f.Add(uint32(0), []byte{}, uint32(100<<10))                                              // truncated
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, off uint32, patch []byte, size uint32) {
		b := bytes.Clone(base)
		copy(b[int(off)%len(b):], patch)
		if size != 0 {
			b = b[:int(size)%(len(b)+1)]
		}
		// The fuzzer has no per-input timeout: a hang becomes a crash it
		// records, with the input.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				panic(fmt.Sprintf("verify hangs: off=%d patch=%x size=%d", off, patch, size))
			}
		}()
		p := filepath.Join(dir, "fuzz.iso")
		require.NoError(t, os.WriteFile(p, b, 0o644))
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"verify", "--bios=false", "--label", "", p}, &stdout, &stderr)
		require.Contains(t, []int{0, exitFailure, exitInput}, code, "%s", stderr.String())
		if off == 0 && len(patch) == 0 && size == 0 { // the seed is read through (it has no live files: FAIL lines)
			for _, want := range []string{"label:  UKI_ISO_INSTALL", "boot:   UEFI bootable=true", "file:   /config.yaml (25 bytes)", `name="ISO_EFI"`} {
				require.Contains(t, stdout.String(), want)
			}
		}
	})
}
