package cli

import (
	"strings"
	"testing"
)

// logs and ui refuse bad flags with exit 2 before anything touches the cluster (these
// settings name no reachable cluster).
func TestLogsAndUIUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "rel", "--run", "../../etc/passwd"}, `--run "../../etc/passwd" is not a run ID`},
		{[]string{"logs", "rel", "--run", "a/b"}, "no '/' or '..'"},
		{[]string{"logs", "rel", "--run", "x", "--last"}, "use one of them"},
		{[]string{"logs", "rel", "--last", "-o", "json"}, "leave out -o"},
		{[]string{"logs", "rel", "-f"}, "-f follows a log"},
		{[]string{"logs", "rel", "--am", "--driver", "spark1"}, "leave out --driver"},
		{[]string{"logs", "rel", "--driver", "Spark_1"}, `--driver "Spark_1"`},
		{[]string{"logs", "rel", "-o", "xml"}, "use one of table, json, yaml"},
		{[]string{"logs"}, "expected exactly one argument"},
		{[]string{"ui", "rel", "--port", "-1"}, "--port -1"},
		{[]string{"ui", "rel", "--address", "localhost:80"}, `--address "localhost:80"`},
		{[]string{"ui", "a", "b"}, "expected exactly one argument"},
	} {
		s, _, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs(tc.args)
		err := root.Execute()
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, err %v; want exit 2 and %q", tc.args, ExitCode(err), err, tc.want)
		}
	}
}

func TestLogsOutputCompletion(t *testing.T) {
	s, out, _ := teardownTestSettings(false)
	root := NewRootCommand(s)
	root.SetArgs([]string{"__complete", "logs", "rel", "-o", ""})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(got) != 4 || !strings.HasPrefix(got[0], "json") || !strings.HasPrefix(got[1], "table") || !strings.HasPrefix(got[2], "yaml") || got[3] != ":4" {
		t.Fatalf("logs -o <TAB>: %q", got)
	}
	// --driver and --run complete from the cluster; with none reachable they offer nothing
	// (and no file names), quickly.
	for _, args := range [][]string{{"__complete", "logs", "rel", "--driver", ""}, {"__complete", "ui", "rel", "--driver", ""}, {"__complete", "logs", "rel", "--run", ""}} {
		s, out, _ := teardownTestSettings(false)
		s.Helm.KubeConfig = "/nonexistent/kubeconfig"
		root := NewRootCommand(s)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out.String()); got != ":4" {
			t.Errorf("%v: %q, want only :4", args, got)
		}
	}
}
