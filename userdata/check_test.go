package userdata_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/userdata"
	"dagger/canvos/usererr"
)

// template is CanvOS' user-data.template in substance (shortened), plus an
// admin user so no hint is given.
const template = `#cloud-config
stylus:
  site:
    paletteEndpoint: api.spectrocloud.com
    edgeHostToken: aUAxxxxxxxxx0ChYCrO
    projectName: stores
    tags:
      key1: value1
    name: edge-randomid
    registrationURL: https://edge-registration-app.vercel.app/
    network:
      httpProxy: http://proxy.example.com
      noProxy: 10.10.128.10,10.0.0.0/8
      nameserver: 1.1.1.1
      interfaces:
        enp0s3:
          type: static
          ipAddress: 10.0.10.25/24
          gateway: 10.0.10.1
        enp0s4:
          type: dhcp
    caCerts:
      - |
        ------BEGIN CERTIFICATE------
        ------END CERTIFICATE------
  registryCredentials:
    domain: registry.example.com
    username: bob
    password: secret
    insecure: false
stages:
  initramfs:
    - users:
        kairos:
          groups: [admin]
          passwd: kairos
`

func TestTemplatePasses(t *testing.T) {
	require.Empty(t, userdata.Check([]byte(template)))
}

func TestCanvOSReadmeExample(t *testing.T) {
	// CanvOS README, "User Data Configuration" of the AWS cloud image, with install.nousers.
	r := userdata.Check([]byte("#cloud-config\ninstall:\n  device: /dev/sda\n  reboot: true\n  poweroff: false\n  nousers: true\n" +
		"stylus:\n  debug: true\n  site:\n    paletteEndpoint: xxxx.spectrocloud.com\n    autoRegister: true\n" +
		"    edgeHostToken: xxxxxxxxxxx\n    insecureSkipVerify: false\n"))
	require.Empty(t, r)
}

func TestErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, want string }{
		"no header":       {"stylus: {}\n", `line 1: first line must be "#cloud-config"`},
		"not YAML":        {"#cloud-config\nstylus: [\n", "line 2: not valid YAML"},
		"NUL byte":        {"#cloud-config\nstylus: {}\n\x00\n", "line 3: not valid YAML: a NUL byte"},
		"anchor":          {"#cloud-config\nstylus: *s3cr3t\n", "not valid YAML"},
		"tab indent":      {"#cloud-config\nstylus:\n\tdebug: true\n", "a tab indents a line"},
		"a list":          {"#cloud-config\n- a\n", "line 2: not a YAML mapping"},
		"duplicate":       {"#cloud-config\nstylus: {}\ninstall: {}\nstylus: {}\n", "line 4: stylus: given twice (also on line 2)"},
		"site a list":     {"#cloud-config\nstylus:\n  site: [a]\n", "line 3: stylus.site: must be a mapping, not a list"},
		"token a mapping": {"#cloud-config\nstylus:\n  site:\n    edgeHostToken: {a: b}\n", "line 4: stylus.site.edgeHostToken: must be a string, not a mapping"},
		"quoted bool":     {"#cloud-config\nstylus:\n  debug: \"true\"\n", "line 3: stylus.debug: must be true or false, not a string"},
		"port a string":   {"#cloud-config\nstylus:\n  localUI:\n    port: http\n", "stylus.localUI.port: must be an integer, not a string"},
		"certs a string":  {"#cloud-config\nstylus:\n  site:\n    caCerts: pem\n", "stylus.site.caCerts: must be a list, not a string"},
		"bad mode":        {"#cloud-config\nstylus:\n  managementMode: remote\n", "stylus.managementMode: must be one of central, local"},
		"bad nic type": {"#cloud-config\nstylus:\n  site:\n    network:\n      interfaces:\n        eth0:\n          type: manual\n",
			"line 7: stylus.site.network.interfaces.eth0.type: must be one of dhcp, static"},
		"bad user":     {"#cloud-config\nstylus:\n  site:\n    users:\n      - name: a\n        groups: admin\n", "stylus.site.users[0].groups: must be a list, not a string"},
		"nousers list": {"#cloud-config\ninstall:\n  nousers: [true]\n", "install.nousers: must be true or false, not a list"},
	} {
		t.Run(name, func(t *testing.T) {
			err := userdata.Check([]byte(tc.in)).Err("--user-data")
			require.ErrorIs(t, err, usererr.ErrInvalid)
			require.Contains(t, err.Error(), tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "--user-data: "), err.Error())
		})
	}
}

