//go:build daggeroffline

package main

// Guards for the defects that only a Dagger engine showed (issue 9), checked
// without one. Each list below is derived from the Dagger v0.21.9 sources
// named next to it; update them with the engine version in dagger.json.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// dispatcherIdents are the identifiers in scope where the generated
// dispatcher declares one variable per argument (cmd/codegen/generator/go/
// templates/modules.go: mainSrc, invokeSrc, fillObjectFunctionCase; the
// imports of src/_dagger.gen.go/*.tmpl). An argument named like one shadows
// it: `json bool` broke json.Unmarshal and with it every function.
var dispatcherIdents = []string{
	"ctx", "parentJSON", "parentName", "fnName", "inputArgs", "parent", "err",
	"invoke", "dispatch", "main", "dag", "ptr", "convertSlice", "marshalCtx", "setMarshalContext",
	"convertError", "findSingleGQLError", "Tracer", "DaggerObject", "ExecError",
	"context", "json", "errors", "fmt", "net", "http", "os", "reflect", "strconv", "strings", "slog", "sort",
	"graphql", "gqlerror", "otel", "propagation", "trace", "resource", "semconv", "telemetry", "querybuilder", "dagger",
}

// cliFlags are the flags every `dagger call` subcommand already has
// (cmd/dagger/main.go installGlobalFlags, module.go moduleFlags,
// functions.go: --output, --json), long and short. An argument whose flag
// has such a name makes the command fail before it runs: `flag already
// exists: debug`.
var cliFlags = []string{
	"workdir", "verbose", "v", "quiet", "q", "silent", "s", "debug", "d", "progress", "lock",
	"interactive", "i", "interactive-command", "web", "w", "no-exit", "E", "auto-apply", "y", "x-release",
	"dot-output", "dot-focus-field", "dot-show-internal", "cloud", "scale-out", "help", "h",
	"mod", "m", "no-mod", "M", "output", "o", "json", "j",
}

// pragmaRe is the Go SDK's pragma parser (templates/modules.go,
// pragmaCommentRegexp): a `+word` that ends a line, or `+word=` anywhere,
// is taken as a pragma and cut out of the description.
var pragmaRe = regexp.MustCompile(`[ \t]*\+[ \t]*(\S+?)(?:(=[ \t]*)|(?:\r?\n|$))`)

// pragmas are the ones the Go SDK reads (templates/module_funcs.go,
// module_objects.go, module_enums.go).
var pragmas = []string{"optional", "default", "defaultPath", "defaultAddress", "ignore", "cache", "check", "generate", "up", "deprecated", "private"}

// buildContextNames are files and directories of a CanvOS build context
// (canvos.md: .arg, user-data, content bundles, SPC, keys, certificates,
// customization) and build outputs: none may be uploaded as module source
// or enter the worker build.
var buildContextNames = []string{
	".arg", "my.arg", "user-data", "content-1", "content-site/bundle.zst", "secure-boot/private-keys/db.key",
	"secure-boot/public-keys/db.pem", "spectro-luet-auth.yaml", ".secret", "certs/ca.crt", "spc.tgz",
	"local-ui.tar", "Dockerfile", ".edge-custom-config.yaml", "k8s_version.json", "build/palette-edge-installer.iso",
	"palette-edge-installer.iso", "kairos.raw", "kairos-ubuntu-maas.raw.gz", "cis-harden/harden.sh",
}

// moduleAPI is what the engine exposes of package main: every exported
// method of an exported type and New, with their parameters and the
// comments that document them, and the exported fields of exported structs.
type moduleAPI struct {
	fset   *token.FileSet
	funcs  []*ast.FuncDecl
	fields map[string][]*ast.Field // by struct type name
	notes  []*ast.CommentGroup     // every comment of the package
	consts []*ast.ValueSpec
}

func loadModuleAPI(t *testing.T) moduleAPI {
	t.Helper()
	api := moduleAPI{fset: token.NewFileSet(), fields: map[string][]*ast.Field{}}
	pkgs, err := parser.ParseDir(api.fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	require.NoError(t, err)
	for name, f := range pkgs["main"].Files {
		if strings.HasSuffix(name, "offline.go") {
			continue
		}
		api.notes = append(api.notes, f.Comments...)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && (d.Recv != nil || d.Name.Name == "New") {
					api.funcs = append(api.funcs, d)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if st, ok := s.Type.(*ast.StructType); ok && s.Name.IsExported() {
							api.fields[s.Name.Name] = st.Fields.List
						}
					case *ast.ValueSpec:
						if d.Tok == token.CONST {
							api.consts = append(api.consts, s)
						}
					}
				}
			}
		}
	}
	require.NotEmpty(t, api.funcs)
	return api
}

