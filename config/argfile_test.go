package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/usererr"
)

// syntaxCases are the accepted .arg forms, with what they assign.
var syntaxCases = []struct {
	name, in string
	want     []Assignment
}{
	{"plain", "ARCH=amd64\n", []Assignment{{1, "ARCH", "amd64"}}},
	{"blank lines and comments", "\n# comment\n   \n  # indented comment\nARCH=amd64\n\n", []Assignment{{5, "ARCH", "amd64"}}},
	{"inline comment after value", "MAAS_IMAGE_NAME=kairos-ubuntu-maas    # custom name\n", []Assignment{{1, "MAAS_IMAGE_NAME", "kairos-ubuntu-maas"}}},
	{"hash inside a word is literal", "CUSTOM_TAG=a#b\n", []Assignment{{1, "CUSTOM_TAG", "a#b"}}},
	{"export prefix", "export ARCH=arm64\n", []Assignment{{1, "ARCH", "arm64"}}},
	{"export several", "export A=1 B=2\n", []Assignment{{1, "A", "1"}, {1, "B", "2"}}},
	{"two on one line", "A=1 B=2\n", []Assignment{{1, "A", "1"}, {1, "B", "2"}}},
	{"empty value", "HTTPS_PROXY=\n", []Assignment{{1, "HTTPS_PROXY", ""}}},
	{"empty quoted value", "HTTPS_PROXY=\"\"\n", []Assignment{{1, "HTTPS_PROXY", ""}}},
	{"double quotes keep spaces", `MY_ORG="ACME Corporation"`, []Assignment{{1, "MY_ORG", "ACME Corporation"}}},
	{"single quotes keep spaces", `MY_ORG='ACME Corp'`, []Assignment{{1, "MY_ORG", "ACME Corp"}}},
	{"single quotes do not expand", "A=x\nB='$A'\n", []Assignment{{1, "A", "x"}, {2, "B", "$A"}}},
	{"double quotes expand", "A=x\nB=\"$A-y\"\n", []Assignment{{1, "A", "x"}, {2, "B", "x-y"}}},
	{"dollar VAR", "OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\n", []Assignment{{1, "OS_DISTRIBUTION", "ubuntu"}, {2, "IMAGE_REPO", "ubuntu"}}},
	{"braced VAR", "A=reg\nB=${A}/edge\n", []Assignment{{1, "A", "reg"}, {2, "B", "reg/edge"}}},
	{"later value seen", "A=1\nA=2\nB=$A\n", []Assignment{{1, "A", "1"}, {2, "A", "2"}, {3, "B", "2"}}},
	{"backslash escapes", `A=a\ b`, []Assignment{{1, "A", "a b"}}},
	{"escaped quote in double quotes", `A="say \"hi\" \x"`, []Assignment{{1, "A", `say "hi" \x`}}},
	{"escapes in double quotes", `A="back\\slash \$NOT \x"`, []Assignment{{1, "A", `back\slash $NOT \x`}}},
	{"quoted tilde and dollar are literal", `A="~" B=$ C=a$ D='~'`, []Assignment{{1, "A", "~"}, {1, "B", "$"}, {1, "C", "a$"}, {1, "D", "~"}}},
	{"no globbing or brace expansion in values", "A=* B={a,b}\n", []Assignment{{1, "A", "*"}, {1, "B", "{a,b}"}}},
	{"multi-line double-quoted value", "A=\"a\nb\"\n", []Assignment{{1, "A", "a\nb"}}},
	{"concatenated quoting", `A=ab"c d"'e'`, []Assignment{{1, "A", "abc de"}}},
	{"CRLF line endings (files edited on Windows)", "ARCH=amd64\r\nCUSTOM_TAG=demo\r\n", []Assignment{{1, "ARCH", "amd64"}, {2, "CUSTOM_TAG", "demo"}}},
	{"semicolons", "A=1; B=2\n", []Assignment{{1, "A", "1"}, {1, "B", "2"}}},
	{"line continuation", "A=a\\\nb\n", []Assignment{{1, "A", "ab"}}},
	{"no trailing newline", "ARCH=amd64", []Assignment{{1, "ARCH", "amd64"}}},
	{"empty file", "", nil},
}

