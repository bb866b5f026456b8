package maas

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"dagger/canvos/usererr"
)

// contentSet is what a COS_CONTENT partition holds, in CanvOS' layout (read
// by maas-content.sh and cloud-content.sh): bundles under bundle-content/,
// the cluster profile as spc-config/spc.tgz, the edge config as
// edge-config/.edge_custom_config.yaml.
type contentSet struct {
	files map[string]string // partition path → host file
	order []string          // partition paths, sorted
}

// ContentInputs name the files of a COS_CONTENT partition.
type ContentInputs struct {
	Content       []string // directories of content bundles (*.zst, *.tar; top level)
	ClusterConfig string   // SPC file (CLUSTERCONFIG)
	EdgeConfig    string   // EDGE_CUSTOM_CONFIG file
}

// collect validates the inputs and lists the partition's files; bundles of
// the same name in two directories are refused.
func (c ContentInputs) collect() (contentSet, error) {
	s := contentSet{files: map[string]string{}}
	for _, dir := range c.Content {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return s, usererr.New("--content", dir, "a readable directory of content bundles")
		}
		n := 0
		for _, e := range ents {
			if !e.Type().IsRegular() || !(strings.HasSuffix(e.Name(), ".zst") || strings.HasSuffix(e.Name(), ".tar")) {
				continue
			}
			dest := "bundle-content/" + e.Name()
			if prev, dup := s.files[dest]; dup {
				return s, usererr.New("--content", dir, "directories without bundles of the same name ("+e.Name()+" is also in "+filepath.Dir(prev)+")")
			}
			s.files[dest] = filepath.Join(dir, e.Name())
			n++
		}
		if n == 0 {
			return s, usererr.New("--content", dir, "a directory holding *.zst or *.tar content bundles")
		}
	}
	for _, f := range []struct{ flag, path, dest string }{
		{"--cluster-config", c.ClusterConfig, "spc-config/spc.tgz"},
		{"--edge-config", c.EdgeConfig, "edge-config/.edge_custom_config.yaml"},
	} {
		if f.path == "" {
			continue
		}
		if fi, err := os.Stat(f.path); err != nil || !fi.Mode().IsRegular() {
			return s, usererr.New(f.flag, f.path, "a readable file")
		}
		s.files[f.dest] = f.path
	}
	for dest := range s.files {
		s.order = append(s.order, dest)
	}
	sort.Strings(s.order)
	return s, nil
}

func (s contentSet) empty() bool { return len(s.order) == 0 }

// seedParts stand for the content in a disk's seed: path, size and mtime of
// each file (hashing gigabytes of bundles would cost more than the build).
func (s contentSet) seedParts() [][]byte {
	var parts [][]byte
	for _, dest := range s.order {
		if fi, err := os.Stat(s.files[dest]); err == nil {
			parts = append(parts, []byte(fmt.Sprintf("%s %d %d", dest, fi.Size(), fi.ModTime().UnixNano())))
		}
	}
	return parts
}

// partSize is CanvOS' content partition size: the files plus 20 % plus
// 100 MiB, in whole MiB.
func (s contentSet) partSize() int64 {
	var n int64
	for _, dest := range s.order {
		if fi, err := os.Stat(s.files[dest]); err == nil {
			n += fi.Size() + 4096
		}
	}
	return roundMiB(n + n/5 + 100*mib)
}

// stage lays the files out under dir as hardlinks where it can (bundles are
// gigabytes), for mke2fs -d.
func (s contentSet) stage(dir string) error {
	for _, dest := range s.order {
		if err := linkOrCopy(s.files[dest], filepath.Join(dir, dest)); err != nil {
			return err
		}
	}
	return nil
}
