package cli

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestExplainClusterError: the first API failures users meet each become one message naming
// the server or namespace and the fix, also when helm or errors.Join wrapped them.
func TestExplainClusterError(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSettings(nil, &bytes.Buffer{}, &bytes.Buffer{})
	s.Helm.KubeConfig = kc
	s.Helm.SetNamespace("ns1")
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	secrets := schema.GroupResource{Resource: "secrets"}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"refused, wrapped by helm", fmt.Errorf("read releases: query: %w", refused), []string{"cannot reach the Kubernetes API server https://127.0.0.1:1", "connection refused", "--kubeconfig"}},
		{"refused, joined by a wait", errors.Join(fmt.Errorf("list pods: %w", refused), fmt.Errorf("list secrets: %w", refused)), []string{"cannot reach", "--kube-context"}},
		{"unauthorized", fmt.Errorf("query: %w", apierrors.NewUnauthorized("Unauthorized")), []string{"rejected the credentials", "refresh the kubeconfig"}},
		{"forbidden", fmt.Errorf("query: %w", apierrors.NewForbidden(secrets, "", errors.New(`User "nobody" cannot list resource "secrets"`))), []string{`User "nobody" cannot list`, `in namespace "ns1"`, "ask a cluster admin"}},
		{"namespace missing", fmt.Errorf("create: %w", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "nope")), []string{`namespace "nope" does not exist`, "--create-namespace"}},
	}
	for _, tc := range cases {
		got := explainClusterError(tc.err, s).Error()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		if strings.Count(got, "\n") > 0 {
			t.Errorf("%s: more than one line: %q", tc.name, got)
		}
	}
	other := errors.New("something else")
	if explainClusterError(other, s) != other {
		t.Error("an unrelated error was rewritten")
	}
	if !errors.Is(explainClusterError(fmt.Errorf("x: %w", refused), s), refused) {
		t.Error("the explained error no longer wraps the network error")
	}
}
