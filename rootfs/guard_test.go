package rootfs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoReadsAroundTree guards the rule this package exists for: no
// non-test code of the module opens, with the os package, a path joined
// onto a directory whose name says root (o.Rootfs, root, UbuntuRootfs):
// os.ReadFile(filepath.Join(o.Rootfs, …)) follows links out of the tree,
// which is how host files reached the raw disk. Reads of a tree go through
// Tree, with a declared Path.
func TestNoReadsAroundTree(t *testing.T) {
	reads := map[string]bool{"ReadFile": true, "Open": true, "OpenFile": true, "Stat": true, "Lstat": true, "Readlink": true, "ReadDir": true}
	var found []string
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "testutil" {
			return filepath.SkipDir // test support: its trees are the tests' own downloads
		}
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || !isCall(call.Fun, "os", reads) || len(call.Args) == 0 {
				return true
			}
			join, ok := call.Args[0].(*ast.CallExpr)
			if ok && isCall(join.Fun, "filepath", map[string]bool{"Join": true}) && len(join.Args) > 0 &&
				strings.Contains(strings.ToLower(exprName(join.Args[0])), "root") {
				found = append(found, fset.Position(call.Pos()).String())
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, found, "read a rootfs through rootfs.Tree (declared Paths), not the os package")
	_, err = os.Stat("../go.mod")
	require.NoError(t, err, "the walk starts at the module root")
}

func isCall(fun ast.Expr, pkg string, names map[string]bool) bool {
	sel, ok := fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg && names[sel.Sel.Name]
}

// exprName is the last name in an identifier or selector (o.Rootfs → Rootfs).
func exprName(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return v.Sel.Name
	}
	return ""
}
