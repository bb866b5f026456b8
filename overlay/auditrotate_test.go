package overlay

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"dagger/canvos/testutil"
)

// ubuntuRsyslog is the part of Ubuntu's /etc/rsyslog.conf that matters here:
// rsyslog drops to an unprivileged user. The test uses nobody/nogroup for
// syslog/adm. The legacy $File* defaults apply to legacy actions only: the
// audit log, an action(), is created 0644 by the user rsyslog runs as.
const ubuntuRsyslog = `global(workDirectory="%[1]s")
$FileOwner nobody
$FileGroup nogroup
$FileCreateMode 0640
$Umask 0022
$PrivDropToUser nobody
$PrivDropToGroup nogroup
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="%[1]s/log.sock")
include(file="%[1]s/rsyslog.d/*.conf")
`

// A user's 48-audit.conf adding an application's events to the audit log
// with its own ForwardFormat (CanvOS' README, without its root privilege
// lines, which would undo the drop under test), and a rule after
// 49-stylus.conf that uses ForwardFormat without defining it.
const (
	userAppRule = `$template ForwardFormat,"<%%pri%%>1 %%timestamp:::date-rfc3339%% %%HOSTNAME%% %%syslogtag%% %%procid%% - - %%msg%%\n"
if ($syslogfacility-text == 'local7' and $syslogseverity-text == 'notice' and $syslogtag contains 'myapp') then {
action(type="omfile" file="%s" template="ForwardFormat")
}
`
	laterRule = `if $syslogtag contains 'late' then action(type="omfile" file="%s" template="ForwardFormat")
`
)

// TestAuditLogUnprivilegedRotation runs Debian's rsyslogd as Ubuntu runs it
// (dropped to a non-root user) over 49-stylus.conf in a root:nogroup 0775
// log directory (Ubuntu's /var/log is root:syslog 0775), logs an audit event,
// force-rotates with logrotate over stylus.conf and logs again: both events
// are written, the first into the date-stamped rotated file, the second into
// the new log. Run with and without the distribution's global "create".
// logrotate's postrotate calls systemctl; a stub on PATH records the call and
// sends rsyslogd the HUP a reload is.
func TestAuditLogUnprivilegedRotation(t *testing.T) {
	tools := testutil.RequireTool(t, "rsyslogd", "logger", "logrotate")
	if os.Geteuid() != 0 {
		testutil.Missing(t, "rsyslogd can drop privileges and logrotate can su only as root")
	}
	for name, global := range map[string]string{"standalone": "", "distro create": "create\n"} {
		t.Run(name, func(t *testing.T) { auditRotation(t, tools, global) })
	}
}

