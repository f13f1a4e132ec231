package quickcli

import (
	"os/exec"
	"strings"
	"testing"
)

func TestServes(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"version"}, true},
		{[]string{"postrender"}, true},
		{[]string{"postrender", "--kustomize", "dir"}, true},
		{[]string{"postrender", "--kustomize=dir"}, true},
		{[]string{"postrender", "--kustomize", "dir", "--kustomize-allow-remote"}, true},
		{[]string{"postrender", "--kustomize-allow-remote=false", "--kustomize=dir"}, true},
		{nil, false},
		{[]string{"version", "--help"}, false},            // help lists the global flags: complete CLI
		{[]string{"postrender", "--kustomize"}, false},    // missing value: the complete CLI says so
		{[]string{"postrender", "-n", "ns"}, false},       // a global flag
		{[]string{"--namespace", "ns", "version"}, false}, // global flag first
		{[]string{"install", "r", "chart"}, false},
		{[]string{"__complete", "version"}, false},
	}
	for _, tt := range tests {
		if got := Serves(tt.args); got != tt.want {
			t.Errorf("Serves(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

// TestNoHeavyImports keeps the entry binary small: the SDKs' package init is what it avoids.
func TestNoHeavyImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/spark-mr3/spark-mr3/cmd/helm-sparkmr3").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		heavy := strings.HasPrefix(dep, "k8s.io/client-go/") || strings.HasPrefix(dep, "github.com/santhosh-tekuri/") ||
			(strings.HasPrefix(dep, "helm.sh/helm/") && dep != "helm.sh/helm/v3/pkg/postrender") ||
			dep == "github.com/spark-mr3/spark-mr3/plugin/cli"
		if heavy {
			t.Errorf("cmd/helm-sparkmr3 links %s; keep the SDKs in cmd/helm-sparkmr3-full", dep)
		}
	}
}
