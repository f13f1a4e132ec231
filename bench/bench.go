// Package bench is the harness behind `make bench`: it measures helm sparkmr3 next to what a
// user would otherwise type (kubectl wait + exec, helm install --wait, helm template, helm
// uninstall + kubectl delete) on the same local cluster, in one run, alternating the tools
// trial by trial, and prints one table of medians (min/max), ratios and PASS/MISS per target
// of docs/PERFORMANCE.md. The measurements live in the package's tests (TestReport, run only
// when SPARKMR3_BENCH=1); this file holds the statistics and the report.
package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Sample is a set of measurements of one quantity, in the order taken.
type Sample struct {
	Name string
	Unit string // "ms", "MiB", "req"
	V    []float64
}

// Add records one measurement.
func (s *Sample) Add(v float64) { s.V = append(s.V, v) }

// AddDuration records a duration in milliseconds.
func (s *Sample) AddDuration(d time.Duration) { s.Add(float64(d) / float64(time.Millisecond)) }

// Quantile is the nearest-rank quantile q in [0,1] (q=0.5: the median; with 30 values q=0.99
// is the largest one). NaN when empty.
func (s *Sample) Quantile(q float64) float64 {
	if len(s.V) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s.V)
	slices.Sort(v)
	if q <= 0 {
		return v[0]
	}
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// Median is the 0.5 quantile; for an even count, the mean of the two middle values.
func (s *Sample) Median() float64 {
	if len(s.V) == 0 {
		return math.NaN()
	}
	v := slices.Clone(s.V)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Min is the smallest value.
func (s *Sample) Min() float64 { return s.Quantile(0) }

// Max is the largest value.
func (s *Sample) Max() float64 { return s.Quantile(1) }

// Target is one checked claim: Got compared with Limit (Got ≤ Limit unless AtLeast).
type Target struct {
	ID      string // "P1"
	What    string // "sparkmr3 p50 ready→exec"
	Got     float64
	Limit   float64
	AtLeast bool
	Unit    string
}

// Pass reports whether the target is met (a NaN measurement never passes).
func (t Target) Pass() bool {
	if math.IsNaN(t.Got) {
		return false
	}
	if t.AtLeast {
		return t.Got >= t.Limit
	}
	return t.Got <= t.Limit
}

// Report collects the rows and targets of one run.
type Report struct {
	Sections []*Section
	Targets  []Target
}

// Section is the table of one benchmark: its samples, and the sample the ratios refer to.
type Section struct {
	ID, Title string
	Rows      []*Sample
	// Base names the row ratios are relative to ("" for none).
	Base string
	Note string
}

// Row returns the sample named name, adding it when new.
func (s *Section) Row(name, unit string) *Sample {
	for _, r := range s.Rows {
		if r.Name == name {
			return r
		}
	}
	r := &Sample{Name: name, Unit: unit}
	s.Rows = append(s.Rows, r)
	return r
}

// Section adds a section.
func (r *Report) Section(id, title, base string) *Section {
	s := &Section{ID: id, Title: title, Base: base}
	r.Sections = append(r.Sections, s)
	return s
}

// Check records a target.
func (r *Report) Check(t Target) { r.Targets = append(r.Targets, t) }

// Write prints the report as Markdown tables: per section, each row's median (min/max), n,
// and its median's ratio to the base row; then every target with PASS or MISS.
func (r *Report) Write(w io.Writer) {
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n### %s — %s\n\n", s.ID, s.Title)
		fmt.Fprintln(w, "| what | median (min / max) | p99 | n | ratio to base |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		var base *Sample
		for _, row := range s.Rows {
			if row.Name == s.Base {
				base = row
			}
		}
		for _, row := range s.Rows {
			ratio := ""
			if base != nil && len(base.V) > 0 && len(row.V) > 0 {
				if row == base {
					ratio = "base"
				} else {
					ratio = fmt.Sprintf("%.2f×", row.Median()/base.Median())
				}
			}
			fmt.Fprintf(w, "| %s | %s (%s / %s) %s | %s | %d | %s |\n", row.Name,
				num(row.Median()), num(row.Min()), num(row.Max()), row.Unit, num(row.Quantile(0.99)), len(row.V), ratio)
		}
		if s.Note != "" {
			fmt.Fprintf(w, "\n%s\n", s.Note)
		}
	}
	fmt.Fprintln(w, "\n### Targets\n\n| target | what | measured | limit | result |\n|---|---|---|---|---|")
	for _, t := range r.Targets {
		op, res := "≤", "MISS"
		if t.AtLeast {
			op = "≥"
		}
		if t.Pass() {
			res = "PASS"
		}
		fmt.Fprintf(w, "| %s | %s | %s %s | %s %s %s | %s |\n", t.ID, t.What, num(t.Got), t.Unit, op, num(t.Limit), t.Unit, res)
	}
}

// Summary is one line per target: "PASS P1 …" / "MISS P1 …".
func (r *Report) Summary() string {
	var b strings.Builder
	for _, t := range r.Targets {
		res := "MISS"
		if t.Pass() {
			res = "PASS"
		}
		fmt.Fprintf(&b, "%s %s %s: %s %s (limit %s)\n", res, t.ID, t.What, num(t.Got), t.Unit, num(t.Limit))
	}
	return b.String()
}

func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
