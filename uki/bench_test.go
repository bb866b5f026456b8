package uki_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"dagger/canvos/secureboot/sbtest"
	"dagger/canvos/uki"
)

// BenchmarkSign100MiB signs a 100 MiB UKI held in memory into io.Discard:
// the signing cost without file I/O (bench/uki/run.sh compares the CLI with
// sbsign on files). Run: go test ./uki -run '^$' -bench Sign -benchmem
func BenchmarkSign100MiB(b *testing.B) {
	kernel := make([]byte, 100<<20)
	rand.Read(kernel)
	o := testOptions(b)
	o.Kernel, o.Signer, o.PCRKey = reader(kernel), nil, nil
	var unsigned bytes.Buffer
	require.NoError(b, uki.Build(&unsigned, o))
	img := bytes.NewReader(unsigned.Bytes())
	db := sbtest.Tree(b).DB
	b.SetBytes(int64(unsigned.Len()))
	b.ResetTimer()
	for range b.N {
		require.NoError(b, uki.Sign(img, io.Discard, db))
	}
}
