package maas

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/overlay"
	"dagger/canvos/testutil"
)

// A curtin config as MAAS sends it and curtin dumps it with PyYAML: multi-line
// content as a single-quoted scalar, a double-quoted one with escapes and a
// literal block, plus keys the hook must ignore.
const curtinConfig = `cloudconfig:
  maas-cloud-config:
    content: "#cloud-config\ndatasource:\n  MAAS: {consumer_key: Cq8, metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/',\
      \ token_key: tk, token_secret: ts}\n"
  maas-datasource:
    content: '#cloud-config

      datasource_list: [ MAAS ]

      '
  maas-reporting:
    content: |
      #cloud-config
      reporting:
        maas: {type: webhook, endpoint: 'http://10.0.0.1:5248/MAAS/metadata/status/abc'}
    permissions: '0600'
install:
  log_file: /tmp/install.log
storage: {version: 1}
`

func TestCurtinHook(t *testing.T) {
	testutil.RequireTool(t, "sh", "python3")
	hook := filepath.Join(t.TempDir(), "curtin-hooks")
	require.NoError(t, os.WriteFile(hook, overlay.CurtinHooks, 0o750))

	for name, tc := range map[string]struct {
		config  *string // nil: CONFIG unset
		target  bool    // TARGET_MOUNT_POINT set
		wantErr string
	}{
		"maas config":      {config: ptr(curtinConfig), target: true},
		"config unset":     {target: true, wantErr: "CONFIG is not set"},
		"target unset":     {config: ptr(curtinConfig), wantErr: "TARGET_MOUNT_POINT is not set"},
		"config missing":   {config: ptr("<missing>"), target: true, wantErr: "is not a readable file"},
		"broken yaml":      {config: ptr("cloudconfig: {a: [\n"), target: true, wantErr: "curtin-hooks:"},
		"no cloudconfig":   {config: ptr("install: {}\n"), target: true, wantErr: "no cloudconfig mapping"},
		"entry no content": {config: ptr("cloudconfig:\n  a: {path: /x}\n"), target: true, wantErr: "needs a string content"},
		"unsafe name":      {config: ptr("cloudconfig:\n  ../../etc/x: {content: y}\n"), target: true, wantErr: "name must be"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			target := filepath.Join(dir, "target")
			require.NoError(t, os.MkdirAll(filepath.Join(target, "curtin"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(target, "curtin", "curtin-hooks"), overlay.CurtinHooks, 0o750))
			cmd := exec.Command("sh", hook)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			if tc.target {
				cmd.Env = append(cmd.Env, "TARGET_MOUNT_POINT="+target)
			}
			if tc.config != nil {
				cfg := filepath.Join(dir, "config.yaml")
				if *tc.config != "<missing>" {
					require.NoError(t, os.WriteFile(cfg, []byte(*tc.config), 0o600))
				}
				cmd.Env = append(cmd.Env, "CONFIG="+cfg)
			}
			out, err := cmd.CombinedOutput()
			if tc.wantErr != "" {
				require.Error(t, err, "%s", out)
				require.Contains(t, string(out), tc.wantErr)
				require.DirExists(t, filepath.Join(target, "curtin"), "a failed hook must leave /curtin for inspection")
				return
			}
			require.NoError(t, err, "%s", out)
			ccd := filepath.Join(target, "etc", "cloud", "cloud.cfg.d")
			got := func(n string) string {
				b, err := os.ReadFile(filepath.Join(ccd, "50-cloudconfig-"+n+".cfg"))
				require.NoError(t, err)
				return string(b)
			}
			require.Equal(t, "#cloud-config\ndatasource:\n  MAAS: {consumer_key: Cq8, metadata_url: 'http://10.0.0.1:5248/MAAS/metadata/', token_key: tk, token_secret: ts}\n", got("maas-cloud-config"))
			require.Equal(t, "#cloud-config\ndatasource_list: [ MAAS ]\n", got("maas-datasource"))
			require.Contains(t, got("maas-reporting"), "endpoint: 'http://10.0.0.1:5248/MAAS/metadata/status/abc'")
			fi, err := os.Stat(filepath.Join(ccd, "50-cloudconfig-maas-reporting.cfg"))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			require.NoDirExists(t, filepath.Join(target, "curtin"))
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestOverlayScriptsShellcheck(t *testing.T) {
	testutil.RequireTool(t, "shellcheck")
	dir := t.TempDir()
	var paths []string
	for name, b := range map[string][]byte{"curtin-hooks": overlay.CurtinHooks, "setup-recovery.sh": overlay.SetupRecovery, "maas-content.sh": overlay.MAASContent} {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o755))
		paths = append(paths, p)
	}
	out, err := exec.Command("shellcheck", append([]string{"-s", "sh"}, paths...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
