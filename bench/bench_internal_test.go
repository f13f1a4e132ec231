package bench

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func TestSampleStatistics(t *testing.T) {
	s := &Sample{V: []float64{5, 1, 4, 2, 3}}
	if got := s.Median(); got != 3 {
		t.Errorf("median %v, want 3", got)
	}
	s.Add(6)
	if got := s.Median(); got != 3.5 {
		t.Errorf("median of 6 values %v, want 3.5", got)
	}
	if s.Min() != 1 || s.Max() != 6 || s.Quantile(0.99) != 6 || s.Quantile(0.5) != 3 {
		t.Errorf("min %v max %v p99 %v p50 %v", s.Min(), s.Max(), s.Quantile(0.99), s.Quantile(0.5))
	}
	if !math.IsNaN((&Sample{}).Median()) {
		t.Error("median of nothing is a number")
	}
}

func TestTargetsAndReport(t *testing.T) {
	r := &Report{}
	sec := r.Section("P9", "demo", "base")
	sec.Row("base", "ms").Add(100)
	sec.Row("ours", "ms").Add(25)
	r.Check(Target{ID: "P9", What: "fast", Got: 25, Limit: 30, Unit: "ms"})
	r.Check(Target{ID: "P9", What: "faster", Got: 4, Limit: 5, AtLeast: true, Unit: "×"})
	r.Check(Target{ID: "P9", What: "nothing measured", Got: math.NaN(), Limit: 1})
	var b bytes.Buffer
	r.Write(&b)
	for _, want := range []string{"| ours | 25.0 (25.0 / 25.0) ms | 25.0 | 1 | 0.25× |", "| P9 | fast | 25.0 ms | ≤ 30.0 ms | PASS |", "| P9 | faster | 4.00 × | ≥ 5.00 × | MISS |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	if sum := r.Summary(); strings.Count(sum, "MISS") != 2 || strings.Count(sum, "PASS") != 1 {
		t.Errorf("summary:\n%s", sum)
	}
}
