package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestValueFlags: the six value flags merge as helm merges them, in every verb that renders.
func TestValueFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "v.yaml")
	if err := os.WriteFile(file, []byte("a: fromfile\nb: fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "t.txt")
	if err := os.WriteFile(text, []byte("line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want map[string]any
	}{
		{"none", nil, map[string]any{}},
		{"file", []string{"-f", file}, map[string]any{"a": "fromfile", "b": "fromfile"}},
		{"set over file", []string{"-f", file, "--set", "b=1"}, map[string]any{"a": "fromfile", "b": int64(1)}},
		{"set-string", []string{"--set-string", "n=1"}, map[string]any{"n": "1"}},
		{"set-file", []string{"--set-file", "t=" + text}, map[string]any{"t": "line\n"}},
		{"set-json", []string{"--set-json", `j={"k":[1]}`}, map[string]any{"j": map[string]any{"k": []any{float64(1)}}}},
		{"set-literal", []string{"--set-literal", "l=a,b=c"}, map[string]any{"l": "a,b=c"}},
	}
	s := NewSettings(nil, &bytes.Buffer{}, &bytes.Buffer{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v valueFlags
			fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
			v.register(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if v.given() != (len(tt.args) > 0) {
				t.Errorf("given() = %v for %q", v.given(), tt.args)
			}
			got, err := v.merge(s)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("merge = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestValueFlagsShared: install, upgrade and check all have every value flag; a value that
// cannot be read is a usage error naming it, and check of a deployed release refuses any of
// them (they apply to a CHART).
func TestValueFlagsShared(t *testing.T) {
	s := NewSettings(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	root := NewRootCommand(s)
	for _, verb := range []string{"install", "upgrade", "check"} {
		cmd, _, err := root.Find([]string{verb})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"values", "set", "set-string", "set-file", "set-json", "set-literal"} {
			if cmd.Flags().Lookup(f) == nil {
				t.Errorf("%s has no --%s", verb, f)
			}
		}
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--set-json", "j={bad"}, "read values (-f/--set…)"},
		{[]string{"check", "-f", "/does/not/exist.yaml"}, "/does/not/exist.yaml"},
		{[]string{"install", "r", "--set-file", "k=/does/not/exist"}, "/does/not/exist"},
		{[]string{"check", "some-release", "--set-literal", "a=b"}, "-f/--set apply only to a CHART"},
	}
	for _, c := range cases {
		s := NewSettings(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		s.Getenv = func(string) string { return "" }
		root := NewRootCommand(s)
		root.SetArgs(c.args)
		err := root.Execute()
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: exit %d, err %v; want 2 and %q", c.args, ExitCode(err), err, c.want)
		}
	}
}
