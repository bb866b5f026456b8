// Command push builds the stand-in images of a configuration and pushes
// them where the configuration's mirror parameters point, through the
// address the registry has from this host:
//
//	go run ./testutil/standin/push --arg-file tests/testdata/standin.arg \
//	    --registry localhost:5000=10.89.0.2:5000 --cache /var/tmp/canvos-standin
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"dagger/canvos/config"
	"dagger/canvos/testutil/standin"
)

func main() {
	argFile := flag.String("arg-file", "", "CanvOS .arg whose plan names the images (required)")
	registry := flag.String("registry", "", "HOST=PUSHHOST: push images named HOST/… to PUSHHOST/… (the same registry seen from here)")
	cache := flag.String("cache", os.TempDir(), "directory that keeps the debootstrapped base between runs")
	flag.Parse()
	if err := run(context.Background(), *argFile, *registry, *cache); err != nil {
		fmt.Fprintln(os.Stderr, "push:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, argFile, registry, cache string) error {
	data, err := os.ReadFile(argFile)
	if err != nil {
		return err
	}
	cfg, _, err := config.Load(argFile, data, nil)
	if err != nil {
		return err
	}
	from, to, _ := strings.Cut(registry, "=")
	scratch, err := os.MkdirTemp(cache, "layers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	for _, img := range standin.Images(cfg, cache) {
		built, err := standin.Build(ctx, img, string(cfg.Arch), scratch)
		if err != nil {
			return err
		}
		ref, err := name.ParseReference(strings.Replace(img.Ref, from, to, 1), name.Insecure)
		if err != nil {
			return err
		}
		if err := remote.Write(ref, built, remote.WithContext(ctx)); err != nil {
			return fmt.Errorf("push %s: %w", ref, err)
		}
		digest, _ := built.Digest()
		fmt.Printf("%s@%s\n", img.Ref, digest)
	}
	return nil
}
