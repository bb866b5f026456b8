//go:build daggeroffline

package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/config"
	"dagger/canvos/uki"
)

// flagValue is the value after flag in args.
func flagValue(t *testing.T, args []string, flag string) string {
	t.Helper()
	for i, a := range args[:len(args)-1] {
		if a == flag {
			return args[i+1]
		}
	}
	t.Fatalf("%s not in %q", flag, args)
	return ""
}

// The UKI ISO's entries append CMDLINE (stylus.registration: the installer
// registers with Palette); provider UKIs append nothing, as CanvOS'
// +build-provider-trustedboot-image gives enki no --extend-cmdline.
func TestUKIFlagsCmdline(t *testing.T) {
	t.Parallel()
	cfg, _, err := config.Load("", nil, []config.Override{{Key: "IS_UKI", Value: "true"}, {Key: "OS_VERSION", Value: "24.04"}})
	require.NoError(t, err)
	iso, err := ukiFlags(cfg, ukiInputs{})
	require.NoError(t, err)
	require.Equal(t, uki.DefaultExtendCmdline, flagValue(t, iso, "--extend-cmdline"))
	provider, err := ukiFlags(cfg, ukiInputs{provider: true})
	require.NoError(t, err)
	require.Equal(t, "", flagValue(t, provider, "--extend-cmdline"))
	require.Equal(t, uki.EnrollAuto, flagValue(t, provider, "--secure-boot-enroll"))

	cfg, _, err = config.Load("", nil, []config.Override{{Key: "CMDLINE", Value: "stylus.registration rd.debug"}, {Key: "AUTO_ENROLL_SECUREBOOT_KEYS", Value: "true"}})
	require.NoError(t, err)
	iso, err = ukiFlags(cfg, ukiInputs{})
	require.NoError(t, err)
	require.Equal(t, "stylus.registration rd.debug", flagValue(t, iso, "--extend-cmdline"))
	require.Equal(t, uki.EnrollForce, flagValue(t, iso, "--secure-boot-enroll"))
	_, err = ukiFlags(cfg, ukiInputs{secureBootEnroll: "sometimes"})
	require.ErrorContains(t, err, "secure-boot-enroll")
}
