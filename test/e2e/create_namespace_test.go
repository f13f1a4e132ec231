package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// TestInstallCreatesNamespace: `install --create-namespace` into a namespace that does not exist
// yet. The plugin writes its token Secret before helm installs the release, so it must make the
// namespace first (found by `make demo`: "namespace … does not exist" although the flag was given).
func TestInstallCreatesNamespace(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := "t-create-ns-" + rand.String(5)
	t.Cleanup(func() { _ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	p := newPluginProc(t, c.Kubeconfig())
	out, errOut, code := p.run(t, "install", "cn", "-n", ns, "--create-namespace", "--timeout", "90s")
	if code != 0 {
		t.Fatalf("install --create-namespace into a new namespace: exit %d\n%s\n%s", code, out, errOut)
	}
	got, err := cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("namespace %s: %v", ns, err)
	}
	if got.Labels["name"] != ns {
		t.Errorf("namespace %s labels %v, want name=%s as helm's --create-namespace sets", ns, got.Labels, ns)
	}
	if _, err := cs.CoreV1().Secrets(ns).Get(context.Background(), "cn-mr3-token", metav1.GetOptions{}); err != nil {
		t.Errorf("the plugin's token Secret: %v", err)
	}
	if out, errOut, code := p.run(t, "teardown", "cn", "-n", ns, "--yes"); code != 0 || strings.Contains(errOut, "Error") {
		t.Errorf("teardown: exit %d\n%s\n%s", code, out, errOut)
	}
}
