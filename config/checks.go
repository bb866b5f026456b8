package config

import (
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

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

	// AWS' documented naming rules, so a typo fails before a multi-GB upload.
	awsRegion = &format{"an AWS region code such as us-east-1, eu-central-2 or us-gov-west-1", matches(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)}
	s3Bucket  = &format{"an S3 bucket name: 3-63 lowercase letters, digits, '.', '-', starting and ending with a letter or digit", func(v string) bool {
		return len(v) >= 3 && len(v) <= 63 && isBucket(v) && !strings.Contains(v, "..") && !isIPv4(v)
	}}
	s3Key = &format{"an S3 object key: at most 1024 bytes, no control characters, not starting with '/'", func(v string) bool {
		return len(v) <= 1024 && !strings.HasPrefix(v, "/") && !strings.ContainsFunc(v, unicode.IsControl)
	}}
	amiName = &format{"an AMI name: 3-128 letters, digits and ( ) [ ] space . / - ' @ _", func(v string) bool {
		return len(v) >= 3 && len(v) <= 128 && isAMIName(v)
	}}
)

var (
	isBucket  = matches(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	isIPv4    = matches(`^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`)
	isAMIName = matches(`^[A-Za-z0-9()\[\] ./'@_-]+$`)
)
