package cli

import (
	"testing"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

// TestCompletionYAML keeps helm's static completion file in step with the verbs and flags
// (go test ./plugin/cli -run TestCompletionYAML -update rewrites it).
func TestCompletionYAML(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	golden.AssertString(t, "../../completion.yaml", completionYAML(NewRootCommand(s)))
}
