package cli

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runDoctorCmd runs `doctor args…` against the kubeconfig kc and returns stdout, the error
// and its exit code.
func runDoctorCmd(t *testing.T, kc string, args ...string) (string, int, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	s := NewSettings(strings.NewReader(""), &out, &errOut)
	s.Getenv = func(string) string { return "" }
	s.IsTerminal = func(any) bool { return false }
	root := NewRootCommand(s)
	root.SetArgs(append(append([]string{"doctor"}, args...), "--kubeconfig", kc, "-n", "ns1"))
	err := root.Execute()
	return out.String(), ExitCode(err), err
}

// TestDoctorRefusesBadInputBeforeTheCluster: bad flags, a bad RELEASE and values the chart
// refuses are usage errors (exit 2) found before the API server is asked anything (the
// kubeconfig points at nothing).
func TestDoctorRefusesBadInputBeforeTheCluster(t *testing.T) {
	kc := kubeconfigFor(t, "https://127.0.0.1:1")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"three arguments", []string{"a", "b", "c"}, []string{"accepts at most 2 arg"}},
		{"CHART missing", []string{"a", "/nonexistent/chart"}, []string{"/nonexistent/chart"}},
		{"bad release name", []string{"Spark_1"}, []string{`release name "Spark_1" (the RELEASE argument)`, "lower-case letters"}},
		{"unknown output", []string{"-o", "xml"}, []string{"use one of table, json, yaml"}},
		{"values the schema refuses", []string{"--set", "localDirs.type=tmpfs"}, []string{"localDirs", "fix the values listed above (from -f/--set)"}},
		{"values file missing", []string{"-f", "/nonexistent/values.yaml"}, []string{"read values (-f/--set…)", "/nonexistent/values.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code, err := runDoctorCmd(t, kc, tt.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d (error %v)", code, ExitUsage, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if out != "" {
				t.Errorf("printed checks although the input is bad:\n%s", out)
			}
		})
	}
}

// TestDoctorUnreachableServer: the api-server check fails naming the server and the
// kubeconfig, the other checks are not run, and doctor exits 1.
func TestDoctorUnreachableServer(t *testing.T) {
	kc := kubeconfigFor(t, "https://127.0.0.1:1")
	for _, args := range [][]string{nil, {"spark"}, {"-o", "json"}} {
		out, code, err := runDoctorCmd(t, kc, args...)
		if code != ExitError {
			t.Fatalf("%v: exit %d, want 1 (error %v)", args, code, err)
		}
		for _, w := range []string{"api-server", "fail", "https://127.0.0.1:1", kc, "connection refused"} {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", args, w, out)
			}
		}
		if strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%v: more than the api-server line:\n%s", args, out)
		}
		if !strings.Contains(err.Error(), "1 of 1 checks failed") {
			t.Errorf("%v: error %v", args, err)
		}
	}
}

// TestDoctorTimeout: an API server that accepts connections but never answers fails the
// api-server check once --timeout has passed, instead of hanging; --timeout 0 is refused.
func TestDoctorTimeout(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	defer close(release)
	kc := kubeconfigFor(t, hang.URL)
	start := time.Now()
	out, code, err := runDoctorCmd(t, kc, "--timeout", "300ms")
	if code != ExitError || !strings.Contains(out, "fail  api-server") || !strings.Contains(out, "context deadline exceeded") {
		t.Fatalf("exit %d, error %v, output:\n%s", code, err, out)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s", took)
	}
	if _, code, err := runDoctorCmd(t, kc, "--timeout", "0s"); code != ExitUsage || !strings.Contains(err.Error(), "--timeout 0s: must be positive") {
		t.Errorf("--timeout 0s: exit %d, error %v", code, err)
	}
}

// TestDoctorKustomizeRefusesRemote: a --kustomize overlay that names a remote base is refused
// before anything is fetched or asked (exit 2), as install refuses it.
func TestDoctorKustomizeRefusesRemote(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte("resources:\n- helm-output.yaml\n- github.com/org/repo//deploy?ref=v1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code, err := runDoctorCmd(t, kubeconfigFor(t, "https://127.0.0.1:1"), "--kustomize", dir)
	if code != ExitUsage || !strings.Contains(err.Error(), "--kustomize-allow-remote") || out != "" {
		t.Fatalf("exit %d, error %v, output %q", code, err, out)
	}
}