func TestParseSyntax(t *testing.T) {
	t.Parallel()
	for _, tt := range syntaxCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, errs := Parse(".arg", []byte(tt.in), nil)
			require.Empty(t, errs)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"command", "ARCH=amd64\necho hello\n", ".arg line 2: not a KEY=VALUE assignment"},
		{"spaces around equals", "\nARCH = amd64\n", ".arg line 2: not a KEY=VALUE assignment (a command, or spaces around '=')"},
		{"unterminated double quote", "A=1\nB=\"abc\n", ".arg line 2: "},
		{"unterminated single quote", "B='abc\n", ".arg line 1: "},
		{"undefined variable", "A=1\nB=$HOME/x\n", ".arg line 2: B: $HOME is not set earlier in the file"},
		{"variable defined later", "B=$A\nA=1\n", ".arg line 1: B: $A is not set earlier"},
		{"command substitution", "A=$(id)\n", ".arg line 1: A: command substitution is not supported"},
		{"backticks", "A=`id`\n", ".arg line 1: A: command substitution is not supported"},
		{"default expansion", "A=${B:-x}\n", ".arg line 1: A: only $VAR and ${VAR} expansions are supported"},
		{"arithmetic", "A=$((1+1))\n", ".arg line 1: A: arithmetic, globs and other shell expansions are not supported"},
		{"mksh-only syntax", "A=${ id;}\n", `.arg line 1: "${ stmts;}" is not supported`},
		{"here-document", "A=1 <<EOF\n", ".arg line 1: unclosed here-document"},
		{"array", "A=(1 2)\n", ".arg line 1: A: arrays and += are not supported"},
		{"append", "A+=x\n", ".arg line 1: A: arrays and += are not supported"},
		{"export without value", "export A\n", ".arg line 1: not a KEY=VALUE assignment (export without a value)"},
		{"declare", "declare A=1\n", `.arg line 1: not a KEY=VALUE assignment ("declare" is not supported, only export)`},
		{"redirect", "A=1 > f\n", ".arg line 1: not a KEY=VALUE assignment"},
		{"if block", "if true; then A=1; fi\n", ".arg line 1: not a KEY=VALUE assignment"},
		{"tilde", "CLUSTERCONFIG=~/spc.tgz\n", ".arg line 1: CLUSTERCONFIG: ~ would be the home directory of the build host"},
		{"tilde after colon", "A=a:~/b\n", ".arg line 1: A: ~ would be the home directory"},
		{"ansi-c quoting", "A=$'x'\n", ".arg line 1: A: $'…' quoting is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, errs := Parse(".arg", []byte(tt.in), nil)
			require.NotEmpty(t, errs)
			require.True(t, errors.Is(errs[0], usererr.ErrInvalid))
			require.Contains(t, errs[0].Error(), tt.want)
		})
	}
}

func TestParseReportsEveryBadLine(t *testing.T) {
	t.Parallel()
	got, errs := Parse("my.arg", []byte("A=1\nfoo\nB=2\nbar baz\nC=$NOPE\n"), nil)
	require.Len(t, errs, 3)
	require.Contains(t, errs[0].Error(), "my.arg line 2")
	require.Contains(t, errs[1].Error(), "my.arg line 4")
	require.Contains(t, errs[2].Error(), "my.arg line 5")
	require.Equal(t, []Assignment{{1, "A", "1"}, {3, "B", "2"}}, got)
}

func TestParseSeedWinsAndIsVisible(t *testing.T) {
	t.Parallel()
	got, errs := Parse(".arg", []byte("OS_DISTRIBUTION=ubuntu\nIMAGE_REPO=$OS_DISTRIBUTION\nB=$ONLY_SEED\n"),
		map[string]string{"OS_DISTRIBUTION": "opensuse-leap", "ONLY_SEED": "s"})
	require.Empty(t, errs)
	require.Equal(t, []Assignment{{1, "OS_DISTRIBUTION", "ubuntu"}, {2, "IMAGE_REPO", "opensuse-leap"}, {3, "B", "s"}}, got)
}

func TestParseNULBOMAndLongFiles(t *testing.T) {
	_, errs := Parse(".arg", []byte("OS_DISTRIBUTION=ubuntu\nARCH=amd\x00 64\n"), nil)
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], usererr.ErrInvalid)
	require.EqualError(t, errs[0], ".arg line 2: a NUL byte: .arg files are text")

	got, errs := Parse(".arg", []byte("\uFEFFARCH=arm64\n"), nil)
	require.Empty(t, errs)
	require.Equal(t, []Assignment{{Line: 1, Key: "ARCH", Value: "arm64"}}, got)

	// Past the shell parser's 18-bit line counter (262,143).
	long := strings.Repeat("\n", 300_000) + "ARCH=arm64\nBAD=$(id)\n"
	got, errs = Parse(".arg", []byte(long), nil)
	require.Equal(t, []Assignment{{Line: 300_001, Key: "ARCH", Value: "arm64"}}, got)
	require.Len(t, errs, 1)
	require.ErrorContains(t, errs[0], ".arg line 300002: BAD")
}
