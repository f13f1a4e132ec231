package cli

import (
	"flag"
	"os"
	"testing"
)

var updateCompletion = flag.Bool("update-completion", false, "rewrite ../../completion.yaml")

// TestCompletionYAML keeps helm's static completion file in step with the verbs and flags.
func TestCompletionYAML(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	got := completionYAML(NewRootCommand(s))
	const path = "../../completion.yaml"
	if *updateCompletion {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil || string(want) != got {
		t.Fatalf("completion.yaml is stale (%v): go test ./plugin/cli -run TestCompletionYAML -update-completion", err)
	}
}
