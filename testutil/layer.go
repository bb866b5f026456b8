package testutil

import (
	"archive/tar"
	"errors"
	"io"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// LayerHeaders reads the tar headers of an image layer, in order.
func LayerHeaders(t testing.TB, l v1.Layer) []*tar.Header {
	t.Helper()
	rc, err := l.Uncompressed()
	mustNoErr(t, err)
	defer rc.Close()
	var out []*tar.Header
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		mustNoErr(t, err)
		out = append(out, h)
	}
}
