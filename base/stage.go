package base

import (
	"fmt"

	"dagger/canvos/internal/dagger"
)

// Inputs are what the caller supplies to Base besides Options. An input a
// planned step mounts must be set; the rest may be nil.
type Inputs struct {
	Dockerfile     *dagger.Directory // build context with a Dockerfile at its root (CanvOS' Dockerfile stage)
	CACerts        *dagger.Directory // CanvOS certs/
	CustomFiles    *dagger.Directory // copied onto / (user customization)
	CustomScript   *dagger.File      // shell commands run in the image (user customization)
	Hooks          *dagger.Directory // CanvOS checkout (or same layout) with GPU and CIS scripts
	UbuntuProToken *dagger.Secret    // Ubuntu Pro token; only ever a secret mount
}

// Base is CanvOS' +base-image: From(opts.Image) for linux/opts.Arch (or the
// Dockerfile input built on it) plus the steps of NewPlan(opts), translated
// one to one.
func Base(dag *dagger.Client, opts Options, in Inputs) (*dagger.Container, error) {
	plan, err := NewPlan(opts)
	if err != nil {
		return nil, err
	}
	if plan.FromDockerfile && in.Dockerfile == nil {
		return nil, fmt.Errorf("base: input dockerfile: missing, but the options need it")
	}
	for _, i := range plan.Inputs() {
		if in.mounter(i) == nil {
			return nil, fmt.Errorf("base: input %s: missing, but the options need it", i)
		}
	}
	ctr := in.start(dag, plan, dagger.Platform("linux/"+opts.Arch))
	for _, e := range plan.BuildEnv {
		ctr = ctr.WithEnvVariable(e.Name, e.Value)
	}
	for _, s := range plan.Steps {
		ctr = in.apply(ctr, s)
	}
	for _, e := range plan.BuildEnv {
		ctr = ctr.WithoutEnvVariable(e.Name)
	}
	return ctr, nil
}

// start is the image the steps run on: the base image, or the user's
// Dockerfile built with CanvOS' build arguments (which, unlike ENV, do not
// persist in the image).
func (in Inputs) start(dag *dagger.Client, plan Plan, platform dagger.Platform) *dagger.Container {
	if !plan.FromDockerfile {
		return dag.Container(dagger.ContainerOpts{Platform: platform}).From(plan.From)
	}
	var args []dagger.BuildArg
	for _, e := range plan.DockerBuildArgs {
		args = append(args, dagger.BuildArg{Name: e.Name, Value: e.Value})
	}
	return in.Dockerfile.DockerBuild(dagger.DirectoryDockerBuildOpts{Platform: platform, BuildArgs: args})
}

// apply is one Step: files, then the script with its env and mounts, which
// are removed again so later steps and the image never see them.
func (in Inputs) apply(ctr *dagger.Container, s Step) *dagger.Container {
	for _, f := range s.Files {
		ctr = ctr.WithNewFile(f.Path, f.Contents, dagger.ContainerWithNewFileOpts{Permissions: int(f.Mode.Perm())})
	}
	if s.Script == "" {
		return ctr
	}
	for _, e := range s.Env {
		ctr = ctr.WithEnvVariable(e.Name, e.Value)
	}
	for _, m := range s.Mounts {
		ctr = in.mounter(m.Input)(ctr, m.Path)
	}
	ctr = ctr.WithExec([]string{"/bin/sh", "-c", s.Script})
	for _, m := range s.Mounts {
		ctr = ctr.WithoutMount(m.Path)
	}
	for _, e := range s.Env {
		ctr = ctr.WithoutEnvVariable(e.Name)
	}
	return ctr
}

// mounter returns how to mount input i, or nil when the caller did not
// supply it.
func (in Inputs) mounter(i Input) func(ctr *dagger.Container, path string) *dagger.Container {
	readOnly := dagger.ContainerWithMountedDirectoryOpts{ReadOnly: true}
	dir := func(d *dagger.Directory) func(*dagger.Container, string) *dagger.Container {
		if d == nil {
			return nil
		}
		return func(ctr *dagger.Container, path string) *dagger.Container {
			return ctr.WithMountedDirectory(path, d, readOnly)
		}
	}
	switch {
	case i == CACerts:
		return dir(in.CACerts)
	case i == CustomFiles:
		return dir(in.CustomFiles)
	case i == Hooks:
		return dir(in.Hooks)
	case i == CustomScript && in.CustomScript != nil:
		return func(ctr *dagger.Container, path string) *dagger.Container {
			return ctr.WithMountedFile(path, in.CustomScript)
		}
	case i == UbuntuProToken && in.UbuntuProToken != nil:
		return func(ctr *dagger.Container, path string) *dagger.Container {
			// Mode needs an owner to take effect: root-only 0400.
			return ctr.WithMountedSecret(path, in.UbuntuProToken, dagger.ContainerWithMountedSecretOpts{Owner: "0:0", Mode: 0o400})
		}
	}
	return nil
}
