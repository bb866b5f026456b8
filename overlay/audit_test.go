package overlay

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

const auditLog = "/var/log/stylus-audit.log"

// userAuditConf is the product documentation's example of a user rule file
// (48-audit.conf): copy stylus audit events to a file of your own.
const userAuditConf = `$PrivDropToUser root
$PrivDropToGroup root
if ($syslogfacility-text == 'local7' and $syslogseverity-text == 'notice' and $syslogtag contains 'stylus-audit') then {
action(
type="omfile"
file="%s"
)
}
`

// appAuditConf is the product documentation's example of adding a user
// application's events (tag myapp) to the stylus audit log.
const appAuditConf = `$PrivDropToUser root
$PrivDropToGroup root
$Umask 0000
$template ForwardFormat,"<%%pri%%>1 %%timestamp:::date-rfc3339%% %%HOSTNAME%% %%syslogtag%% %%procid%% - - %%msg%%\n"
if ($syslogfacility-text == 'local7' and $syslogseverity-text == 'notice' and $syslogtag contains 'myapp') then {
action(
type="omfile"
file="%s"
FileCreateMode="0600"
fileowner="root"
template="ForwardFormat"
)
}
`

// TestAuditLogConventions runs rsyslogd on 49-stylus.conf with the product
// docs' user rule files before it (47-app.conf, 48-audit.conf) and a
// catch-all after it (50-default.conf), as /etc/rsyslog.d holds them, and
// logs an audit event, an application event and an ordinary message: both
// events land in the stylus audit log in RFC 5424 format, the audit event
// also in the user's file, and neither in the catch-all. 47-app.conf defines
// ForwardFormat again, before 49-stylus.conf does: rsyslog accepts that.
func TestAuditLogConventions(t *testing.T) {
	t.Parallel()
	tools := testutil.RequireTool(t, "rsyslogd", "logger")
	dir := t.TempDir()
	conf := filepath.Join(dir, "rsyslog.d")
	stylus, err := ImageFile("/etc/rsyslog.d/49-stylus.conf")
	require.NoError(t, err)
	require.Contains(t, string(stylus.Data), auditLog)
	out := func(name string) string { return filepath.Join(dir, name) }
	write(t, filepath.Join(conf, "47-app.conf"), fmt.Sprintf(appAuditConf, out("stylus-audit.log")))
	write(t, filepath.Join(conf, "48-audit.conf"), fmt.Sprintf(userAuditConf, out("user-audit.log")))
	write(t, filepath.Join(conf, "49-stylus.conf"), strings.ReplaceAll(string(stylus.Data), auditLog, out("stylus-audit.log")))
	write(t, filepath.Join(conf, "50-default.conf"), `*.* action(type="omfile" file="`+out("syslog")+`")`+"\n")
	sock := out("log.sock")
	write(t, out("rsyslog.conf"), `global(workDirectory="`+dir+`")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="`+sock+`")
include(file="`+conf+`/*.conf")
`)

	check, err := exec.Command(tools[0], "-N1", "-f", out("rsyslog.conf")).CombinedOutput()
	require.NoError(t, err, "rsyslogd config check: %s", check)

	daemon := exec.Command(tools[0], "-n", "-f", out("rsyslog.conf"), "-i", out("rsyslogd.pid"))
	require.NoError(t, daemon.Start())
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait() })
	waitFor(t, func() bool { _, err := os.Stat(sock); return err == nil })

	const event = `{"edgeHostId":"edge-1","contentMsg":"kairos password reset failed","action":"activity","actor":"kairos","actorType":"user","resourceId":"kairos","resourceName":"kairos","resourceKind":"user"}`
	for _, args := range [][]string{
		{"-p", "local7.notice", "-t", "stylus-audit", "--id=2911", event},
		{"-p", "local7.notice", "-t", "myapp", "--id=77", "app event"},
		{"-p", "user.info", "-t", "app", "ordinary message"},
	} {
		msg, err := exec.Command(tools[1], append([]string{"-u", sock}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", msg)
	}
	waitFor(t, func() bool {
		audit := read(out("stylus-audit.log"))
		return strings.Contains(read(out("syslog")), "ordinary message") && strings.Contains(audit, event) && strings.Contains(audit, "app event")
	})

	rfc5424 := func(tag, procid, msg string) *regexp.Regexp {
		return regexp.MustCompile(`(?m)^<189>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d \S+ ` + tag + `\[` + procid + `\]: ` + procid + ` - - +` + regexp.QuoteMeta(msg) + `$`)
	}
	audit := read(out("stylus-audit.log"))
	require.Regexp(t, rfc5424("stylus-audit", "2911", event), audit, "RFC 5424: <local7.notice>1 timestamp host tag procid - - msg")
	require.Regexp(t, rfc5424("myapp", "77", "app event"), audit, "a 4x-*.conf rule adds application events")
	require.Equal(t, 2, strings.Count(audit, "\n"))
	require.Contains(t, read(out("user-audit.log")), event, "a 4x-*.conf rule sees the events")
	require.NotContains(t, read(out("syslog")), "edgeHostId", "rules after 49-stylus.conf never see audit events")
	require.NotContains(t, read(out("user-audit.log")), "app event")
}

// TestLogrotate has logrotate read stylus.conf as shipped (0644) and as a
// group/world-writable file, which it refuses: why the mode is recorded. The
// rotation itself runs in TestAuditLogUnprivilegedRotation.
func TestLogrotate(t *testing.T) {
	t.Parallel()
	logrotate := testutil.RequireTool(t, "logrotate")[0]
	f, err := ImageFile("/etc/logrotate.d/stylus.conf")
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), f.Mode)
	for mode, want := range map[os.FileMode][]string{
		f.Mode: {"Handling 1 logs", "yearly (2 rotations)", "log files >= 104857600 are rotated earlier"},
		0o666:  {"Ignoring", "writable by group or others", "Handling 0 logs"},
	} {
		dir := t.TempDir()
		log := filepath.Join(dir, "stylus-audit.log")
		write(t, log, "x\n")
		conf := filepath.Join(dir, "stylus.conf")
		write(t, conf, strings.ReplaceAll(string(f.Data), auditLog, log))
		require.NoError(t, os.Chmod(conf, mode))
		out, err := exec.Command(logrotate, "-d", "-s", filepath.Join(dir, "state"), conf).CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, s := range want {
			require.Contains(t, string(out), s, "mode %04o", mode)
		}
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func read(path string) string {
	b, _ := os.ReadFile(path) // absent yet: empty
	return string(b)
}

// waitFor polls cond for up to 10 s (rsyslogd starts and flushes asynchronously).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for rsyslogd")
		}
	}
}
