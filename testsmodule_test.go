//go:build daggeroffline

package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
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
	bindings, err := clientBindings(".")
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

// clientBindings writes, for package dagger of the tests module, the Canvos
// client object: Client.Canvos from New and one method per exported *Canvos
// method of the module in dir.
func clientBindings(dir string) ([]byte, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var funcs []*ast.FuncDecl
	var comments []*ast.CommentGroup
	for _, f := range pkgs["main"].Files {
		comments = append(comments, f.Comments...)
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.IsExported() && (isCanvosMethod(fn) || fn.Name.Name == "New" && fn.Recv == nil) {
				funcs = append(funcs, fn)
			}
		}
	}
	slices.SortFunc(funcs, func(a, b *ast.FuncDecl) int { return strings.Compare(a.Name.Name, b.Name.Name) })
	// The parser attaches no doc to parameters: an argument's pragmas are
	// the comments between the previous parameter and it.
	optional := func(from, to token.Pos) bool {
		for _, c := range comments {
			if c.Pos() > from && c.End() < to && isOptional(c) {
				return true
			}
		}
		return false
	}
	var b bytes.Buffer
	b.WriteString("//go:build daggeroffline\n\npackage dagger\n\nimport \"context\"\n\n// Canvos is the client object of the canvos module.\ntype Canvos struct{}\n\n")
	b.WriteString("// Client is the engine client with the dependencies' constructors.\ntype Client struct{ *upstream.Client }\n\n")
	for _, fn := range funcs {
		if err := writeBinding(&b, fset, fn, optional); err != nil {
			return nil, fmt.Errorf("%s: %w", fn.Name.Name, err)
		}
	}
	src := bytes.Replace(b.Bytes(), []byte("import \"context\""), []byte("import (\n\t\"context\"\n\n\tupstream \"dagger.io/dagger\"\n)"), 1)
	return format.Source(src)
}

func isCanvosMethod(fn *ast.FuncDecl) bool {
	if fn.Recv == nil || len(fn.Recv.List) != 1 {
		return false
	}
	star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
	return ok && fmt.Sprint(star.X) == "Canvos"
}

// writeBinding writes fn's client method (or, for New, Client.Canvos) and
// its Opts struct.
func writeBinding(b *bytes.Buffer, fset *token.FileSet, fn *ast.FuncDecl, optionalArg func(from, to token.Pos) bool) error {
	name, recv, opts := fn.Name.Name, "(r *Canvos)", "Canvos"+fn.Name.Name+"Opts"
	if fn.Recv == nil {
		name, recv, opts = "Canvos", "(c *Client)", "CanvosOpts"
	}
	var required, optional []string
	prev := fn.Type.Params.Opening
	for _, p := range fn.Type.Params.List {
		typ := clientType(fset, p.Type)
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
	ret, err := clientResult(fset, fn)
	if err != nil {
		return err
	}
	params := required
	if len(optional) > 0 {
		fmt.Fprintf(b, "type %s struct {\n%s}\n\n", opts, strings.Join(optional, ""))
		params = append(params, "opts ..."+opts)
	}
	if strings.Contains(ret, "error") {
		params = append([]string{"ctx context.Context"}, params...)
	}
	fmt.Fprintf(b, "func %s %s(%s) %s { panic(\"offline: type-check only\") }\n\n", recv, name, strings.Join(params, ", "), ret)
	return nil
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

// clientType is a module type as the client spells it inside package dagger.
func clientType(fset *token.FileSet, e ast.Expr) string {
	var b bytes.Buffer
	format.Node(&b, fset, e)
	return strings.ReplaceAll(b.String(), "dagger.", "")
}

// clientResult is the client's result for fn's results: objects stay lazy
// (an error of the function surfaces when they are used); values, lists of
// objects and nothing at all need a round trip, so they take a context and
// return an error.
func clientResult(fset *token.FileSet, fn *ast.FuncDecl) (string, error) {
	if fn.Recv == nil {
		return "*Canvos", nil
	}
	var results []string
	for _, r := range fn.Type.Results.List {
		results = append(results, clientType(fset, r.Type))
	}
	if results[len(results)-1] == "error" {
		results = results[:len(results)-1]
	}
	switch {
	case len(results) == 0:
		return "error", nil
	case len(results) > 1:
		return "", fmt.Errorf("%d results", len(results))
	case strings.HasPrefix(results[0], "*"):
		return results[0], nil
	case strings.HasPrefix(results[0], "[]*"):
		return "([]" + results[0][3:] + ", error)", nil
	}
	return "(" + results[0] + ", error)", nil
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
	return []byte("//go:build daggeroffline\n\npackage main\n\nimport (\n\t\"context\"\n\n\t\"dagger/tests/internal/dagger\"\n)\n\n" +
		"type MyModule struct{}\n\n" + string(m[1])), nil
}
