package contract

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	cases := []struct{ got, want string }{
		{ConfName("f"), "f-conf"},
		{EnvName("f"), "f-env"},
		{TokenName("f"), "f-token"},
		{PluginTokenName("f"), "f-mr3-token"},
		{FullnameOfToken("f-mr3-token"), "f"},
		{FullnameOfToken("f-token"), "f"},
		{FullnameOfToken("f"), "f"},
		{FullnameOfToken("a-mr3-token-token"), "a-mr3-token"},
		{ClusterName("ns", "f", SuffixNodeReader), "ns.f-node-reader"},
		{LegacyClusterName("ns", "f", SuffixWorkdir), "ns-f-workdir"},
		{strings.Join(AMDeploymentNames("42"), " "), "mr3master-spark-42-0 mr3master-42-0"},
		{AMServiceName("42"), "service-master-42-0"},
		{AMServiceDefault("f"), "f-mr3"},
		{DriverObjectName("f", "spark1"), "f-spark1"},
		{DriverPodName(DriverObjectName("f", "spark1")), "f-spark1-0"},
		{DefaultMasterLabels("f")[LabelApp], "f-mr3"},
		{DefaultMasterLabels(strings.Repeat("f", 62))[LabelApp], strings.Repeat("f", 62)},
		{DefaultMasterLabels(strings.Repeat("f", 60))[LabelApp], strings.Repeat("f", 60) + "-mr"},
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

// TestStandardLibraryOnly keeps the package free of dependencies: every package may import it.
func TestStandardLibraryOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range ast.Imports {
			if p := strings.Trim(imp.Path.Value, `"`); strings.Contains(strings.Split(p, "/")[0], ".") {
				t.Errorf("%s imports %s: plugin/contract may import only the standard library", f, p)
			}
		}
	}
}
