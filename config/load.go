package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"dagger/canvos/suggest"
	"dagger/canvos/usererr"
)

// Override is one parameter set on the command line (--set KEY=VALUE) or by
// a Dagger function argument. Overrides win over the .arg file, and $KEY in
// the file already sees the override's value (so IMAGE_REPO=$OS_DISTRIBUTION
// follows --set OS_DISTRIBUTION=…).
type Override struct {
	Key   string
	Value string
}

// ParseOverride splits "KEY=VALUE".
func ParseOverride(s string) (Override, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return Override{}, usererr.New("--set", s, "KEY=VALUE")
	}
	return Override{Key: k, Value: v}, nil
}

// secrets are names that must never be parameters: values in .arg end up in
// shell history, build caches and logs. Their values are never echoed.
var secrets = map[string]string{
	"UBUNTU_PRO_KEY":        "pass the Ubuntu Pro token as a secret (dagger: --ubuntu-pro-key env:UBUNTU_PRO_KEY), not in .arg",
	"AWS_ACCESS_KEY_ID":     awsSecret,
	"AWS_SECRET_ACCESS_KEY": awsSecret,
	"AWS_SESSION_TOKEN":     awsSecret,
}

const awsSecret = "pass AWS credentials as secrets (dagger: --aws-access-key-id env://AWS_ACCESS_KEY_ID --aws-secret-access-key env://AWS_SECRET_ACCESS_KEY), not in .arg"

// Option adds an input to Load besides the .arg file and the overrides.
type Option func(*loader)

// WithMatrixFile makes the k8s_version.json in data (CanvOS' format; name
// labels messages and the plan) the Kubernetes matrix instead of the
// embedded one: CanvOS users extend the matrix by editing that file.
func WithMatrixFile(name string, data []byte) Option {
	return func(l *loader) {
		m, warnings, err := ParseMatrix(name, data)
		l.warnings = append(l.warnings, warnings...)
		if err != nil {
			l.errs = append(l.errs, err)
			return
		}
		l.matrix = m
	}
}

// Load reads an .arg file (data may be nil: no file; name labels messages)
// and the overrides, applies CanvOS' defaults and validates everything. It
// returns every problem at once (errors.Join of usererr errors) and warnings
// for things that are accepted but probably not meant (unknown keys, with the
// closest known one; parameters without effect; duplicates).
func Load(name string, data []byte, overrides []Override, opts ...Option) (Config, []string, error) {
	var l loader
	for _, o := range opts {
		o(&l)
	}
	c := l.load(name, data, overrides)
	l.errs = append(l.errs, validate(c)...)
	if len(l.errs) > 0 {
		return Config{}, l.warnings, errors.Join(l.errs...)
	}
	return c, append(l.warnings, advise(c)...), nil
}

type loader struct {
	values   map[string]string // canonical name → raw value
	matrix   Matrix            // from WithMatrixFile; zero: the embedded one
	warnings []string
	errs     []error
}

// load merges file and overrides into a Config without the cross-parameter
// rules; problems so far are in l.errs.
func (l *loader) load(name string, data []byte, overrides []Override) Config {
	l.values = map[string]string{}
	seed := l.overrides(overrides)
	if data != nil {
		l.file(name, data, seed)
	}
	maps.Copy(l.values, seed)
	c := l.build()
	c.matrix = l.matrix
	return c
}

// overrides checks the override keys and returns them by canonical name.
func (l *loader) overrides(list []Override) map[string]string {
	seed := map[string]string{}
	for _, o := range list {
		p, err := known(o.Key)
		if err != nil {
			l.errs = append(l.errs, err)
			continue
		}
		seed[p.Name] = o.Value
	}
	return seed
}

// file parses the .arg file and records its known keys.
func (l *loader) file(name string, data []byte, seed map[string]string) {
	if name == "" {
		name = ".arg"
	}
	assigns, errs := Parse(name, data, seed)
	l.errs = append(l.errs, errs...)
	lines := map[string]int{}
	for _, a := range assigns {
		where := fmt.Sprintf("%s line %d", name, a.Line)
		if hint, ok := secrets[a.Key]; ok {
			l.errs = append(l.errs, usererr.Newf(a.Key, "%s: value not shown: %s", where, hint))
			continue
		}
		p, ok := lookup[a.Key]
		if !ok {
			l.warnings = append(l.warnings, fmt.Sprintf("%s: unknown parameter %s ignored%s", where, a.Key, didYouMean(a.Key)))
			continue
		}
		if prev, dup := lines[p.Name]; dup {
			l.warnings = append(l.warnings, fmt.Sprintf("%s: %s set again (first on line %d); the later value wins", where, p.Name, prev))
		}
		lines[p.Name] = a.Line
		switch {
		case p.NoEffect:
			l.warnings = append(l.warnings, fmt.Sprintf("%s: %s has no effect: %s", where, p.Name, p.Doc))
		case p.Deprecated != "":
			l.warnings = append(l.warnings, fmt.Sprintf("%s: %s", where, p.Deprecated))
		}
		if _, overridden := seed[p.Name]; !overridden {
			l.values[p.Name] = a.Value
		}
	}
}

// known resolves an override key, which must name a parameter exactly.
func known(key string) (*Param, error) {
	if hint, ok := secrets[key]; ok {
		return nil, usererr.Newf(key, "value not shown: %s", hint)
	}
	p, ok := lookup[key]
	if !ok {
		return nil, usererr.New("--set", key, "a CanvOS parameter name (see docs/parameters.md)"+didYouMean(key))
	}
	return p, nil
}

// build turns raw values into a Config in table order, so that defaults and
// normalisations see the parameters they depend on.
func (l *loader) build() Config {
	var c Config
	final := map[string]string{}
	for i := range params {
		p := &params[i]
		v := l.values[p.Name]
		derived := v == "" && (strings.Contains(p.Default, "$") || p.normalize != nil)
		if v == "" {
			// An empty value means the default, as CanvOS' template writes
			// HTTPS_PROXY= for "none" and Earthly treats KEY= as unset.
			v = expandDefault(p.Default, final)
		}
		if p.normalize != nil {
			v = p.normalize(&c, v)
		}
		// A default built from a bad value is already reported at that value.
		set := p.set
		if derived {
			set = p.assign
		}
		if err := set(&c, v); err != nil && !derived {
			l.errs = append(l.errs, err)
		}
		final[p.Name] = v
	}
	return c
}

var defaultRef = regexp.MustCompile(`\$[A-Z0-9_]+`)

// expandDefault substitutes $NAME in a default with that parameter's final value.
func expandDefault(def string, final map[string]string) string {
	return defaultRef.ReplaceAllStringFunc(def, func(ref string) string {
		return final[ref[1:]]
	})
}

// didYouMean names the known parameter closest to key, if any is close.
// Keys far longer than any parameter name get no suggestion (and no
// quadratic edit-distance work).
func didYouMean(key string) string {
	best := suggest.Nearest(key, slices.Collect(maps.Keys(lookup)), len(key)/2)
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}
