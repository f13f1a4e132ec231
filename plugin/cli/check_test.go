package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	helmcli "helm.sh/helm/v3/pkg/cli"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/spark-mr3/spark-mr3/internal/golden"
	"github.com/spark-mr3/spark-mr3/plugin/check/render"
	"helm.sh/helm/v3/pkg/chart/loader"
)

const testChart = "../../charts/spark-mr3"

// brokenOverlay writes an overlay that points driver spark1's Service (F-spark1, found by its
// label whatever the release is called) at a wrong port.
func brokenOverlay(t *testing.T) string {
	t.Helper()
	return writeDir(t, map[string]string{
		"kustomization.yaml": "resources:\n  - helm-output.yaml\npatches:\n  - target: {kind: Service, labelSelector: sparkmr3.io/driver=spark1}\n    patch: |-\n      - op: replace\n        path: /spec/ports/0/targetPort\n        value: 9851\n",
	})
}

// writeDir writes files into a new temporary directory and returns it.
func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runVerb(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	t.Setenv("HELM_NAMESPACE", "sparkmr3")
	var out, errOut bytes.Buffer
	s := &Settings{Helm: helmcli.New(), IO: genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}, Getenv: os.Getenv}
	root := NewRootCommand(s)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.AssertString(t, filepath.Join("testdata", name), got)
}

// remoteBaseOverlay is an overlay OVERLAY/overlay whose local base names a git repository
// (loopback: even if it were fetched, nothing leaves the machine).
func remoteBaseOverlay(t *testing.T) string {
	dir := writeDir(t, map[string]string{
		"overlay/kustomization.yaml": "resources: [helm-output.yaml, ../base]\n",
		"base/kustomization.yaml":    "resources:\n- ssh://git@127.0.0.1/org/repo//x?ref=v1\n",
	})
	return filepath.Join(dir, "overlay")
}

func TestCheckVerb(t *testing.T) {
	values := filepath.Join(testChart, "ci", "outside-driver-values.yaml")
	overlay := brokenOverlay(t)
	labels := writeDir(t, map[string]string{"kustomization.yaml": "resources: [helm-output.yaml]\nlabels:\n- pairs: {team: spark}\n  includeTemplates: true\n"})
	remote := writeDir(t, map[string]string{"kustomization.yaml": "resources:\n- helm-output.yaml\n- http://127.0.0.1:9/cm.yaml\n"})
	nestedRemote := remoteBaseOverlay(t)
	tests := []struct {
		name     string
		env      string // SPARKMR3_OVERLAY
		args     []string
		golden   string
		wantCode int
		wantErr  string
	}{
		{name: "chart passes", args: []string{"check", testChart, "-f", values}, golden: "check-pass.txt"},
		{name: "overlay breaks a rule", args: []string{"check", testChart, "-f", values, "--kustomize", overlay}, golden: "check-violations.txt", wantCode: ExitCheckFailed, wantErr: "1 violation(s)"},
		{name: "json", args: []string{"check", testChart, "-f", values, "--kustomize", overlay, "-o", "json"}, golden: "check-violations.json", wantCode: ExitCheckFailed},
		{name: "env.sh disagrees with the conf files", args: []string{"check", testChart, "-f", values, "--set-string", "envSh.extraLines=SPARK_MR3_NAMESPACE='other'"},
			golden: "check-envsh.txt", wantCode: ExitCheckFailed, wantErr: "2 violation(s)"},
		{name: "yaml", args: []string{"check", testChart, "-f", values, "--kustomize", overlay, "-o", "yaml"}, golden: "check-violations.yaml", wantCode: ExitCheckFailed},
		{name: "text is the table form's older name", args: []string{"check", testChart, "-f", values, "--kustomize", overlay, "-o", "text"}, golden: "check-violations.txt", wantCode: ExitCheckFailed},
		{name: "bad output format", args: []string{"check", testChart, "-o", "xml"}, wantCode: ExitUsage, wantErr: `invalid argument "xml" for "-o, --output" flag: use one of table, json, yaml`},
		{name: "values with a release", args: []string{"check", "spark", "-f", values}, wantCode: ExitUsage, wantErr: "spark names a deployed release; -f/--set apply only to a CHART"},
		{name: "labels overlay (spark-mr3's engine)", args: []string{"check", testChart, "-f", values, "--kustomize", labels}},
		{name: "labels overlay (kustomize)", env: "kustomize", args: []string{"check", testChart, "-f", values, "--kustomize", labels}},
		{name: "bad overlay engine", env: "fastest", args: []string{"check", testChart, "--kustomize", labels}, wantCode: ExitUsage, wantErr: `SPARKMR3_OVERLAY="fastest" in the environment`},
		{name: "overlay without helm-output.yaml", args: []string{"check", testChart, "--kustomize", t.TempDir()}, wantCode: ExitUsage, wantErr: "no kustomization.yaml"},
		{name: "remote resource refused", args: []string{"check", testChart, "--kustomize", remote}, wantCode: ExitUsage,
			wantErr: `kustomization.yaml: resources refers to the remote "http://127.0.0.1:9/cm.yaml"`},
		{name: "remote in a local base refused", args: []string{"check", testChart, "--kustomize", nestedRemote}, wantCode: ExitUsage,
			wantErr: `base/kustomization.yaml: resources refers to the remote "ssh://git@127.0.0.1/org/repo//x?ref=v1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SPARKMR3_OVERLAY", tt.env)
			out, _, err := runVerb(t, "", tt.args...)
			if code := ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.wantCode)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if tt.golden != "" {
				checkGolden(t, tt.golden, strings.ReplaceAll(out, overlay, "OVERLAY"))
			}
		})
	}
}

func TestPostrenderVerb(t *testing.T) {
	ch, err := loader.Load(testChart)
	if err != nil {
		t.Fatal(err)
	}
	m, err := render.Chart(ch, map[string]any{"drivers": []any{map[string]any{"name": "spark1"}}}, render.ChartOptions{ReleaseName: "rel", Namespace: "sparkmr3"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantOut  string
		wantCode int
		wantErr  []string
	}{
		{name: "passes manifests through", args: []string{"postrender"}, wantOut: m},
		{name: "violation: nothing on stdout, every violation in the error", args: []string{"postrender", "--kustomize", brokenOverlay(t)},
			wantCode: ExitCheckFailed, wantErr: []string{"spark-mr3 check: 1 violation", "driver-ports (1):", "StatefulSet/rel-spark1 [Service/rel-spark1 spec.ports]"}},
		{name: "bad overlay dir", args: []string{"postrender", "--kustomize", "/does/not/exist"}, wantCode: ExitUsage, wantErr: []string{"--kustomize /does/not/exist: not a directory"}},
		{name: "remote in a local base refused", args: []string{"postrender", "--kustomize", remoteBaseOverlay(t)}, wantCode: ExitUsage,
			wantErr: []string{`base/kustomization.yaml: resources refers to the remote "ssh://git@127.0.0.1/org/repo//x?ref=v1"`, "--kustomize-allow-remote"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := runVerb(t, m, tt.args...)
			if code := ExitCode(err); code != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", code, err, tt.wantCode)
			}
			if out != tt.wantOut {
				t.Errorf("stdout = %d bytes, want %d", len(out), len(tt.wantOut))
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want %q", err, w)
				}
			}
		})
	}
}
