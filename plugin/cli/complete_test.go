package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

// TestCompletionYAML keeps helm's static completion file in step with the verbs and flags
// (go test ./plugin/cli -run TestCompletionYAML -update rewrites it).
func TestCompletionYAML(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	golden.AssertString(t, "../../completion.yaml", completionYAML(NewRootCommand(s)))
}

func TestCompleteDriverArgs(t *testing.T) {
	releases := func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"spark"}, cobra.ShellCompDirectiveNoFileComp
	}
	var gotArgs []string
	drivers := func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		gotArgs = args
		var out []cobra.Completion
		for _, n := range []string{"spark1", "spark2"} {
			if strings.HasPrefix(n, toComplete) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	f := completeDriverArgs(nil, releases, drivers)
	for _, tc := range []struct {
		name       string
		args       []string
		toComplete string
		want       []cobra.Completion
	}{
		{"release first", nil, "", []cobra.Completion{"spark"}},
		{"--driver value", []string{"spark", "--timeout", "1m", "--driver"}, "", []cobra.Completion{"spark1", "spark2"}},
		{"--driver prefix", []string{"spark", "--driver"}, "spark2", []cobra.Completion{"spark2"}},
		{"--driver= form", []string{"spark"}, "--driver=spark1", []cobra.Completion{"--driver=spark1"}},
		{"after --: Spark's arguments", []string{"spark", "--", "--driver"}, "", nil},
		{"other words", []string{"spark", "--upload"}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotArgs = nil
			got, _ := f(nil, tc.args, tc.toComplete)
			if !slices.Equal(got, tc.want) {
				t.Errorf("completions %q, want %q", got, tc.want)
			}
			if gotArgs != nil && !slices.Equal(gotArgs, []string{"spark"}) {
				t.Errorf("drivers asked with args %q, want only the release", gotArgs)
			}
		})
	}
}
