package overlay

import (
	"testing"

	"dagger/canvos/testutil"
)

// runStage runs a stage as yip does: each step whose `if` succeeds runs its
// commands one by one, each with sh -c, going on after a failing one. It
// returns the names of the steps that ran.
func runStage(t *testing.T, c *testutil.Chroot, cfg yipConfig, stage string) []string {
	t.Helper()
	var ran []string
	for _, step := range cfg.Stages[stage] {
		if step.If != "" {
			if _, code := c.Sh(step.If); code != 0 {
				continue
			}
		}
		ran = append(ran, step.Name)
		for _, cmd := range step.Commands {
			c.Sh(cmd)
		}
	}
	return ran
}