// kebab is the CLI flag of an argument (the CLI's cliName: lower-case
// words split at upper-case letters and digits).
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (unicode.IsUpper(r) || unicode.IsDigit(r)) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func TestArgumentNamesClearOfDispatcherAndCLI(t *testing.T) {
	api := loadModuleAPI(t)
	taken := slices.Concat(dispatcherIdents, types.Universe.Names())
	for _, fn := range api.funcs {
		for _, p := range fn.Type.Params.List {
			for _, n := range p.Names {
				if n.Name == "ctx" && types.ExprString(p.Type) == "context.Context" {
					continue
				}
				require.NotContains(t, taken, n.Name, "%s: argument %q shadows an identifier of the generated dispatcher", fn.Name.Name, n.Name)
				require.NotContains(t, cliFlags, kebab(n.Name), "%s: argument %q is the CLI's own flag --%s", fn.Name.Name, n.Name, kebab(n.Name))
			}
		}
	}
}

func TestFieldsAndFunctionsDoNotShareNames(t *testing.T) {
	api := loadModuleAPI(t)
	for typ, fields := range api.fields {
		for _, f := range fields {
			for _, n := range f.Names {
				for _, fn := range api.funcs {
					if fn.Recv != nil && types.ExprString(fn.Recv.List[0].Type) == "*"+typ {
						require.NotEqual(t, n.Name, fn.Name.Name, "%s: field and function %s", typ, n.Name)
					}
				}
			}
		}
	}
}

func TestDocsHoldNoStrayPragma(t *testing.T) {
	api := loadModuleAPI(t)
	var stray []string
	for _, c := range api.notes {
		for _, m := range pragmaRe.FindAllStringSubmatch(c.Text(), -1) {
			if !slices.Contains(pragmas, m[1]) {
				stray = append(stray, fmt.Sprintf("%s: %q", api.fset.Position(c.Pos()), strings.TrimSpace(m[0])))
			}
		}
	}
	slices.Sort(stray)
	require.Empty(t, stray, "doc text the Go SDK would cut as pragmas; reword so no line ends in +word and no +word= appears")
}

func TestPragmaCheckCatchesLineEnds(t *testing.T) {
	for text, want := range map[string]string{
		"like CanvOS +uki-genkey:\nmore": "uki-genkey:",
		"CanvOS +iso":                    "iso",
		"+default=\"zstd\"":              "default",
		"a + b":                          "b", // spaces after + count too
		"CanvOS +iso and more":           "",
	} {
		m := pragmaRe.FindStringSubmatch(text)
		if want == "" {
			require.Nil(t, m, text)
			continue
		}
		require.Equal(t, want, m[1], text)
	}
}

// matches reports whether a dagger.json / include pattern matches name: a
// `dir/**` pattern matches below dir, a pattern without a slash matches any
// path element, `**/x` any base name.
func matches(pattern, name string) bool {
	if dir, ok := strings.CutSuffix(pattern, "/**"); ok {
		return strings.HasPrefix(name, dir+"/")
	}
	if base, ok := strings.CutPrefix(pattern, "**/"); ok {
		ok, _ := path.Match(base, path.Base(name))
		return ok
	}
	if !strings.Contains(pattern, "/") {
		for _, el := range strings.Split(name, "/") {
			if ok, _ := path.Match(pattern, el); ok {
				return true
			}
		}
		return false
	}
	ok, _ := path.Match(pattern, name)
	return ok
}

func TestDaggerJSONExcludesBuildContext(t *testing.T) {
	data, err := os.ReadFile("dagger.json")
	require.NoError(t, err)
	var cfg struct {
		Include []string `json:"include"`
		Source  string   `json:"source"`
	}
	require.NoError(t, json.Unmarshal(data, &cfg))
	for _, name := range buildContextNames {
		excluded := slices.ContainsFunc(cfg.Include, func(p string) bool {
			ex, ok := strings.CutPrefix(p, "!")
			return ok && matches(ex, name)
		})
		require.True(t, excluded, "dagger.json uploads the user's %s as module source: add a !pattern to include", name)
	}
	// Nothing the module builds from may be excluded.
	for _, p := range cfg.Include {
		ex, _ := strings.CutPrefix(p, "!")
		for _, src := range []string{"main.go", "go.mod", "go.sum", "cmd/canvos/main.go", "overlay/files/etc/kairos/branding/grubmenu.cfg", "config/k8s_version.json"} {
			require.False(t, matches(ex, src) && !strings.Contains(ex, "k8s_version.json"), "dagger.json excludes module source %s with %q", src, p)
		}
	}
}

