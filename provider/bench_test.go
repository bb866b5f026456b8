package provider

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/fstest"

	"dagger/canvos/imageplan"
	"dagger/canvos/oci"
)

// BenchmarkApplyProviderPlan applies the template plan (13 file steps) with a
// 64 MiB payload of incompressible files and computes the image digest (all
// layers compressed and hashed): the cost of the engine-free executor.
func BenchmarkApplyProviderPlan(b *testing.B) {
	c, n := loadTemplate(b, "K8S_VERSION=1.33.5")
	plans, err := Plans(c, n, systemdJammy, true)
	if err != nil {
		b.Fatal(err)
	}
	src := fakeSources(b)
	payload := fstest.MapFS{}
	rng := rand.NewChaCha8([32]byte{})
	for i := range 16 {
		data := make([]byte, 4<<20)
		_, _ = rng.Read(data)
		payload[fmt.Sprintf("usr/bin/bin%02d", i)] = &fstest.MapFile{Data: data, Mode: 0o755}
	}
	src[imageplan.Payload] = payload
	base := tinyBase(b, src, "amd64")
	b.SetBytes(64 << 20)
	for b.Loop() {
		img, err := oci.Apply(base, plans[0].Steps, oci.Options{Sources: src, Epoch: epoch})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := img.Digest(); err != nil {
			b.Fatal(err)
		}
	}
}
