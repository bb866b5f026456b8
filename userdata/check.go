// Package userdata is the one offline check of CanvOS user-data (the
// #cloud-config the Palette installer reads), shared by every verb that
// takes one (iso, uki-iso, raw, validate-user-data) and by the Dagger
// functions when palette-edge-cli is not run. Errors are what the installer
// would refuse: no #cloud-config first line, YAML it cannot parse, a key
// given twice, a known stylus key of the wrong type. Warnings are hints:
// unknown keys (with the nearest known one), deprecated stylus keys, a
// config without an admin user. No message quotes a value: user-data
// carries registration tokens and passwords.
package userdata

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"dagger/canvos/usererr"
)

// Header is the first line the Kairos installer requires.
const Header = "#cloud-config"

// Finding is one problem of a user-data file.
type Finding struct {
	Line    int    // 1-based; 0 for the file as a whole
	Path    string // dotted key path, e.g. stylus.site.paletteEndpoint; "" for the file
	Message string
	Warning bool
}

func (f Finding) String() string {
	var b strings.Builder
	if f.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", f.Line)
	}
	if f.Path != "" {
		b.WriteString(f.Path + ": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// Report is every finding of one file, in file order.
type Report []Finding

// Errors are the findings the installer would fail on.
func (r Report) Errors() Report {
	return slices.DeleteFunc(slices.Clone(r), func(f Finding) bool { return f.Warning })
}

// Warnings are the hints.
func (r Report) Warnings() Report {
	return slices.DeleteFunc(slices.Clone(r), func(f Finding) bool { return !f.Warning })
}

// Err is nil without errors, else an input error for param listing them.
func (r Report) Err(param string) error {
	errs := r.Errors()
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, len(errs))
	for i, f := range errs {
		lines[i] = f.String()
	}
	return usererr.Newf(param, "%s", strings.Join(lines, "; "))
}

// FileErr is Err for the file path given by flag: "flag: path: …".
func (r Report) FileErr(flag, path string) error {
	return r.Err(flag + ": " + path)
}

// Check checks user-data b.
func Check(b []byte) Report {
	c := &checker{}
	// The Kairos agent's HasValidHeader: the first line with trailing white
	// space trimmed (a CRLF file); leading white space is not a header.
	first, _, _ := strings.Cut(string(b), "\n")
	if strings.TrimRightFunc(first, unicode.IsSpace) != Header {
		c.err(1, "", fmt.Sprintf("first line must be %q", Header))
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		c.err(strings.Count(string(b[:i]), "\n")+1, "", "not valid YAML: a NUL byte")
		return c.out
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		line, msg := yamlError(err, b)
		c.err(line, "", msg)
		return c.out
	}
	if len(doc.Content) == 0 {
		return c.out // only comments: an empty config
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Tag != "!!null" {
			c.err(root.Line, "", "not a YAML mapping")
		}
		return c.out
	}
	c.mapping(root, "", &field{kind: kMap, fields: topLevel})
	c.usersHint(root)
	return c.out
}

// Mapping checks that b is a YAML mapping (the edge custom config), with
// Check's YAML messages: the line of a parse error, never its text.
func Mapping(b []byte) error {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		line, msg := yamlError(err, b)
		return fmt.Errorf("line %d: %s", line, msg)
	}
	if _, ok := v.(map[string]any); !ok && v != nil {
		return errors.New("not a YAML mapping")
	}
	return nil
}

// yamlLine finds the line number in a YAML parser message; the rest of the
// message may quote the document (anchors, tags), so only the line is kept.
var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlError is the line of a parser error and our message for it, with a
// hint when a tab indents a line (the commonest cause).
func yamlError(err error, b []byte) (int, string) {
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg := "not valid YAML"
	if strings.Contains(string(b), "\n\t") {
		msg += " (a tab indents a line: YAML indents with spaces)"
	}
	return line, msg
}

type checker struct{ out Report }

