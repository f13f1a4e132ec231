package cli

import (
	"bytes"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/output"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
	"github.com/spark-mr3/spark-mr3/plugin/teardown"
)

func TestVersionFormats(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"version"}, "helm-sparkmr3 dev\n"},
		{[]string{"version", "-o", "table"}, "helm-sparkmr3 dev\n"},
		{[]string{"version", "-o", "json"}, `{"version":"dev"}` + "\n"},
		{[]string{"version", "-o", "yaml"}, "version: dev\n"},
	} {
		s, out, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs(tt.args)
		if err := root.Execute(); err != nil || out.String() != tt.want {
			t.Errorf("%v: err %v, stdout %q, want %q", tt.args, err, out.String(), tt.want)
		}
	}
}

// Every verb that prints a result offers its -o formats to shell completion (helm 3.8+/4 ask
// through cobra's __complete), with helm's descriptions.
func TestOutputFlagCompletion(t *testing.T) {
	for verb, want := range map[string][]string{
		"status":   {"json\tOutput result in JSON format", "table\tOutput result in human-readable format", "yaml\tOutput result in YAML format"},
		"check":    {"json", "table", "yaml"},
		"teardown": {"json", "table", "yaml"},
		"version":  {"json", "table", "yaml"},
		"env":      {"json", "shell\tOutput export lines for eval in a POSIX shell", "yaml"},
	} {
		s, out, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs([]string{"__complete", verb, "-o", ""})
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v", verb, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(want)+1 || lines[len(lines)-1] != ":4" {
			t.Errorf("%s -o <TAB>: %q, want %d formats and :4 (no file completion)", verb, lines, len(want))
			continue
		}
		for i, w := range want {
			if !strings.HasPrefix(lines[i], w) {
				t.Errorf("%s -o <TAB> line %d = %q, want %q", verb, i, lines[i], w)
			}
		}
	}
}

func TestTeardownOutputNeedsDryRun(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	root := NewRootCommand(s)
	root.SetArgs([]string{"teardown", "spark", "--yes", "-o", "yaml"})
	err := root.Execute()
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--output yaml prints the plan of --dry-run: add --dry-run") {
		t.Fatalf("exit %d, err %v", ExitCode(err), err)
	}
}

func TestTeardownPlanFormats(t *testing.T) {
	p := &teardown.Plan{Namespace: "ns", Release: "spark", Revision: 2, Status: "deployed",
		MR3: &mr3runtime.Objects{
			AMDeployments: []appsv1.Deployment{{ObjectMeta: metav1.ObjectMeta{Name: "mr3master-spark-1234-0"}}},
			Unattributed:  []mr3runtime.Unattributed{{Kind: "Pod", Name: "mr3executor-x", Reason: "owned by another DAGAppMaster"}},
		},
		Drivers: []string{"spark1"}, DriverServices: []string{"spark1"}, TokenSecret: "spark-mr3-token",
		ClusterScoped: []string{"clusterrole/ns.spark-node-reader"}, Data: []string{"persistentvolumeclaim/spark-workdir (deleted)"}}
	for _, tt := range []struct {
		format output.Format
		want   string
	}{
		{output.JSON, `{"release":"spark","namespace":"ns","revision":2,"status":"deployed","mr3Objects":["deployment/mr3master-spark-1234-0"],` +
			`"drivers":["statefulset/spark1","service/spark1"],"tokenSecret":"spark-mr3-token","clusterScoped":["clusterrole/ns.spark-node-reader"],` +
			`"dataDeleted":["persistentvolumeclaim/spark-workdir (deleted)"],"dataKept":[],"leftAlone":["pod/mr3executor-x: owned by another DAGAppMaster"],"dryRun":true}` + "\n"},
		{output.Table, p.Summary() + "dry run: nothing was deleted\n"},
	} {
		var b bytes.Buffer
		if err := tt.format.Write(&b, newPlanView(p)); err != nil || b.String() != tt.want {
			t.Errorf("-o %s: err %v\n got %s\nwant %s", tt.format, err, b.String(), tt.want)
		}
	}
}
