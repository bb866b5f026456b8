package config

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// format is the accepted form of a free-form value: a test and the words
// that describe it in errors and in docs/parameters.md.
type format struct {
	allowed string
	valid   func(string) bool
}

func matches(re string) func(string) bool { return regexp.MustCompile(re).MatchString }

// maxTag is the OCI limit on a tag's length.
const maxTag = 128

var (
	isTagPart  = matches(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
	isFileStem = matches(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*$`)
)

var (
	tagPart = &format{"an image tag part: letters, digits, '_', '.', '-', not starting with '.' or '-'", func(v string) bool {
		return len(v) <= maxTag && isTagPart(v)
	}}
	lowName  = &format{"lowercase letters, digits, '.', '_', '-'", matches(`^[a-z0-9][a-z0-9._-]*$`)}
	fileStem = &format{"a file name without directory: letters, digits, '_', '.', '+', '-'", func(v string) bool {
		return len(v) <= 200 && isFileStem(v)
	}}
	imageRef = &format{"an image reference such as registry.example.com/repo/image:tag", func(v string) bool {
		_, err := name.ParseReference(v)
		return err == nil
	}}
	// registry is what goes before /repo:tag: a host with optional port and path.
	registry = &format{"a registry host[:port][/path] in lowercase, without scheme, such as ttl.sh or registry.example.com/edge", func(v string) bool {
		_, err := name.NewRepository(v+"/x", name.StrictValidation)
		return err == nil && !strings.Contains(v, "://")
	}}
	repository = &format{"a repository name in lowercase: letters, digits, '.', '_', '-', '/'", func(v string) bool {
		_, err := name.NewRepository("registry.invalid/"+v, name.StrictValidation)
		return err == nil
	}}
	noSpace   = &format{"a value without whitespace", func(v string) bool { return !strings.ContainsAny(v, " \t\n\r") }}
	path      = &format{"a file path", func(v string) bool { return !strings.ContainsAny(v, "\x00\n\r") }}
	localPath = &format{"a relative path inside the build context, without '..'", filepath.IsLocal}
)
