package overlay

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderISOMenu(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		g        ISOGrub
		want     []string
		wantNone []string
	}{
		{ISOGrub{Label: "COS_LIVE"}, []string{"set default=0", "search --no-floppy --label COS_LIVE --set=root",
			"root=live:CDLABEL=COS_LIVE rd.live.dir=/ rd.live.squashimg=rootfs.squashfs",
			`menuentry "Palette eXtended Kubernetes Edge Installer"`, `menuentry "Palette eXtended Kubernetes Edge Installer (manual)"`,
			`menuentry "Palette Edge Interactive Installer"`, "interactive-install", "--hotkey=t"}, []string{"rd.debug"}},
		{ISOGrub{Label: "MY_ISO", DefaultEntry: 2, Debug: true}, []string{"set default=2", "CDLABEL=MY_ISO",
			"rd.immucore.debug console=tty0 rd.debug"}, []string{"COS_LIVE"}},
	} {
		b, err := RenderISO(ISOMenu, c.g)
		require.NoError(t, err)
		for _, w := range c.want {
			require.Contains(t, string(b), w)
		}
		for _, w := range c.wantNone {
			require.NotContains(t, string(b), w)
		}
		require.Equal(t, 4, strings.Count(string(b), "menuentry "), "three entries + hidden text mode")
	}
	for _, name := range []string{ISOEFIStub, ISOBIOSEarly} {
		b, err := RenderISO(name, ISOGrub{Label: "COS_LIVE"})
		require.NoError(t, err)
		require.Contains(t, string(b), "search --no-floppy --label COS_LIVE --set=root")
	}
	_, err := RenderISO("nope", ISOGrub{})
	require.Error(t, err)
}
