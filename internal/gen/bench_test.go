package gen_test

import (
	"io"
	"testing"

	"github.com/evalhouse/evalhouse/internal/gen"
)

// BenchmarkWrite measures generation alone (to io.Discard), in events/s,
// next to the baseline of copying the same bytes (what any writer costs).
func BenchmarkWrite(b *testing.B) {
	const n = 200000
	out, _ := generate(b, gen.Config{Events: n, Seed: 1, Now: fixedNow})
	b.SetBytes(int64(len(out)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := gen.Write(io.Discard, gen.Config{Events: n, Seed: 1, Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "events/s")
}