func TestWorkerSourcesHoldNoUserFile(t *testing.T) {
	for _, name := range buildContextNames {
		for _, p := range workerSources {
			require.False(t, matches(p, name), "worker source pattern %q takes the user's %s", p, name)
		}
	}
	// Every package and embedded file the CLI is built from is covered.
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}|{{join .GoFiles ","}}|{{join .EmbedFiles ","}}{{end}}{{end}}`, "./cmd/canvos").Output()
	require.NoError(t, err)
	root, err := os.Getwd()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.Split(line, "|")
		dir, err := filepath.Rel(root, parts[0])
		require.NoError(t, err)
		for _, f := range slices.Concat(strings.Split(parts[1], ","), strings.Split(parts[2], ",")) {
			if f == "" {
				continue
			}
			name := filepath.ToSlash(filepath.Join(dir, f))
			require.True(t, slices.ContainsFunc(workerSources, func(p string) bool { return matches(p, name) }),
				"the worker build lacks %s: add it to workerSources", name)
		}
	}
}

// goList runs go list with the offline shim's tag.
func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-tags", "daggeroffline"}, args...)...).Output()
	require.NoError(t, err, "go list %v", args)
	return strings.Fields(string(out))
}

// TestNoAmbiguousImports checks the module graph the engine builds (the
// shim imports what the generated code imports): no package may be found
// in two modules, as google.golang.org/genproto/googleapis/rpc/errdetails
// was in the old single genproto module and in its split-out successor.
func TestNoAmbiguousImports(t *testing.T) {
	mods := map[string]string{} // path → version
	for _, line := range strings.Split(strings.Join(goList(t, "-m", "-f", "{{.Path}}@{{.Version}}", "all"), "\n"), "\n") {
		if p, v, ok := strings.Cut(line, "@"); ok && v != "" {
			mods[p] = v
		}
	}
	dirs := map[string]string{}
	moduleDir := func(p string) string {
		if d, ok := dirs[p]; ok {
			return d
		}
		out, err := exec.Command("go", "mod", "download", "-json", p+"@"+mods[p]).Output()
		require.NoError(t, err, "download %s", p)
		var info struct{ Dir string }
		require.NoError(t, json.Unmarshal(out, &info))
		dirs[p] = info.Dir
		return info.Dir
	}
	pkgs := goList(t, "-deps", "-f", `{{if and (not .Standard) .Module}}{{.ImportPath}}|{{.Module.Path}}{{end}}`, "./...")
	for _, line := range pkgs {
		pkg, from, _ := strings.Cut(line, "|")
		for mod := range mods {
			if mod == from || !strings.HasPrefix(pkg, mod+"/") {
				continue
			}
			files, _ := filepath.Glob(filepath.Join(moduleDir(mod), strings.TrimPrefix(pkg, mod+"/"), "*.go"))
			require.Empty(t, files, "ambiguous import: %s is in %s and in %s@%s", pkg, from, mod, mods[mod])
		}
	}
}

// TestGoModIsWhatTheEngineLeaves checks that the engine's codegen changes
// nothing in go.mod (cmd/codegen/generator/go/generate_module.go,
// syncModReplaceAndTidy): every requirement of the Go SDK's go.mod is met,
// its replace directives for modules we use are present, and tidy is a
// no-op. So the graph CI builds is the one the engine builds.
func TestGoModIsWhatTheEngineLeaves(t *testing.T) {
	type mod struct{ Path, Version string }
	var ours struct {
		Require []mod
		Replace []struct{ Old, New mod }
	}
	out, err := exec.Command("go", "mod", "edit", "-json").Output()
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(out, &ours))
	sdkVersion := ""
	for _, r := range ours.Require {
		if r.Path == "dagger.io/dagger" {
			sdkVersion = r.Version
		}
	}
	require.NotEmpty(t, sdkVersion, "go.mod requires no dagger.io/dagger")
	out, err = exec.Command("go", "mod", "download", "-json", "dagger.io/dagger@"+sdkVersion).Output()
	require.NoError(t, err)
	var info struct{ GoMod string }
	require.NoError(t, json.Unmarshal(out, &info))
	out, err = exec.Command("go", "mod", "edit", "-json", info.GoMod).Output()
	require.NoError(t, err)
	var sdk struct {
		Require []mod
		Replace []struct{ Old, New mod }
	}
	require.NoError(t, json.Unmarshal(out, &sdk))

	selected := map[string]string{}
	for _, line := range goList(t, "-m", "-f", "{{.Path}}@{{.Version}}", "all") {
		if p, v, ok := strings.Cut(line, "@"); ok {
			selected[p] = v
		}
	}
	for _, r := range sdk.Require {
		got, ok := selected[r.Path]
		if !ok {
			continue // the engine adds it, tidy drops it again: not in the graph
		}
		require.False(t, semverLess(got, r.Version),
			"go.mod selects %s %s, below the Go SDK's %s", r.Path, got, r.Version)
	}
	for _, r := range sdk.Replace {
		if _, ok := selected[r.Old.Path]; !ok {
			continue
		}
		require.True(t, slices.ContainsFunc(ours.Replace, func(o struct{ Old, New mod }) bool { return o.Old.Path == r.Old.Path && o.New == r.New }),
			"go.mod lacks the Go SDK's replace %s => %s %s", r.Old.Path, r.New.Path, r.New.Version)
	}
	tidy := exec.Command("go", "mod", "tidy", "-diff")
	var diff bytes.Buffer
	tidy.Stdout = &diff
	require.NoError(t, tidy.Run(), "go mod tidy would change go.mod/go.sum:\n%s", diff.String())
}

// semverLess orders module versions: major.minor.patch numerically, then a
// release above its pre-releases, pre-releases (and pseudo-versions, whose
// timestamps sort as text) by text. Enough for go.mod versions.
func semverLess(a, b string) bool {
	split := func(v string) ([3]int, string) {
		core, pre, _ := strings.Cut(strings.TrimPrefix(strings.TrimSuffix(v, "+incompatible"), "v"), "-")
		var n [3]int
		for i, f := range strings.SplitN(core, ".", 3) {
			n[i], _ = strconv.Atoi(f)
		}
		return n, pre
	}
	an, ap := split(a)
	bn, bp := split(b)
	if c := slices.Compare(an[:], bn[:]); c != 0 {
		return c < 0
	}
	switch {
	case ap == bp:
		return false
	case ap == "":
		return false
	case bp == "":
		return true
	}
	return ap < bp
}

func TestSemverLess(t *testing.T) {
	for _, tc := range [][2]string{
		{"v1.41.0", "v1.44.0"}, {"v0.16.0", "v0.17.0"}, {"v1.9.0", "v1.10.0"},
		{"v0.0.0-20260226221140-a57be14db171", "v0.0.0-20261110000943-09e21b237f2c"},
		{"v1.2.0-rc.1", "v1.2.0"}, {"v1.43.0", "v1.43.1-0.20260515012101-af7cd0684887"},
	} {
		require.True(t, semverLess(tc[0], tc[1]), "%s < %s", tc[0], tc[1])
		require.False(t, semverLess(tc[1], tc[0]), "%s > %s", tc[1], tc[0])
	}
	require.False(t, semverLess("v1.0.0", "v1.0.0"))
}

// TestCommittedStateIsWhatDevelopLeaves: `dagger develop` on v0.21.9
// rewrites dagger.json without the default "source": "." and adds to
// .gitattributes every path the Go SDK generates (core/sdk/go_sdk.go,
// VCSGeneratedPaths), and the generated files must be git-ignored — so
// after it, git status shows nothing to commit, in this module and in tests/.
func TestCommittedStateIsWhatDevelopLeaves(t *testing.T) {
	for _, dir := range []string{".", "tests"} {
		data, err := os.ReadFile(filepath.Join(dir, "dagger.json"))
		require.NoError(t, err)
		var cfg map[string]any
		require.NoError(t, json.Unmarshal(data, &cfg))
		require.NotEqual(t, ".", cfg["source"], "%s/dagger.json: develop drops the default source", dir)
		attrs, err := os.ReadFile(filepath.Join(dir, ".gitattributes"))
		require.NoError(t, err, "%s: develop writes .gitattributes", dir)
		ignore, err := os.ReadFile(filepath.Join(dir, ".gitignore"))
		require.NoError(t, err)
		for _, p := range []string{"dagger.gen.go", "internal/dagger/**", "internal/telemetry/**"} {
			require.Contains(t, string(attrs), "/"+p+" linguist-generated", "%s/.gitattributes", dir)
		}
		for _, p := range []string{"/dagger.gen.go", "/internal/dagger/"} {
			require.Contains(t, string(ignore), p, "%s/.gitignore must ignore the generated code", dir)
		}
	}
}
