package config

// The .arg file is sourced as bash by CanvOS' earthly.sh, so its quoting is
// shell quoting. mvdan.cc/sh does the lexing (quotes, escapes, comments,
// line continuations) exactly as bash; this file only accepts the subset an
// .arg file needs and evaluates it without running anything: assignments,
// optional `export`, '…', "…", \ escapes and $VAR / ${VAR} of keys set
// earlier. Everything else (commands, $(…), arithmetic, ${VAR:-x}) is an
// error naming the line, because CanvOS would have run it as code.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"dagger/canvos/usererr"
)

// Assignment is one KEY=VALUE of an .arg file, value expanded.
type Assignment struct {
	Line  int
	Key   string
	Value string
}

// Parse reads an .arg file. name labels errors (usually the file name).
// Variables referenced in values resolve against earlier assignments, or
// against seed (the overrides, which win over the file) when given.
// Errors are user errors naming the line. A syntax error (such as an
// unterminated quote) stops parsing; a bad statement is reported and skipped.
//
// A UTF-8 byte order mark (Windows editors write one) is skipped; a NUL byte
// is refused, naming its line: bash drops NULs, so "amd\x0064" would read as
// amd64 there and as something else in any other reader.
func Parse(name string, data []byte, seed map[string]string) ([]Assignment, []error) {
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, []error{lineError(name, lineAt(data, i), "a NUL byte: .arg files are text")}
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(bytes.NewReader(data), name)
	if err != nil {
		return nil, []error{parseError(name, data, err)}
	}
	vars := map[string]string{}
	for k, v := range seed {
		vars[k] = v
	}
	var out []Assignment
	var errs []error
	for _, st := range f.Stmts {
		assigns, err := statementAssigns(st)
		if err != nil {
			errs = append(errs, lineError(name, lineAt(data, int(st.Pos().Offset())), err.Error()))
			continue
		}
		for _, a := range assigns {
			v, err := evalWord(a.Value, vars)
			if err != nil {
				errs = append(errs, lineError(name, lineAt(data, int(a.Pos().Offset())), fmt.Sprintf("%s: %v", a.Name.Value, err)))
				continue
			}
			if _, overridden := seed[a.Name.Value]; !overridden {
				vars[a.Name.Value] = v
			}
			out = append(out, Assignment{Line: lineAt(data, int(a.Pos().Offset())), Key: a.Name.Value, Value: v})
		}
	}
	return out, errs
}

func lineError(name string, line int, msg string) error {
	return usererr.Newf(fmt.Sprintf("%s line %d", name, line), "%s", msg)
}

// utf8BOM is the byte order mark some editors put at the start of a file.
const utf8BOM = "\uFEFF"

// lineAt is the 1-based line of byte offset off. The shell parser's own line
// numbers stop at 262,143 (18 bits); offsets do not.
func lineAt(data []byte, off int) int {
	return bytes.Count(data[:min(max(off, 0), len(data))], []byte("\n")) + 1
}

// parseError turns the shell parser's error into one naming the line.
func parseError(name string, data []byte, err error) error {
	var pe syntax.ParseError
	if errors.As(err, &pe) {
		return lineError(name, lineAt(data, int(pe.Pos.Offset())), pe.Text)
	}
	var le syntax.LangError
	if errors.As(err, &le) {
		return lineError(name, lineAt(data, int(le.Pos.Offset())), le.Feature+" is not supported")
	}
	return usererr.Newf(name, "%v", err)
}

const notAssignment = "not a KEY=VALUE assignment"

// statementAssigns returns the assignments of a statement that is nothing
// but assignments (optionally after `export`).
func statementAssigns(st *syntax.Stmt) ([]*syntax.Assign, error) {
	if st.Negated || st.Background || st.Coprocess || len(st.Redirs) > 0 {
		return nil, errors.New(notAssignment)
	}
	var assigns []*syntax.Assign
	switch c := st.Cmd.(type) {
	case *syntax.CallExpr:
		if len(c.Args) > 0 {
			return nil, fmt.Errorf("%s (a command, or spaces around '=')", notAssignment)
		}
		assigns = c.Assigns
	case *syntax.DeclClause:
		if c.Variant.Value != "export" {
			return nil, fmt.Errorf("%s (%q is not supported, only export)", notAssignment, c.Variant.Value)
		}
		assigns = c.Args
	default:
		return nil, errors.New(notAssignment)
	}
	for _, a := range assigns {
		switch {
		case a.Name == nil || a.Naked:
			return nil, fmt.Errorf("%s (export without a value)", notAssignment)
		case a.Append || a.Index != nil || a.Array != nil:
			return nil, fmt.Errorf("%s: arrays and += are not supported", a.Name.Value)
		}
	}
	return assigns, nil
}

// evalWord expands an assignment value; nil is an empty value (KEY=).
func evalWord(w *syntax.Word, vars map[string]string) (string, error) {
	if w == nil {
		return "", nil
	}
	for i, p := range w.Parts {
		if lit, ok := p.(*syntax.Lit); ok && ((i == 0 && strings.HasPrefix(lit.Value, "~")) || strings.Contains(lit.Value, ":~")) {
			return "", errors.New("~ would be the home directory of the build host; give paths relative to the build context")
		}
	}
	var b strings.Builder
	if err := evalParts(&b, w.Parts, vars, false); err != nil {
		return "", err
	}
	return b.String(), nil
}

func evalParts(b *strings.Builder, parts []syntax.WordPart, vars map[string]string, quoted bool) error {
	for _, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(p.Value, quoted))
		case *syntax.SglQuoted:
			if p.Dollar {
				return errors.New("$'…' quoting is not supported")
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if p.Dollar {
				return errors.New(`$"…" quoting is not supported`)
			}
			if err := evalParts(b, p.Parts, vars, true); err != nil {
				return err
			}
		case *syntax.ParamExp:
			v, err := evalParam(p, vars)
			if err != nil {
				return err
			}
			b.WriteString(v)
		case *syntax.CmdSubst:
			return errors.New("command substitution is not supported")
		default:
			return errors.New("arithmetic, globs and other shell expansions are not supported, only $VAR and ${VAR}")
		}
	}
	return nil
}

// evalParam expands $VAR or ${VAR} from the keys set so far.
func evalParam(p *syntax.ParamExp, vars map[string]string) (string, error) {
	if p.Excl || p.Length || p.Width || p.Index != nil || p.Slice != nil || p.Repl != nil || p.Names != 0 || p.Exp != nil {
		return "", errors.New("only $VAR and ${VAR} expansions are supported")
	}
	v, ok := vars[p.Param.Value]
	if !ok {
		return "", fmt.Errorf("$%s is not set earlier in the file (the environment is not read)", p.Param.Value)
	}
	return v, nil
}

// unescape removes shell backslash escapes from a literal: outside quotes a
// backslash keeps the next character; inside double quotes only before
// $ ` " \ and newline. A backslash-newline is a line continuation.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		next := s[i+1]
		switch {
		case next == '\n':
			i++
		case !quoted || strings.IndexByte("$`\"\\", next) >= 0:
			b.WriteByte(next)
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