func auditRotation(t *testing.T, tools []string, globalLogrotate string) {
	rsyslogd, logger, logrotate := tools[0], tools[1], tools[2]
	nobody, err := user.Lookup("nobody")
	require.NoError(t, err)
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)

	dir := sharedTempDir(t) // nobody must reach the log directory
	logDir := filepath.Join(dir, "log")
	require.NoError(t, os.Mkdir(logDir, 0o775))
	require.NoError(t, os.Chown(logDir, 0, gid))
	require.NoError(t, os.Chmod(logDir, 0o775))
	audit := filepath.Join(logDir, "stylus-audit.log")
	late := filepath.Join(logDir, "late.log")

	stylus, err := ImageFile("/etc/rsyslog.d/49-stylus.conf")
	require.NoError(t, err)
	conf := filepath.Join(dir, "rsyslog.d")
	write(t, filepath.Join(conf, "48-audit.conf"), fmt.Sprintf(userAppRule, audit))
	write(t, filepath.Join(conf, "49-stylus.conf"), strings.ReplaceAll(string(stylus.Data), auditLog, audit))
	write(t, filepath.Join(conf, "50-late.conf"), fmt.Sprintf(laterRule, late))
	write(t, filepath.Join(dir, "rsyslog.conf"), fmt.Sprintf(ubuntuRsyslog, dir))

	daemon := exec.Command(rsyslogd, "-n", "-f", filepath.Join(dir, "rsyslog.conf"), "-i", "NONE")
	daemon.Stdout, daemon.Stderr = os.Stderr, os.Stderr
	require.NoError(t, daemon.Start())
	t.Cleanup(func() { _ = daemon.Process.Kill(); _ = daemon.Wait() })
	sock := filepath.Join(dir, "log.sock")
	waitFor(t, func() bool { _, err := os.Stat(sock); return err == nil })
	waitFor(t, func() bool { return procUID(daemon.Process.Pid) == nobody.Uid })

	log := func(args ...string) {
		out, err := exec.Command(logger, append([]string{"-u", sock}, args...)...).CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	const before, after = `{"edgeHostId":"edge-1","contentMsg":"before rotation"}`, `{"edgeHostId":"edge-1","contentMsg":"after rotation"}`
	log("-p", "local7.notice", "-t", "stylus-audit", "--id=2911", before)
	log("-p", "local7.notice", "-t", "myapp", "--id=77", "app event")
	log("-p", "user.info", "-t", "late", "late event")
	waitFor(t, func() bool {
		return strings.Contains(read(audit), "app event") && strings.Contains(read(audit), before) && strings.Contains(read(late), "late event")
	})
	require.Regexp(t, `(?m)^<189>1 \S+ \S+ stylus-audit\[2911\]: 2911 - - +`+regexp.QuoteMeta(before)+`$`, read(audit))
	requireOwner(t, audit, uid, gid, 0o644)
	require.Regexp(t, `(?m)^<14>1 \S+ \S+ late: - - - +late event$`, read(late), "a rule after 49-stylus.conf can use ForwardFormat")

	rotateDir := filepath.Join(dir, "logrotate")
	lrconf, err := ImageFile("/etc/logrotate.d/stylus.conf")
	require.NoError(t, err)
	write(t, filepath.Join(rotateDir, "logrotate.conf"), globalLogrotate+strings.ReplaceAll(string(lrconf.Data), auditLog, audit))
	calls := filepath.Join(dir, "systemctl.calls")
	stub := fmt.Sprintf("#!/bin/sh\necho \"$*\" >>%s\n[ \"$*\" = \"try-reload-or-restart rsyslog\" ] && kill -HUP %d\n", calls, daemon.Process.Pid)
	require.NoError(t, os.WriteFile(filepath.Join(rotateDir, "systemctl"), []byte(stub), 0o755))
	rotate := exec.Command(logrotate, "-f", "-v", "-s", filepath.Join(rotateDir, "state"), filepath.Join(rotateDir, "logrotate.conf"))
	rotate.Env = append(os.Environ(), "PATH="+rotateDir+":"+os.Getenv("PATH"))
	out, err := rotate.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NotContains(t, string(out), "error", "%s", out)
	require.Equal(t, "try-reload-or-restart rsyslog\n", read(calls), "postrotate reloads rsyslog")

	rotated := filepath.Join(logDir, "stylus-audit-"+time.Now().Format("02-01-2006")+".log.gz")
	require.Contains(t, gunzip(t, rotated), before, "the event logged before rotation is in the date-stamped rotated log")

	log("-p", "local7.notice", "-t", "stylus-audit", "--id=2912", after)
	waitFor(t, func() bool { return strings.Contains(read(audit), after) })
	require.NotContains(t, read(audit), before)
	requireOwner(t, audit, uid, gid, 0o644)
}

// sharedTempDir is a temporary directory other users can traverse
// (t.TempDir's parents are 0700).
func sharedTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "canvos-audit-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	return dir
}

// procUID is the real UID of process pid ("" if unknown).
func procUID(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			return f[1]
		}
	}
	return ""
}

func requireOwner(t *testing.T, path string, uid, gid int, mode os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	require.Equal(t, []int{uid, gid}, []int{int(st.Uid), int(st.Gid)}, "%s owner", path)
	require.Equal(t, mode, fi.Mode().Perm(), "%s mode", path)
}

func gunzip(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "rotated log")
	defer f.Close()
	z, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(z)
	require.NoError(t, err)
	return string(b)
}
