package postrender

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkPostRenderOverlay is the post-renderer with a one-annotation kustomize overlay.
func BenchmarkPostRenderOverlay(b *testing.B) {
	dir := b.TempDir()
	k := "resources:\n  - " + RenderedFile + "\ncommonAnnotations:\n  bench.sparkmr3.io/overlay: \"yes\"\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, n := range driverCounts {
		in := genRelease(n)
		b.Run(fmt.Sprintf("drivers=%d", n), func(b *testing.B) {
			p, err := New(Options{KustomizeDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Run(bytes.NewBuffer(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
