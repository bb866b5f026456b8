//go:build daggeroffline

package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"go/types"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTestsModuleCompiles type-checks the Dagger test module (tests/) the
// way the engine builds it, without an engine: against client bindings of
// this module's functions, derived here from their Go signatures the way
// Dagger's codegen derives them from the module's schema (a *Canvos method
// becomes a method of the client's Canvos object, its +optional arguments a
// Canvos<Method>Opts struct, a lazy object stays lazy, a value or a list of
// objects takes a context), and against dagger.io/dagger through the offline
// shim. So a check in tests/ that calls a function with a renamed, retyped
// or missing argument fails here. It is a compile check: nothing runs.
func TestTestsModuleCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the tests module")
	}
	bindings, err := clientBindings(loadModuleAPI(t))
	require.NoError(t, err)
	shim, err := os.ReadFile("internal/dagger/offline.go")
	require.NoError(t, err)
	// The client gets the Canvos constructor, so it is our type embedding
	// the upstream client rather than an alias of it.
	shim = regexp.MustCompile(`(?m)^\s*Client\s*= upstream\.Client\n`).ReplaceAll(shim, nil)

	dir := filepath.Join(t.TempDir(), "tests")
	out, err := exec.Command("cp", "-r", "tests", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	files := map[string][]byte{
		"internal/dagger/offline.go":        shim,
		"internal/dagger/canvos_offline.go": bindings,
		"offline.go": []byte("//go:build daggeroffline\n\npackage main\n\nimport \"dagger/tests/internal/dagger\"\n\n" +
			"var dag *dagger.Client\n\nfunc main() {}\n"),
	}
	example, err := readmeExample("README.md")
	require.NoError(t, err)
	files["readme_example.go"] = example
	gomod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	files["go.mod"] = []byte("module dagger/tests\n\n" + string(gomod[bytes.Index(gomod, []byte("\ngo ")):]))
	for name, data := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	out, err = exec.Command("cp", "go.sum", filepath.Join(dir, "go.sum")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	vet := exec.Command("go", "vet", "-tags", "daggeroffline", "./...")
	vet.Dir = dir
	vet.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err = vet.CombinedOutput()
	require.NoError(t, err, "go vet of tests/ against the bindings:\n%s\nbindings:\n%s", out, bindings)
}

// clientBindings writes, for package dagger of the tests module, the
// client objects of the module api describes: Client.Canvos from New; for
// every exported struct type T (Canvos, and the objects its functions return
// as Canvos<T>) one method per exported method and per exported field that
// is not +private; every enum type of the module as Canvos<T> with its values.
func clientBindings(api moduleAPI) ([]byte, error) {
	fset, comments := api.fset, api.notes
	mod := moduleTypes{objects: api.fields, enums: map[string][]*ast.ValueSpec{}}
	for _, c := range api.consts {
		if c.Type != nil && len(c.Values) == 1 {
			typ := types.ExprString(c.Type)
			mod.enums[typ] = append(mod.enums[typ], c)
		}
	}
	funcs := slices.Clone(api.funcs)
	slices.SortFunc(funcs, func(a, b *ast.FuncDecl) int { return strings.Compare(a.Name.Name, b.Name.Name) })
	// The parser attaches no doc to parameters: an argument's pragmas are
	// the comments between the previous parameter and it.
	pragma := func(from, to token.Pos, is func(*ast.CommentGroup) bool) bool {
		for _, c := range comments {
			if c.Pos() > from && c.End() < to && is(c) {
				return true
			}
		}
		return false
	}
	optional := func(from, to token.Pos) bool { return pragma(from, to, isOptional) }
	var b bytes.Buffer
	b.WriteString("//go:build daggeroffline\n\npackage dagger\n\nimport \"context\"\n\n")
	b.WriteString("// Client is the engine client with the dependencies' constructors.\ntype Client struct{ *upstream.Client }\n\n")
	for _, name := range slices.Sorted(maps.Keys(mod.objects)) {
		fmt.Fprintf(&b, "type %s struct{}\n\n", mod.client(name))
		for _, f := range mod.objects[name] {
			private := f.Doc != nil && slices.ContainsFunc(f.Doc.List, func(c *ast.Comment) bool { return strings.HasPrefix(c.Text, "// +private") })
			for _, n := range f.Names {
				if n.IsExported() && !private {
					fmt.Fprintf(&b, "func (r *%s) %s(%s) %s { panic(\"offline: type-check only\") }\n\n",
						mod.client(name), n.Name, ctxParam(mod.result(fset, f.Type)), mod.result(fset, f.Type))
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(mod.enums)) {
		fmt.Fprintf(&b, "type %[1]s string\n\nconst (\n", mod.client(name))
		for _, v := range mod.enums[name] {
			fmt.Fprintf(&b, "\t%s %s = %s\n", "Canvos"+v.Names[0].Name, mod.client(name), types.ExprString(v.Values[0]))
		}
		b.WriteString(")\n\n")
	}
	for _, fn := range funcs {
		if err := mod.writeBinding(&b, fset, fn, optional); err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name.Name, err)
		}
	}
	src := bytes.Replace(b.Bytes(), []byte("import \"context\""), []byte("import (\n\t\"context\"\n\n\tupstream \"dagger.io/dagger\"\n)"), 1)
	return format.Source(src)
}

// moduleTypes are the module's object (struct) and enum types.
type moduleTypes struct {
	objects map[string][]*ast.Field // fields by struct name
	enums   map[string][]*ast.ValueSpec
}

// client is the name a module type has in a consumer's package dagger.
func (mod moduleTypes) client(name string) string {
	if name == "Canvos" {
		return name
	}
	return "Canvos" + name
}

// clientType is a module type as the client spells it inside package dagger.
func (mod moduleTypes) clientType(fset *token.FileSet, e ast.Expr) string {
	var b bytes.Buffer
	format.Node(&b, fset, e)
	t := strings.ReplaceAll(b.String(), "dagger.", "")
	base := strings.TrimLeft(t, "[]*")
	if _, ok := mod.objects[base]; ok || mod.enums[base] != nil {
		return strings.TrimSuffix(t, base) + mod.client(base)
	}
	return t
}

// result is the client's result for a value of type e: objects stay lazy
// (an error of the function surfaces when they are used); values and lists
// of objects need a round trip, so they take a context and return an error.
func (mod moduleTypes) result(fset *token.FileSet, e ast.Expr) string {
	t := mod.clientType(fset, e)
	switch {
	case strings.HasPrefix(t, "*"):
		return t
	case strings.HasPrefix(t, "[]*"):
		return "([]" + t[3:] + ", error)"
	}
	return "(" + t + ", error)"
}

func ctxParam(result string) string {
	if strings.Contains(result, "error") {
		return "ctx context.Context"
	}
	return ""
}

// writeBinding writes fn's client method (or, for New, Client.Canvos) and
// its Opts struct.
func (mod moduleTypes) writeBinding(b *bytes.Buffer, fset *token.FileSet, fn *ast.FuncDecl, optionalArg func(from, to token.Pos) bool) error {
	name, opts := fn.Name.Name, "Canvos"+fn.Name.Name+"Opts"
	recv := "(c *Client)"
	if fn.Recv != nil {
		obj := strings.TrimPrefix(types.ExprString(fn.Recv.List[0].Type), "*")
		recv = "(r *" + mod.client(obj) + ")"
		if obj != "Canvos" {
			opts = mod.client(obj) + fn.Name.Name + "Opts"
		}
	} else {
		name, opts = "Canvos", "CanvosOpts"
	}
	var required, optional []string
	prev := fn.Type.Params.Opening
	for _, p := range fn.Type.Params.List {
		typ := mod.clientType(fset, p.Type)
		from := prev
		prev = p.End()
		if typ == "context.Context" {
			continue
		}
		for _, n := range p.Names {
			if optionalArg(from, p.Pos()) {
				optional = append(optional, fmt.Sprintf("\t%s %s\n", strings.ToUpper(n.Name[:1])+n.Name[1:], typ))
			} else {
				required = append(required, n.Name+" "+typ)
			}
		}
	}
	ret, err := mod.funcResult(fset, fn)
	if err != nil {
		return err
	}
	params := required
	if len(optional) > 0 {
		fmt.Fprintf(b, "type %s struct {\n%s}\n\n", opts, strings.Join(optional, ""))
		params = append(params, "opts ..."+opts)
	}
	if c := ctxParam(ret); c != "" {
		params = append([]string{c}, params...)
	}
	fmt.Fprintf(b, "func %s %s(%s) %s { panic(\"offline: type-check only\") }\n\n", recv, name, strings.Join(params, ", "), ret)
	return nil
}

// funcResult is the client's result for fn's results.
func (mod moduleTypes) funcResult(fset *token.FileSet, fn *ast.FuncDecl) (string, error) {
	if fn.Recv == nil {
		return "*Canvos", nil
	}
	var results []ast.Expr
	for _, r := range fn.Type.Results.List {
		results = append(results, r.Type)
	}
	if types.ExprString(results[len(results)-1]) == "error" {
		results = results[:len(results)-1]
	}
	switch len(results) {
	case 0:
		return "error", nil
	case 1:
		return mod.result(fset, results[0]), nil
	}
	return "", fmt.Errorf("%d results", len(results))
}

// isOptional tells whether an argument's comment makes it optional.
func isOptional(doc *ast.CommentGroup) bool {
	for _, c := range doc.List {
		if strings.HasPrefix(c.Text, "// +optional") || strings.HasPrefix(c.Text, "// +default") || strings.HasPrefix(c.Text, "// +defaultPath") {
			return true
		}
	}
	return false
}

// readmeExample turns the README's Go block (a method of a consuming
// module) into a file of the tests module, so the example compiles.
func readmeExample(path string) ([]byte, error) {
	readme, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile("(?s)```go\n(func \\(m \\*MyModule\\).*?)```").FindSubmatch(readme)
	if m == nil {
		return nil, fmt.Errorf("%s: no Go example of a consuming module", path)
	}
	return []byte("//go:build daggeroffline\n\npackage main\n\nimport (\n\t\"dagger/tests/internal/dagger\"\n)\n\n" +
		"type MyModule struct{}\n\n" + string(m[1])), nil
}
