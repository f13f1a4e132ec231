// Package golden compares what a test produced with a file kept under version control: the
// module's one golden-file helper and its one flag, -update, which rewrites the files from
// the current output. Only tests import it.
//
//	go test ./plugin/status -update        # rewrite, then read the diff with git diff
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output (read the result with git diff)")

// Updating reports whether the test run was asked to rewrite golden files (-update).
func Updating() bool { return *update }

// Assert fails t when got differs from the file at path; with -update it writes got there
// first (creating the directory), so the comparison passes and git diff shows the change.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it: go test -run '%s' -update in this package)", err, rootName(t))
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from golden file %s (if the change is intended: go test -run '%s' -update in this package, then read git diff)\n%s",
			path, rootName(t), Diff(string(want), string(got)))
	}
}

// AssertString is Assert for a string.
func AssertString(t testing.TB, path, got string) {
	t.Helper()
	Assert(t, path, []byte(got))
}

// Diff names the first line where want and got differ, and shows both whole texts when they
// are short.
func Diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	first := "(no line differs: the trailing newline does)"
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			first = fmt.Sprintf("first difference, line %d:\n- %s\n+ %s", i+1, wl, gl)
			break
		}
	}
	if len(w)+len(g) > 120 {
		return first
	}
	return fmt.Sprintf("%s\n--- got\n%s\n--- want\n%s", first, got, want)
}

func rootName(t testing.TB) string {
	name, _, _ := strings.Cut(t.Name(), "/")
	return "^" + name + "$"
}
