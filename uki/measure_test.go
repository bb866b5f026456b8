package uki_test

import (
	"bytes"
	"crypto/sha256"
	"debug/pe"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
	"dagger/canvos/uki"
)

const systemdMeasure = "/lib/systemd/systemd-measure"

// ukiSections reads the sections systemd-measure takes from a built UKI,
// each cut to its VirtualSize (what systemd-stub measures).
func ukiSections(t *testing.T, img []byte) map[string][]byte {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(img))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, s := range f.Sections {
		b, err := io.ReadAll(s.Open())
		require.NoError(t, err)
		out[s.Name] = b[:s.VirtualSize]
	}
	return out
}

// measureArgs writes the sections to files and returns systemd-measure's
// section flags for them.
func measureArgs(t *testing.T, secs map[string][]byte) []string {
	t.Helper()
	dir := t.TempDir()
	var args []string
	for _, name := range []string{"linux", "osrel", "cmdline", "initrd", "pcrpkey"} {
		b, ok := secs["."+name]
		require.True(t, ok, "UKI lacks .%s", name)
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		args = append(args, "--"+name+"="+p)
	}
	return append(args, "--bank=sha256")
}

// TestPCR11MatchesSystemdMeasure: for the sections of a built UKI, our
// predicted PCR 11 values equal `systemd-measure calculate`'s for every
// default phase, and our .pcrsig equals `systemd-measure sign --json=short`
// byte for byte (RSA PKCS#1 v1.5 signatures are deterministic).
func TestPCR11MatchesSystemdMeasure(t *testing.T) {
	t.Parallel()
	testutil.RequireFile(t, systemdMeasure)
	o := testOptions(t)
	secs := ukiSections(t, build(t, o))
	args := measureArgs(t, secs)

	out, err := exec.Command(systemdMeasure, append([]string{"calculate"}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	var sections []uki.Section
	for name, b := range secs {
		sections = append(sections, uki.BytesSection(name, b))
	}
	values, err := uki.PredictPCR11(sections, uki.DefaultPhases)
	require.NoError(t, err)
	var want []string
	for _, v := range values {
		want = append(want, fmt.Sprintf("11:sha256=%x", v.Value))
	}
	var got []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "11:sha256=") {
			got = append(got, line)
		}
	}
	require.Equal(t, want, got)

	pcrKey := writeTemp(t, "pcr.pem", pcrKeyPEM(t))
	signArgs := append([]string{"sign", "--private-key=" + pcrKey, "--tpm2-device=" + testutil.SWTPMDevice(t), "--json=short"}, args...)
	cmd := exec.Command(systemdMeasure, signArgs...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	sig, err := cmd.Output()
	require.NoError(t, err, "%s", stderr.String())
	require.Equal(t, strings.TrimSpace(string(sig)), string(secs[".pcrsig"]))
}

func TestPredictPCR11Phases(t *testing.T) {
	t.Parallel()
	secs := []uki.Section{uki.BytesSection(".linux", []byte("k"))}
	_, err := uki.PredictPCR11(secs, []string{"enter-initrd::sysinit"})
	require.ErrorContains(t, err, "empty word")
	a, err := uki.PredictPCR11(secs, []string{"", "enter-initrd", "enter-initrd:leave-initrd"})
	require.NoError(t, err)
	require.Len(t, a, 3)
	extend := func(pcr [32]byte, data string) [32]byte {
		d := sha256.Sum256([]byte(data))
		return sha256.Sum256(append(pcr[:], d[:]...))
	}
	// "" is the value right after the stub: .linux measured as name+NUL, then contents.
	stubValue := extend(extend([32]byte{}, ".linux\x00"), "k")
	require.Equal(t, stubValue, a[0].Value)
	require.Equal(t, extend(stubValue, "enter-initrd"), a[1].Value)
	require.Equal(t, extend(a[1].Value, "leave-initrd"), a[2].Value)
}
