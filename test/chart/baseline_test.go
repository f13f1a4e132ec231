package chart_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleFacts reads testdata/mr3-sample.tsv: file -> key -> value of MR3's sample configuration.
func sampleFacts(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, f := range readTSV(t, "mr3-sample.tsv", 3) {
		if out[f[0]] == nil {
			out[f[0]] = map[string]string{}
		}
		if _, dup := out[f[0]][f[1]]; dup {
			t.Errorf("mr3-sample.tsv lists %s %s twice", f[0], f[1])
		}
		out[f[0]][f[1]] = f[2]
	}
	return out
}

// sampleDiff is one intended difference from the sample.
type sampleDiff struct{ sample, ours, reason string }

const absent = "absent"

func sampleDiffs(t *testing.T) map[string]map[string]sampleDiff {
	t.Helper()
	out := map[string]map[string]sampleDiff{}
	for _, f := range readTSV(t, "mr3-sample-differences.tsv", 5) {
		if out[f[0]] == nil {
			out[f[0]] = map[string]sampleDiff{}
		}
		if _, dup := out[f[0]][f[1]]; dup {
			t.Errorf("mr3-sample-differences.tsv lists %s %s twice", f[0], f[1])
		}
		if strings.TrimSpace(f[4]) == "" {
			t.Errorf("mr3-sample-differences.tsv: %s %s has no reason", f[0], f[1])
		}
		out[f[0]][f[1]] = sampleDiff{f[2], f[3], f[4]}
	}
	return out
}

func readTSV(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	must(t, err)
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		row := strings.Split(l, "\t")
		if len(row) != fields {
			t.Fatalf("%s:%d: %d tab-separated fields, want %d", name, n, len(row), fields)
		}
		rows = append(rows, row)
	}
	must(t, sc.Err())
	return rows
}

// TestMR3SampleBaseline: MR3's sample mr3-site.xml and spark-defaults.conf are the baseline.
// The default render holds every key of the sample with the sample's value, except the
// differences written down (with a reason) in testdata/mr3-sample-differences.tsv, and holds
// no key beyond the sample that is not written down there too.
func TestMR3SampleBaseline(t *testing.T) {
	facts := sampleFacts(t)
	diffs := sampleDiffs(t)
	if n, m := len(facts["mr3-site.xml"]), len(facts["spark-defaults.conf"]); n != 106 || m != 20 {
		t.Fatalf("mr3-sample.tsv has %d mr3-site.xml and %d spark-defaults.conf keys; MR3's sample has 106 and 20", n, m)
	}
	conf := parseRelease(t, mustRender(t, ciValues(t, "default"), pinnedToken)).configMaps[releaseName+"-conf"]
	rendered := map[string]map[string]string{
		"mr3-site.xml":        xmlProps(t, conf.Data["mr3-site.xml"]),
		"spark-defaults.conf": confProps(t, conf.Data["spark-defaults.conf"]),
	}
	for file, ours := range rendered {
		sample, d := facts[file], diffs[file]
		for k, sv := range sample {
			ov, has := ours[k]
			diff, listed := d[k]
			switch {
			case !listed && !has:
				t.Errorf("%s lacks %s (MR3's sample: %q); render it, or list it in mr3-sample-differences.tsv with a reason", file, k, sv)
			case !listed && ov != sv:
				t.Errorf("%s %s=%q, MR3's sample says %q; use the sample's value, or list the difference with a reason", file, k, ov, sv)
			case listed && diff.sample != sv:
				t.Errorf("mr3-sample-differences.tsv: %s %s sample value %q, but mr3-sample.tsv says %q", file, k, diff.sample, sv)
			case listed && diff.ours == absent && has:
				t.Errorf("%s %s=%q; the differences list says the chart leaves it out", file, k, ov)
			case listed && diff.ours != absent && (!has || ov != diff.ours):
				t.Errorf("%s %s=%q (present %v); the differences list says %q", file, k, ov, has, diff.ours)
			}
		}
		for k, ov := range ours {
			if _, inSample := sample[k]; inSample {
				continue
			}
			diff, listed := d[k]
			switch {
			case !listed:
				t.Errorf("%s renders %s=%q, which MR3's sample does not set; list it in mr3-sample-differences.tsv with a reason", file, k, ov)
			case diff.sample != absent:
				t.Errorf("mr3-sample-differences.tsv: %s %s gives sample value %q, but the sample does not set it", file, k, diff.sample)
			case diff.ours != ov:
				t.Errorf("%s %s=%q; the differences list says %q", file, k, ov, diff.ours)
			}
		}
		for k := range d {
			_, inSample := sample[k]
			_, has := ours[k]
			if !inSample && !has {
				t.Errorf("mr3-sample-differences.tsv lists %s %s, which neither the sample nor the render has", file, k)
			}
		}
	}
	for file := range diffs {
		if _, ok := rendered[file]; !ok {
			t.Errorf("mr3-sample-differences.tsv names file %s; only mr3-site.xml and spark-defaults.conf are compared", file)
		}
	}
}
