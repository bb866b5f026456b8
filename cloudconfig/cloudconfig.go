// Package cloudconfig is the one user-data check of every verb (iso,
// uki-iso, raw): the file must be what the Kairos agent reads, a
// "#cloud-config" header over a YAML mapping. Errors name the file and the
// rule, never its content: a token file passed by mistake stays out of logs.
package cloudconfig

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"dagger/canvos/inputfile"
	"dagger/canvos/usererr"
)

// Magic is the first line cloud-init and the Kairos agent require.
const Magic = "#cloud-config"

// Read reads the user-data file path given by flag and checks it.
func Read(flag, path string) ([]byte, error) { return read(flag, path, Check) }

// Check checks user-data bytes; its error says which rule failed.
func Check(b []byte) error {
	// The Kairos agent's HasValidHeader: the first line, trailing white
	// space trimmed (a CRLF file), is the header; leading space is not.
	first, _, _ := bytes.Cut(b, []byte("\n"))
	if strings.TrimRightFunc(string(first), unicode.IsSpace) != Magic {
		return fmt.Errorf("first line must be %q", Magic)
	}
	return mapping(b)
}

// ReadYAML reads a YAML mapping file (the edge custom config) given by flag.
func ReadYAML(flag, path string) ([]byte, error) { return read(flag, path, mapping) }

// read reads path within the user-data limit and applies check, naming the
// flag and the file in its error.
func read(flag, path string, check func([]byte) error) ([]byte, error) {
	b, err := inputfile.Read(flag, path, inputfile.UserDataLimit)
	if err != nil {
		return nil, err
	}
	if err := check(b); err != nil {
		return nil, usererr.Newf(flag, "%s: %v", path, err)
	}
	return b, nil
}

// yamlLine finds the line number in a YAML parser message; the rest of the
// message may quote the document (anchors, tags), so only the line is kept.
var yamlLine = regexp.MustCompile(`line (\d+)`)

func mapping(b []byte) error {
	if bytes.IndexByte(b, 0) >= 0 {
		return errors.New("not valid YAML: it holds a NUL byte")
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			return fmt.Errorf("not valid YAML (error at line %s)", m[1])
		}
		return errors.New("not valid YAML")
	}
	if _, ok := v.(map[string]any); !ok && v != nil {
		return errors.New("not a YAML mapping")
	}
	return nil
}
