//go:build daggeroffline

package dagger

// The engine's generated code imports these packages (Dagger v0.21.9 Go
// codegen templates: cmd/codegen/generator/go/templates/src/_dagger.gen.go/
// defs.go.tmpl and module.go.tmpl, internal/dagger/_dep.gen.go.tmpl).
// Importing them here makes `go build -tags daggeroffline` resolve the module
// graph the engine builds, so a go.mod that only the engine would fail on
// (issue 9: an ambiguous genproto import) fails CI too.
import (
	_ "github.com/Khan/genqlient/graphql"
	_ "github.com/dagger/otel-go"
	_ "github.com/dagger/querybuilder"
	_ "github.com/vektah/gqlparser/v2/gqlerror"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/propagation"
	_ "go.opentelemetry.io/otel/sdk/resource"
	_ "go.opentelemetry.io/otel/semconv/v1.40.0"
	_ "go.opentelemetry.io/otel/trace"
)
