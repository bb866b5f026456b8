//go:build daggeroffline

package main

import "dagger/canvos/internal/dagger"

// dag stands in for the client that the engine's generated dagger.gen.go
// declares; see internal/dagger/offline.go.
var dag *dagger.Client

func main() {}
