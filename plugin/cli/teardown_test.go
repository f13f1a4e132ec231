package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	helmcli "helm.sh/helm/v3/pkg/cli"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

func teardownTestSettings(tty bool) (*Settings, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Settings{
		Helm:       helmcli.New(),
		IO:         genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Clock:      clock.RealClock{},
		Getenv:     func(string) string { return "" },
		IsTerminal: func(any) bool { return tty },
	}, &out, &errOut
}

func TestTeardownWithoutTTYNeedsYes(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	root := NewRootCommand(s)
	root.SetArgs([]string{"teardown", "spark"})
	err := root.Execute()
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("exit %d, err %v", ExitCode(err), err)
	}
}

func TestStatusAndTeardownUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"status"}, {"status", "a", "b"}, {"status", "a", "-o", "xml"}, {"teardown", "--yes"}, {"teardown", "a", "--yes", "-o", "json"}} {
		s, _, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs(args)
		if err := root.Execute(); ExitCode(err) != ExitUsage {
			t.Errorf("%v: exit %d, err %v", args, ExitCode(err), err)
		}
	}
}

// TestHelpGolden keeps every verb's --help (usage, examples, flags) in a golden file.
func TestHelpGolden(t *testing.T) {
	s0, _, _ := teardownTestSettings(false)
	var verbNames []string
	for _, c := range NewRootCommand(s0).Commands() {
		if c.Name() != "help" && c.Name() != "completion" {
			verbNames = append(verbNames, c.Name())
		}
	}
	if len(verbNames) < 11 {
		t.Fatalf("only %d verbs: %v", len(verbNames), verbNames)
	}
	for _, verb := range verbNames {
		s, out, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs([]string{verb, "--help"})
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		// helm's global flags show $HOME-dependent defaults: keep the verb's own part.
		help, _, _ := strings.Cut(out.String(), "\nGlobal Flags:")
		got := []byte(help + "\n")
		golden.Assert(t, filepath.Join("testdata", "help-"+verb+".txt"), got)
	}
}
