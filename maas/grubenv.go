package maas

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// GRUB's environment block (grub-core/lib/envblk.c): a fixed 1024-byte file
// that starts with this header, holds name=value lines and is padded with '#'.
// GRUB rewrites it in place (save_env), so the size must not change. Written in
// Go because grub-editenv is a host tool we would otherwise need only for this.
const (
	grubenvHeader = "# GRUB Environment Block\n"
	grubenvSize   = 1024
)

// grubenv is a parsed environment block.
type grubenv map[string]string

// parseGrubenv reads b; an empty b is an empty environment.
func parseGrubenv(b []byte) (grubenv, error) {
	env := grubenv{}
	if len(b) == 0 {
		return env, nil
	}
	if !bytes.HasPrefix(b, []byte(grubenvHeader)) {
		return nil, fmt.Errorf("grubenv: missing %q header", strings.TrimSpace(grubenvHeader))
	}
	for _, line := range strings.Split(string(b[len(grubenvHeader):]), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("grubenv: line %q has no '='", line)
		}
		env[k] = strings.ReplaceAll(v, `\\`, `\`)
	}
	return env, nil
}

// bytes renders env as a 1024-byte block, names sorted for reproducibility.
// GRUB escapes a backslash in a value with a backslash; newlines in values,
// which GRUB would also escape, are refused to keep the format line-based.
func (env grubenv) bytes() ([]byte, error) {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString(grubenvHeader)
	for _, k := range keys {
		if strings.ContainsAny(k, "=\n") || strings.Contains(env[k], "\n") {
			return nil, fmt.Errorf("grubenv: variable %q: names without '=' and newline, values without newline", k)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, strings.ReplaceAll(env[k], `\`, `\\`))
	}
	if b.Len() > grubenvSize {
		return nil, fmt.Errorf("grubenv: %d bytes of variables do not fit in %d", b.Len(), grubenvSize)
	}
	b.Write(bytes.Repeat([]byte("#"), grubenvSize-b.Len()))
	return b.Bytes(), nil
}
