package testutil

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DockerRegistry starts Debian's docker-registry (distribution 2.8) on a free
// 127.0.0.1 port with filesystem storage in a temp dir, waits until /v2/
// answers and stops it when the test ends. It returns "127.0.0.1:<port>"
// (plain HTTP: use name.Insecure and skopeo --tls-verify=false).
func DockerRegistry(t testing.TB) string {
	t.Helper()
	bin := RequireTool(t, "docker-registry")[0]
	addr := freeAddr(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	body := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", cfg)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("docker-registry: %v", err)
	}
	t.Cleanup(func() {
		cancel() // kills the one process started above
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	_ = cmd.Wait() // the process has exited: its output is complete
	t.Fatalf("docker-registry on %s did not answer /v2/ within 15 s:\n%s", addr, logs.String())
	return ""
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