func (c *checker) err(line int, path, msg string) {
	c.out = append(c.out, Finding{Line: line, Path: path, Message: msg})
}

func (c *checker) warn(line int, path, msg string) {
	c.out = append(c.out, Finding{Line: line, Path: path, Message: msg, Warning: true})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// value checks n against f.
func (c *checker) value(n *yaml.Node, path string, f *field) {
	n = resolve(n)
	if f.note != "" {
		c.warn(n.Line, path, f.note)
	}
	switch f.kind {
	case kAny:
	case kMap:
		if n.Kind != yaml.MappingNode {
			c.err(n.Line, path, "must be a mapping, not "+describe(n))
			return
		}
		c.mapping(n, path, f)
	case kList:
		if n.Kind != yaml.SequenceNode {
			c.err(n.Line, path, "must be a list, not "+describe(n))
			return
		}
		if f.elem != nil {
			for i, e := range n.Content {
				c.value(e, fmt.Sprintf("%s[%d]", path, i), f.elem)
			}
		}
	case kStringOrList:
		if n.Kind == yaml.SequenceNode {
			c.value(n, path, strList)
			return
		}
		c.scalar(n, path, str)
	default:
		c.scalar(n, path, f)
	}
}

// scalar checks a string, bool or int value.
func (c *checker) scalar(n *yaml.Node, path string, f *field) {
	if n.Kind != yaml.ScalarNode {
		c.err(n.Line, path, "must be "+want(f)+", not "+describe(n))
		return
	}
	switch {
	case n.Tag == "!!null":
		// unset: the installer's default
	case f.kind == kBool && n.Tag == "!!str" && n.Style == 0 && slices.Contains(yaml11Bools, strings.ToLower(n.Value)):
		// Go's YAML decoders still take YAML 1.1 booleans into a bool.
		c.warn(n.Line, path, "is a YAML 1.1 boolean (yes/no/on/off); write true or false")
	case f.kind == kBool && n.Tag != "!!bool":
		c.err(n.Line, path, "must be true or false, not "+describe(n))
	case f.kind == kInt && n.Tag != "!!int":
		c.err(n.Line, path, "must be an integer, not "+describe(n))
	case f.kind == kString && n.Tag != "!!str":
		c.warn(n.Line, path, "is "+describe(n)+" where a string is expected; quote it")
	case f.kind == kString && len(f.values) > 0 && !slices.Contains(f.values, n.Value):
		c.err(n.Line, path, "must be one of "+strings.Join(f.values, ", "))
	}
}

// yaml11Bools are the plain words YAML 1.1 read as booleans.
var yaml11Bools = []string{"y", "n", "yes", "no", "on", "off"}

// mapping checks the keys of n: duplicates are errors (the installer's YAML
// decoder refuses them), unknown keys warnings.
func (c *checker) mapping(n *yaml.Node, path string, f *field) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			continue
		}
		p := join(path, k.Value)
		if line, dup := seen[k.Value]; dup {
			c.err(k.Line, p, fmt.Sprintf("given twice (also on line %d)", line))
			continue
		}
		seen[k.Value] = k.Line
		switch sub, known := f.fields[k.Value]; {
		case known:
			c.value(v, p, sub)
		case f.fields == nil:
			if f.elem != nil {
				c.value(v, p, f.elem)
			}
		case !f.open:
			c.warn(k.Line, p, unknown(k.Value, f.fields))
		}
	}
}

// unknown is the warning for a key that is not among fields.
func unknown(key string, fields map[string]*field) string {
	msg := "unknown key, the installer ignores it"
	if near := nearest(key, fields); near != "" {
		msg += "; did you mean " + near + "?"
	}
	return msg
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names the kind of a node without quoting it.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	case "!!null":
		return "empty"
	}
	return "a string"
}

func want(f *field) string {
	switch f.kind {
	case kBool:
		return "true or false"
	case kInt:
		return "an integer"
	}
	return "a string"
}
