// Package usererr builds the errors a user sees for bad input: each names the
// parameter, the value given and what is allowed, and wraps ErrInvalid so the
// CLI can tell input mistakes from tool and I/O failures.
package usererr

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid marks an error caused by the user's input.
var ErrInvalid = errors.New("invalid input")

// Error is one problem with one parameter.
type Error struct {
	Param   string // parameter, flag or file the problem is in
	Value   string // the value given
	Allowed string // what would have been accepted
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: invalid value %q", e.Param, e.Value)
	if e.Allowed != "" {
		fmt.Fprintf(&b, "; allowed: %s", e.Allowed)
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *Error) Unwrap() error { return ErrInvalid }

// New returns an *Error for param.
func New(param, value, allowed string) error {
	return &Error{Param: param, Value: value, Allowed: allowed}
}

// Newf is an input error about param with a free-form message, for problems
// that are not one bad value (a line that is not an assignment, a file that
// is not a bundle).
func Newf(param, format string, args ...any) error {
	return &detail{param + ": " + fmt.Sprintf(format, args...)}
}

// detail is Newf's error: its message as given, matching ErrInvalid.
type detail struct{ msg string }

func (d *detail) Error() string { return d.msg }
func (d *detail) Unwrap() error { return ErrInvalid }

// OneOf formats a list of allowed values for Error.Allowed.
func OneOf(values ...string) string {
	return strings.Join(values, ", ")
}
