package secureboot_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot"
)

// The embedded certificates are the six listed in certs/README.md, with the
// fingerprints given there, and they are not silently missing.
func TestMicrosoftREADME(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("certs/README.md")
	require.NoError(t, err)
	rows := map[string]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) == 7 && strings.HasSuffix(strings.Trim(cells[1], " `"), ".der") {
			rows[strings.TrimSuffix(strings.Trim(cells[2], " "), ",")] = strings.Trim(cells[3], " `")
		}
	}
	want := map[secureboot.Hierarchy][]string{
		secureboot.KEK: {"Microsoft Corporation KEK CA 2011", "Microsoft Corporation KEK 2K CA 2023"},
		secureboot.DB: {"Microsoft Corporation UEFI CA 2011", "Microsoft UEFI CA 2023",
			"Microsoft Windows Production PCA 2011", "Windows UEFI CA 2023"},
	}
	n := 0
	for h, cns := range want {
		var got []string
		for _, c := range microsoft(t, h) {
			got = append(got, c.Subject.CommonName)
			sum := sha256.Sum256(c.Raw)
			var fp string
			for subject, f := range rows {
				if strings.HasPrefix(subject, "CN="+c.Subject.CommonName+",") {
					fp = f
				}
			}
			require.Equal(t, hex.EncodeToString(sum[:]), fp, c.Subject.CommonName)
			n++
		}
		require.ElementsMatch(t, cns, got, h.String())
	}
	require.Len(t, rows, n, "README lists exactly the embedded certificates")
	none, err := secureboot.MicrosoftCertificates(secureboot.PK)
	require.NoError(t, err)
	require.Empty(t, none)
}
