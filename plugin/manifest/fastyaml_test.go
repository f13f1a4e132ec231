package manifest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// checkFast: when fastParse takes a document, the library reads it, and to the same values.
func checkFast(t *testing.T, doc []byte) bool {
	t.Helper()
	got, ok := fastParse(doc)
	if !ok {
		return false
	}
	want, err := libraryParse(doc)
	if err != nil {
		t.Fatalf("fastParse took what the library refuses (%v):\n%s", err, doc)
	}
	if !reflect.DeepEqual(any(got), want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("fastParse differs from the library\nfast:    %s\nlibrary: %s\n%s", g, w, doc)
	}
	return true
}

// TestFastParseTakesTheChartsOutput: every document of the chart's golden renders goes the fast
// way (else the speed-up is lost) and reads as the library reads it.
func TestFastParseTakesTheChartsOutput(t *testing.T) {
	goldens, err := filepath.Glob("../../test/chart/testdata/*.golden.yaml")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden renders: %v", err)
	}
	for _, g := range append(goldens, "") {
		var b []byte
		if g == "" {
			b = []byte(helmOutput)
		} else if b, err = os.ReadFile(g); err != nil {
			t.Fatal(err)
		}
		for i, doc := range strings.Split(string(b), "\n---\n") {
			doc = strings.TrimPrefix(doc, "---\n") + "\n"
			docs, err := Parse([]byte(doc), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) == 0 {
				continue // comments only (NOTES.txt)
			}
			if !checkFast(t, []byte(doc)) {
				t.Errorf("%s document %d goes to the library:\n%s", filepath.Base(g), i+1, doc)
			}
		}
	}
}

func TestFastParseCases(t *testing.T) {
	taken := []string{
		"a: 1\nb: -5\nc: 0\nd: x\ne:\nf: ~\ng: null\nh: yes\ni: Off\n",
		"a: 512Mi\nb: 10m\nc: 3.5.2\nd: 10.1.90.9\ne: 0.5\nf: 1e3\ng: 007\nh: 0x1F\ni: 1_000\nj: +1\nk: .inf\n",
		"a: \"x\\ty\\u00e9\\n\"\nb: 'it''s'\nc: \"\"\nd: ''\n",
		"a: {}\nb: []\nc: {} # c\n",
		"a:\n- 1\n- x: y\n  z: w\n-\n- - q\n",
		"a:\n  - 1\n  -   k: v\n      l: m\n",
		"a: |\n  x\n   y\n\n  z\n\nb: |-\n  x\n\nc: |+\n  x\n\n\nd: 1\n",
		"a: |\n  x\n  \n   \n  y\n",
		"a: |\n    # not a comment\n    x\n# a comment\nb: 1 # trailing\n",
		"a: x:y\nb: a#b\nc: a # b\n\"q\": 1\n'r': 2\n/s: 3\n",
		"k: 2001-12-14\n",
		"k: 1:20\n",
		"k: -\n",
		"a: [1, \"x\", 'y', 0.5, true, ~]\nb: [ ]\n",
	}
	for _, doc := range taken {
		checkFast(t, []byte(doc))
	}
	declined := []string{
		"a: &x 1\nb: *x\n", "a: !!str 1\n", "a: {b: c}\n", "a: [1, [2]]\n", "a: [a: b]\n", "a: [x, ]\n", "a: >\n  x\n",
		"a: |2\n   x\n", "a: b\n  c\n", "a:\tb\n", "\tb: 1\n", "a: \"x\n  y\"\n", "yes: 1\n", "1: a\n",
		"a: 1\na: 2\n", "<<: {a: 1}\n", "? a\n: b\n", "a: b: c\n", "a: x\r\n", "- a\n",
	}
	for _, doc := range declined {
		if _, ok := fastParse([]byte(doc)); ok {
			t.Errorf("fastParse took %q", doc)
		}
	}
}

// FuzzFastParse: whatever fastParse takes, the library reads the same.
func FuzzFastParse(f *testing.F) {
	f.Add([]byte(helmOutput))
	f.Add([]byte("a: |\n  x\n\n  y\nb:\n- c: 1\n  d: [] # x\n- 'e'\n"))
	f.Add([]byte("a:\n  b: \"\\x41\\u00e9\"\n  c: 0.5\n  d: 512Mi\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<12 {
			return
		}
		checkFast(t, in)
	})
}
