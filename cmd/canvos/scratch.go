package main

import (
	"cmp"
	"flag"

	"dagger/canvos/outfile"
	"dagger/canvos/scratch"
)

// scratchFlag registers --scratch, where a heavy verb's temporary files go.
func scratchFlag(fs *flag.FlagSet) *string {
	return fs.String("scratch", "", "directory for temporary files (default: the output's directory, the file system the result needs room on); what killed runs left there is removed")
}

// prepareScratch resolves the scratch directory (dir, else outDir), refuses
// one inside an input tree, and removes what killed runs left in it and in
// outDir (temporary outputs), saying so.
func prepareScratch(e *env, dir, outDir string, inputs ...outfile.Input) (string, error) {
	dir = cmp.Or(dir, outDir)
	if err := outfile.CheckDir("--scratch", dir, inputs...); err != nil {
		return "", err
	}
	dirs := []string{dir}
	if outDir != dir {
		dirs = append(dirs, outDir)
	}
	for _, d := range dirs {
		removed, err := scratch.Sweep(d)
		for _, p := range removed {
			e.printf("removed %s, left by a killed run", p)
		}
		if err != nil {
			return "", err
		}
	}
	return dir, nil
}
