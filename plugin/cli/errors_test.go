package cli

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kubeconfigFor writes a kubeconfig whose one context points at server.
func kubeconfigFor(t *testing.T, server string) string {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "`+server+`"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

// TestEveryVerbExplainsClusterErrors runs the verbs that talk to the cluster against an API
// server that cannot be reached and one that forbids everything: each error is explained the
// same way (the mapper of the root command), and each verb keeps its exit code.
func TestEveryVerbExplainsClusterErrors(t *testing.T) {
	// Like a real API server, it shows /version to everyone (helm asks it first).
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/version" {
			_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.0"}`))
			return
		}
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,` +
			`"message":"secrets is forbidden: User \"nobody\" cannot list resource \"secrets\" in API group \"\" in the namespace \"ns1\""}`))
	}))
	defer forbidden.Close()
	servers := []struct {
		name, server string
		want         []string
	}{
		{"unreachable", "https://127.0.0.1:1", []string{"cannot reach the Kubernetes API server https://127.0.0.1:1", "--kube-context name a running cluster"}},
		{"forbidden", forbidden.URL, []string{`User "nobody" cannot list resource "secrets"`, `permission in namespace "ns1"`, "ask a cluster admin"}},
	}
	verbs := []struct {
		args []string
		code int
	}{
		{[]string{"status", "rel"}, ExitError},
		{[]string{"teardown", "rel", "--yes"}, ExitError},
		{[]string{"env", "rel"}, ExitError},
		{[]string{"values", "rel", "--file", filepath.Join(t.TempDir(), "v.yaml")}, ExitError},
		{[]string{"check", "rel-that-is-no-file"}, ExitError},
		{[]string{"upgrade", "rel", "--wait=false"}, ExitError},
	}
	for _, srv := range servers {
		for _, v := range verbs {
			t.Run(srv.name+"/"+v.args[0], func(t *testing.T) {
				var out, errOut bytes.Buffer
				s := NewSettings(strings.NewReader(""), &out, &errOut)
				s.Getenv = func(string) string { return "" }
				s.IsTerminal = func(any) bool { return false }
				root := NewRootCommand(s)
				root.SetArgs(append(v.args, "--kubeconfig", kubeconfigFor(t, srv.server), "-n", "ns1"))
				err := root.Execute()
				if err == nil {
					t.Fatalf("no error; stdout %q", out.String())
				}
				for _, w := range srv.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if got := ExitCode(err); got != v.code {
					t.Errorf("exit %d, want %d (error %v)", got, v.code, err)
				}
			})
		}
	}
}

// TestExplainKeepsExitCodeOnce: the explanation keeps the exit code the verb chose, and an
// error explained already (submit explains its own) is not explained twice.
func TestExplainKeepsExitCodeOnce(t *testing.T) {
	s := NewSettings(nil, &bytes.Buffer{}, &bytes.Buffer{})
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	once := explainClusterError(WithCode(ExitNotReady, fmt.Errorf("wait: %w", refused)), s)
	if ExitCode(once) != ExitNotReady || !errors.Is(once, refused) {
		t.Fatalf("exit %d, error %v", ExitCode(once), once)
	}
	if twice := explainClusterError(fmt.Errorf("again: %w", once), s); strings.Count(twice.Error(), "cannot reach") != 1 || !strings.HasPrefix(twice.Error(), "again: cannot reach") {
		t.Fatalf("explained twice: %v", twice)
	}
}
