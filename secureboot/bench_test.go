package secureboot_test

import (
	"fmt"
	"testing"

	"dagger/canvos/secureboot"
	"dagger/canvos/secureboot/sbtest"
)

// go test -run '^$' -bench . -benchtime 3x ./secureboot/
func BenchmarkGenerateKeys(b *testing.B) {
	for _, size := range []int{2048, 4096} {
		b.Run(fmt.Sprintf("rsa%d", size), func(b *testing.B) {
			for b.Loop() {
				if _, err := secureboot.GenerateKeys(secureboot.KeyOptions{Org: "Bench", KeySize: size, NotBefore: sbtest.Epoch}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEnroll(b *testing.B) {
	keys := sbtest.Tree(b).Keys
	for b.Loop() {
		if _, err := secureboot.Enroll(keys, secureboot.EnrollOptions{Time: sbtest.Epoch, Microsoft: true}); err != nil {
			b.Fatal(err)
		}
	}
}