func TestWarnings(t *testing.T) {
	const admin = "users:\n  - name: a\n    groups: [admin]\n"
	for name, tc := range map[string]struct{ in, want string }{
		"top-level typo":  {"#cloud-config\n" + admin + "stylsu: {}\n", "line 5: stylsu: unknown key, the installer ignores it; did you mean stylus?"},
		"site typo":       {"#cloud-config\n" + admin + "stylus:\n  site:\n    paletteEndpont: x\n", "stylus.site.paletteEndpont: unknown key, the installer ignores it; did you mean paletteEndpoint?"},
		"case":            {"#cloud-config\n" + admin + "stylus:\n  site:\n    edgehosttoken: x\n", "did you mean edgeHostToken?"},
		"far from any":    {"#cloud-config\n" + admin + "zzzzzzzz: 1\n", "zzzzzzzz: unknown key, the installer ignores it"},
		"deprecated mode": {"#cloud-config\n" + admin + "stylus:\n  installationMode: airgap\n", "stylus.installationMode: removed from Palette: use stylus.managementMode"},
		"number name":     {"#cloud-config\n" + admin + "stylus:\n  site:\n    projectName: 123\n", "stylus.site.projectName: is a number where a string is expected; quote it"},
		"yaml 1.1 bool":   {"#cloud-config\n" + admin + "stylus:\n  debug: yes\n", "stylus.debug: is a YAML 1.1 boolean"},
		"no admin":        {"#cloud-config\nstylus: {}\n", "no user in the admin group"},
		"non-admin stage": {"#cloud-config\nstages:\n  boot:\n    - users:\n        bob:\n          groups: [users]\n", "no user in the admin group"},
	} {
		t.Run(name, func(t *testing.T) {
			r := userdata.Check([]byte(tc.in))
			require.Empty(t, r.Errors())
			require.NoError(t, r.Err("--user-data"))
			var got []string
			for _, w := range r.Warnings() {
				got = append(got, w.String())
			}
			require.Len(t, got, 1, "%q", got)
			require.Contains(t, got[0], tc.want)
			if name == "far from any" {
				require.NotContains(t, got[0], "did you mean")
			}
		})
	}
}

func TestAdminFound(t *testing.T) {
	for name, in := range map[string]string{
		"stage user":      "stages:\n  initramfs:\n    - users:\n        kairos:\n          groups: [admin]\n",
		"primary group":   "stages:\n  boot:\n    - name: u\n      users:\n        k:\n          primary_group: admin\n",
		"cloud-init list": "users:\n  - name: k\n    groups: sudo, admin\n",
		"nousers":         "install:\n  nousers: true\n",
	} {
		t.Run(name, func(t *testing.T) {
			require.Empty(t, userdata.Check([]byte("#cloud-config\n"+in)))
		})
	}
}

// TestNoValueInMessages: what a user-data carries (tokens, passwords) never
// appears in a finding, whatever is wrong around it.
func TestNoValueInMessages(t *testing.T) {
	const secret = "s3cr3t-T0ken"
	for _, in := range []string{
		"#cloud-config\nstylus:\n  site:\n    edgeHostToken: [" + secret + "]\n",
		"#cloud-config\nstylus:\n  site:\n    paletteEndpoint: {" + secret + ": 1}\n",
		"#cloud-config\nstylus:\n  debug: " + secret + "\n",
		"#cloud-config\nstylus:\n  managementMode: " + secret + "\n",
		"#cloud-config\nstylus:\n  registryCredentials:\n    password: " + secret + "\n    password: " + secret + "\n",
		"#cloud-config\nstylus:\n  site:\n    edgeHostToken: " + secret + "\n   bad: [\n",
		"#cloud-config\nstylus:\n  site: *" + secret + "\n",
		secret + "\nstylus: {}\n",
	} {
		r := userdata.Check([]byte(in))
		require.NotEmpty(t, r.Errors(), "%q", in)
		require.NotContains(t, r.Err("--user-data").Error(), secret)
	}
	// Tags are kept out of warnings too.
	for _, f := range userdata.Check([]byte("#cloud-config\nstylus: !" + secret + " {}\nx: !!" + secret + " 1\n")) {
		require.NotContains(t, f.String(), secret)
	}
}

func TestFileErr(t *testing.T) {
	r := userdata.Check([]byte("stylus: {}\n"))
	require.EqualError(t, r.FileErr("--user-data", "/x/ud"), `--user-data: /x/ud: line 1: first line must be "#cloud-config"`)
	require.NoError(t, userdata.Check([]byte("#cloud-config\n")).FileErr("--user-data", "/x/ud"))
}

// TestHeaderAsKairosReadsIt: the Kairos agent trims only trailing white
// space off the first line (HasValidHeader); FuzzCheck found "\r#cloud-config"
// accepted when both ends were trimmed.
func TestHeaderAsKairosReadsIt(t *testing.T) {
	require.Empty(t, userdata.Check([]byte("#cloud-config \r\nstylus: {}\r\n")).Errors())
	for _, b := range []string{"\r#cloud-config\n", " #cloud-config\n", "\t#cloud-config\n"} {
		require.ErrorContains(t, userdata.Check([]byte(b)).Err("--user-data"), `first line must be "#cloud-config"`, "%q", b)
	}
}

func TestMapping(t *testing.T) {
	require.NoError(t, userdata.Mapping([]byte("stylus: {}\n")))
	require.NoError(t, userdata.Mapping(nil))
	require.EqualError(t, userdata.Mapping([]byte("- a\n")), "not a YAML mapping")
	err := userdata.Mapping([]byte("a: [SECRET\n"))
	require.ErrorContains(t, err, "not valid YAML")
	require.NotContains(t, err.Error(), "SECRET")
}
