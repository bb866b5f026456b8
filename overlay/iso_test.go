package overlay

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

func TestRenderISOMenu(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		g        ISOGrub
		want     []string
		wantNone []string
	}{
		{ISOGrub{Label: "COS_LIVE", HiddenEntry: true}, []string{"set default=0", "search --no-floppy --label COS_LIVE --set=root",
			"root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs",
			`menuentry "Palette eXtended Kubernetes Edge Installer"`, `menuentry "Palette eXtended Kubernetes Edge Installer (manual)"`,
			`menuentry "Palette Edge Interactive Installer"`, "interactive-install"}, []string{"rd.debug"}},
		{ISOGrub{Label: "MY_ISO", DefaultEntry: 2, Debug: true, HiddenEntry: true}, []string{"set default=2", "CDLABEL=MY_ISO",
			"rd.immucore.debug console=tty0 rd.debug"}, []string{"COS_LIVE"}},
		// A GRUB without hiddenentry (Debian, Ubuntu) gets no text-mode entry.
		{ISOGrub{Label: "COS_LIVE"}, []string{"set default=0"}, []string{"hiddenentry", "terminal_output console"}},
	} {
		b, err := RenderISO(ISOMenu, c.g)
		require.NoError(t, err)
		for _, w := range c.want {
			require.Contains(t, string(b), w)
		}
		for _, w := range c.wantNone {
			require.NotContains(t, string(b), w)
		}
		require.Equal(t, 3, strings.Count(string(b), "menuentry "), "CanvOS' three entries")
		grubScriptCheck(t, b)
		if c.g.HiddenEntry {
			textMode(t, string(b))
		}
	}
	for _, name := range []string{ISOEFIStub, ISOBIOSEarly} {
		b, err := RenderISO(name, ISOGrub{Label: "COS_LIVE"})
		require.NoError(t, err)
		require.Contains(t, string(b), "search --no-floppy --label COS_LIVE --set=root")
		grubScriptCheck(t, b)
	}
	_, err := RenderISO("nope", ISOGrub{})
	require.Error(t, err)
}

// textMode: on EFI, the hidden "t" entry only switches the terminal to the
// text console; it boots nothing, so GRUB stays in the menu.
func textMode(t *testing.T, menu string) {
	t.Helper()
	m := regexp.MustCompile(`(?s)if \[ "\$\{grub_platform\}" = "efi" \]; then\s+hiddenentry "Text mode" --hotkey "t" \{\n(.*?)\n\s*\}\s*fi\s*$`).FindStringSubmatch(menu)
	require.NotNil(t, m, "the menu ends with the EFI-only hidden text-mode entry")
	var body []string
	for _, l := range strings.Split(m[1], "\n") {
		body = append(body, strings.TrimSpace(l))
	}
	require.Equal(t, []string{"set textmode=true", "terminal_output console"}, body)
}

// grubScriptCheck runs GRUB's own parser over a configuration.
func grubScriptCheck(t *testing.T, cfg []byte) {
	t.Helper()
	check := testutil.RequireTool(t, "grub-script-check")[0]
	path := filepath.Join(t.TempDir(), "grub.cfg")
	require.NoError(t, os.WriteFile(path, cfg, 0o644))
	out, err := exec.Command(check, path).CombinedOutput()
	require.NoError(t, err, "grub-script-check: %s", out)
}
