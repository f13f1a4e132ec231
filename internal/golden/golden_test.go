package golden

import (
	"strings"
	"testing"
)

func TestDiffNamesFirstDifferentLine(t *testing.T) {
	for _, tt := range []struct{ want, got, in string }{
		{"a\nb\n", "a\nc\n", "line 2:\n- b\n+ c"},
		{"a\n", "a", "trailing newline"},
		{"a", "a\nb", "line 2:\n- \n+ b"},
	} {
		if d := Diff(tt.want, tt.got); !strings.Contains(d, tt.in) {
			t.Errorf("Diff(%q, %q) = %q, want it to contain %q", tt.want, tt.got, d, tt.in)
		}
	}
}

func TestAssertPassesOnEqualFile(t *testing.T) {
	if Updating() {
		t.Skip("-update rewrites files")
	}
	Assert(t, "testdata/hello.txt", []byte("hello\n"))
}
