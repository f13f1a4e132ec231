package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

// TestCompletionYAML keeps helm's static completion file in step with the verbs and flags
// (go test ./plugin/cli -run TestCompletionYAML -update rewrites it).
func TestCompletionYAML(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	golden.AssertString(t, "../../completion.yaml", completionYAML(NewRootCommand(s)))
}

// TestSubmitDriverFlagCompletes: submit and shell read their flags after RELEASE themselves, yet
// while the shell asks for completions cobra parses them, so `submit R --driver <TAB>` goes to
// the --driver completion (directive 4, no files: the cluster here answers nothing) and not to
// the RELEASE/Spark-argument completion (directive 0, files).
func TestSubmitDriverFlagCompletes(t *testing.T) {
	kc := kubeconfigFor(t, "https://127.0.0.1:1")
	for _, tc := range []struct {
		words []string
		want  string
	}{
		{[]string{"submit", "rel", "--timeout", "1m", "--driver", ""}, ":4\n"},
		{[]string{"shell", "rel", "--driver", ""}, ":4\n"},
		{[]string{"submit", "rel", ""}, ":0\n"},
		{[]string{"submit", "rel", "--", "--driver", ""}, ":0\n"},
	} {
		var out, errOut bytes.Buffer
		s := NewSettings(strings.NewReader(""), &out, &errOut)
		s.Getenv = func(string) string { return "" }
		args := append([]string{"__complete", "--kubeconfig", kc}, tc.words...)
		if err := Execute(s, args); err != nil {
			t.Fatalf("%q: %v", tc.words, err)
		}
		if !strings.HasSuffix(out.String(), tc.want) {
			t.Errorf("%q: completion output %q, want it to end with %q", tc.words, out.String(), tc.want)
		}
	}
}
