package check

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/output"

	"github.com/spark-mr3/spark-mr3/internal/golden"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// assertGolden compares got with testdata/output/name (-update rewrites it).
func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Assert(t, filepath.Join("testdata", "output", name), got)
}

// brokenRelease is the passing release with four hand edits, as an overlay might make them.
func brokenRelease(t *testing.T) []Violation {
	t.Helper()
	raw, err := os.ReadFile("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, e := range [][2]string{
		{"<value>gold0=10.1.90.9,namenode=10.1.90.20</value>", "<value>gold0=10.1.90.8,namenode=10.1.90.20</value>"},
		{`{name: SPARK_DRIVER_MEMORY_MB, value: "13107"}`, `{name: SPARK_DRIVER_MEMORY_MB, value: "16000"}`},
		{"spark.shuffle.service.port=7337", "spark.shuffle.service.port=7447"},
		{"{name: DRIVER_NAME, value: spark2}", "{name: DRIVER_NAME, value: spark3}"},
	} {
		if !strings.Contains(s, e[0]) {
			t.Fatalf("fixture lacks %q", e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	vs, err := Manifest(strings.NewReader(s), manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestOutputGolden(t *testing.T) {
	vs := brokenRelease(t)
	tests := []struct {
		name   string
		vs     []Violation
		format output.Format
	}{
		{"violations.txt", vs, output.Table},
		{"violations.json", vs, output.JSON},
		{"violations.yaml", vs, output.YAML},
		{"none.txt", nil, output.Table},
		{"none.json", nil, output.JSON},
		{"none.yaml", nil, output.YAML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.vs, tt.format); err != nil {
				t.Fatal(err)
			}
			assertGolden(t, tt.name, b.Bytes())
		})
	}
}

func TestErrorListsEveryViolation(t *testing.T) {
	vs := brokenRelease(t)
	msg := (&Error{Violations: vs}).Error()
	if n := strings.Count(msg, "\n  "); n != len(vs) {
		t.Errorf("error lists %d violations, want %d:\n%s", n, len(vs), msg)
	}
}
