package maas

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
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
  user-binary:
    content: !!binary AAEC/w==
    perms: '0640'
    owner: nobody:-1
  user-empty: {}
install:
  log_file: /tmp/install.log
storage: {version: 1}
`

func TestCurtinHook(t *testing.T) {
	testutil.RequireTool(t, "sh", "python3")
	hook := filepath.Join(t.TempDir(), "curtin-hooks")
	require.NoError(t, os.WriteFile(hook, overlay.CurtinHooks, 0o750))

	for name, tc := range map[string]struct {
		config   *string // nil: CONFIG unset
		target   bool    // TARGET_MOUNT_POINT set
		wantErr  string
		wantSkip bool // nothing to write: succeeds, writes nothing, still cleans up
	}{
		"maas config":       {config: ptr(curtinConfig), target: true},
		"config unset":      {target: true, wantErr: "CONFIG is not set"},
		"target unset":      {config: ptr(curtinConfig), wantErr: "TARGET_MOUNT_POINT is not set"},
		"config missing":    {config: ptr("<missing>"), target: true, wantErr: "is not a readable file"},
		"broken yaml":       {config: ptr("cloudconfig: {a: [\n"), target: true, wantErr: "curtin-hooks:"},
		"no cloudconfig":    {config: ptr("install: {}\n"), target: true, wantSkip: true},
		"empty cloudconfig": {config: ptr("cloudconfig: {}\n"), target: true, wantSkip: true},
		"cloudconfig list":  {config: ptr("cloudconfig: [a]\n"), target: true, wantErr: "cloudconfig is not a mapping"},
		"entry not a map":   {config: ptr("cloudconfig:\n  a: text\n"), target: true, wantErr: "not a mapping"},
		"unknown owner":     {config: ptr("cloudconfig:\n  a: {content: x, owner: 'no-such-user:root'}\n"), target: true, wantErr: "unknown owner 'no-such-user'"},
		"unsafe name":       {config: ptr("cloudconfig:\n  ../../etc/x: {content: y}\n"), target: true, wantErr: "name must be"},
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
			require.NoDirExists(t, filepath.Join(target, "curtin"))
			ccd := filepath.Join(target, "etc", "cloud", "cloud.cfg.d")
			if tc.wantSkip {
				require.Contains(t, string(out), "nothing to write")
				entries, err := os.ReadDir(ccd)
				require.NoError(t, err)
				require.Empty(t, entries)
				return
			}
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
			require.Equal(t, "\x00\x01\x02\xff", got("user-binary"), "!!binary content is written as bytes")
			fi, err = os.Stat(filepath.Join(ccd, "50-cloudconfig-user-binary.cfg"))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o640), fi.Mode().Perm(), "perms is curtin's other name for permissions")
			if os.Geteuid() == 0 {
				nobody, err := user.Lookup("nobody")
				require.NoError(t, err)
				require.Equal(t, nobody.Uid, strconv.Itoa(int(fi.Sys().(*syscall.Stat_t).Uid)), "owner user:-1 sets the user only")
				require.Zero(t, fi.Sys().(*syscall.Stat_t).Gid)
			}
			require.Empty(t, got("user-empty"), "no content: an empty file, as curtin writes")
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
