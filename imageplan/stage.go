package imageplan

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"dagger/canvos/internal/dagger"
)

// Inputs resolves the sources that steps read to Dagger directories. Scripts
// is filled from the embedded scripts; every other source a step names must be
// present.
type Inputs struct {
	Dirs map[Source]*dagger.Directory
	// BuildEnv is set for Exec steps only (proxies) and removed afterwards, so
	// it is never part of the image config.
	BuildEnv map[string]string
}

// scriptMount is where Exec steps see their script; mounts are not part of
// the image.
const scriptMount = "/run/canvos-step"

// Apply translates the steps into Dagger calls on ctr, one call per step, in
// order. A step whose source is missing makes the container fail when it is
// evaluated, naming the step.
func Apply(dag *dagger.Client, ctr *dagger.Container, steps []Step, in Inputs) *dagger.Container {
	for _, s := range steps {
		if err := s.Validate(); err != nil {
			return ctr.WithError(err.Error())
		}
		var dir *dagger.Directory
		if s.From == Scripts {
			dir = scriptDir(dag)
		} else if s.From != "" {
			if dir = in.Dirs[s.From]; dir == nil {
				return ctr.WithError(fmt.Sprintf("imageplan: step %s: no input for source %s", s.Name, s.From))
			}
		}
		ctr = applyStep(ctr, s, dir, in.BuildEnv)
	}
	return ctr
}

func applyStep(ctr *dagger.Container, s Step, dir *dagger.Directory, env map[string]string) *dagger.Container {
	switch s.Op {
	case CopyDir:
		return ctr.WithDirectory(s.Dest, subdir(dir, s.Src))
	case CopyFile:
		if s.Optional {
			// Copying the parent filtered on the name tolerates a missing file.
			return ctr.WithDirectory(path.Dir(s.Dest), subdir(dir, path.Dir(s.Src)),
				dagger.ContainerWithDirectoryOpts{Include: []string{path.Base(s.Src)}})
		}
		return ctr.WithFile(s.Dest, dir.File(strings.TrimPrefix(s.Src, "/")))
	case Write:
		return ctr.WithNewFile(s.Dest, s.Content, dagger.ContainerWithNewFileOpts{Permissions: int(s.Mode.Perm())})
	case Chmod:
		return ctr.WithExec([]string{"chmod", fmt.Sprintf("%04o", s.Mode.Perm()), s.Dest})
	case Move:
		return ctr.WithExec([]string{"sh", "-c", moveScript, "sh", s.Src, s.Glob, s.Dest})
	case Remove:
		return ctr.WithExec(append([]string{"sh", "-c", removeScript, "sh", strings.Join(s.Except, " ")}, s.Paths...))
	case Symlink:
		return ctr.WithSymlink(s.Target, s.Dest)
	case LinkTree:
		return ctr.WithMountedDirectory(treeMount, subdir(dir, s.Src)).
			WithExec([]string{"sh", "-c", linkTreeScript, "sh", treeMount, s.Dest, s.Target}).
			WithoutMount(treeMount)
	case Exec:
		keys := slices.Sorted(maps.Keys(env)) // a stable order keeps the cache key stable
		for _, k := range keys {
			ctr = ctr.WithEnvVariable(k, env[k])
		}
		target := path.Join(scriptMount, s.Src)
		ctr = ctr.WithMountedFile(target, dir.File(s.Src)).
			WithExec(append([]string{"sh", target}, s.Args...)).
			WithoutMount(target)
		for _, k := range keys {
			ctr = ctr.WithoutEnvVariable(k)
		}
		return ctr
	}
	return ctr.WithError(fmt.Sprintf("imageplan: step %s: unknown op %d", s.Name, int(s.Op)))
}

// subdir is the tree at the absolute step path p of dir (Dagger directory
// paths are relative).
func subdir(dir *dagger.Directory, p string) *dagger.Directory {
	if p == "/" {
		return dir
	}
	return dir.Directory(strings.TrimPrefix(p, "/"))
}

// treeMount is where a LinkTree step sees its source tree.
const treeMount = "/run/canvos-tree"

// linkTreeScript links every non-directory under $1 from $2/<path> to
// $3/<path> (CanvOS' slink).
const linkTreeScript = `set -eu; cd "$1"; find . ! -type d | while IFS= read -r f; do f=${f#./}; mkdir -p "$(dirname "$2/$f")"; ln -sfn "$3/$f" "$2/$f"; done`

// moveScript moves the entries of $1 matching the glob $2 into $3.
const moveScript = `set -eu; mkdir -p "$3"; for f in "$1"/$2; do [ -e "$f" ] || continue; mv "$f" "$3"/; done`

// removeScript deletes the paths matching the globs "$@" after $1, except the
// space-separated paths in $1.
const removeScript = `set -eu; keep=" $1 "; shift; for g in "$@"; do for f in $g; do case "$keep" in *" $f "*) ;; *) rm -rf -- "$f" ;; esac; done; done`

func scriptDir(dag *dagger.Client) *dagger.Directory {
	d := dag.Directory()
	entries, err := fs.ReadDir(ScriptFS(), ".")
	if err != nil {
		return d.WithError(fmt.Sprintf("imageplan: scripts: %v", err))
	}
	for _, e := range entries {
		b, err := fs.ReadFile(ScriptFS(), e.Name())
		if err != nil {
			return d.WithError(fmt.Sprintf("imageplan: script %s: %v", e.Name(), err))
		}
		d = d.WithNewFile(e.Name(), string(b), dagger.DirectoryWithNewFileOpts{Permissions: 0o755})
	}
	return d
}
