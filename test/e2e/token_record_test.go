package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"io"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// tokenRecordRelease decodes every Helm release Secret of rel (sh.helm.release.v1.REL.vN:
// base64 of gzip of JSON, inside the Secret's data) into text, by revision name.
func tokenRecordRelease(t *testing.T, e *teardownEnv, rel string) map[string]string {
	t.Helper()
	list, err := e.cs.CoreV1().Secrets(e.ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + rel})
	must(t, err)
	out := map[string]string{}
	for _, s := range list.Items {
		raw, err := base64.StdEncoding.DecodeString(string(s.Data["release"]))
		must(t, err)
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		must(t, err)
		body, err := io.ReadAll(zr)
		must(t, err)
		out[s.Name] = string(body)
	}
	if len(out) == 0 {
		t.Fatalf("no release Secrets of %s", rel)
	}
	return out
}

// tokenLeaks names where a token's key shows up in text (clear or base64).
func tokenLeaks(text string, toks ...token.Token) []string {
	var found []string
	for _, tok := range toks {
		for _, form := range []string{tok.Key, base64.StdEncoding.EncodeToString([]byte(tok.Key))} {
			if strings.Contains(text, form) {
				found = append(found, "timestamp "+strings.TrimSpace(tok.ApplicationID()))
			}
		}
	}
	return found
}

// TestTokenNotInReleaseRecord: after `helm sparkmr3 install` and `upgrade --rotate-token`,
// neither `helm get values` nor `helm get manifest` (the real helm CLI) nor any decoded
// release Secret holds the token, old or new; the plugin's own Secret does, and the drivers
// read it from there. (On the plugin before this change the token was in all three.)
func TestTokenNotInReleaseRecord(t *testing.T) {
	e := teardownNewEnv(t)
	p := newPluginProc(t, e.c.Kubeconfig())
	h := newHelmCLI(t, e.c)
	run := func(code int, args ...string) string { t.Helper(); return rotationRun(t, p, e, code, args...) }

	run(0, "install", "tr", "--set", "drivers[0].name=tr1", "--wait=false")
	first := rotationToken(t, e, "tr")
	run(0, "upgrade", "tr", "--reuse-values", "--rotate-token", "--wait=false")
	second := rotationToken(t, e, "tr")
	if second == first {
		t.Fatal("--rotate-token kept the token")
	}
	for _, view := range [][]string{{"get", "values", "tr", "--all"}, {"get", "values", "tr", "--revision", "1"}, {"get", "manifest", "tr"}, {"get", "manifest", "tr", "--revision", "1"}, {"get", "all", "tr"}} {
		out := h.mustRun(t, append(view, "-n", e.ns)...)
		if leaks := tokenLeaks(out, first, second); len(leaks) > 0 {
			t.Errorf("helm %s shows the token of %v", strings.Join(view, " "), leaks)
		}
	}
	for name, body := range tokenRecordRelease(t, e, "tr") {
		if leaks := tokenLeaks(body, first, second); len(leaks) > 0 {
			t.Errorf("release Secret %s holds the token of %v", name, leaks)
		}
	}
	vals := h.mustRun(t, "get", "values", "tr", "-n", e.ns)
	if !strings.Contains(vals, "existingSecret: tr-mr3-token") || !strings.Contains(vals, second.Checksum()) {
		t.Errorf("values do not name the plugin's Secret and the token's checksum:\n%s", vals)
	}
	s, err := e.cs.CoreV1().Secrets(e.ns).Get(context.Background(), "tr-mr3-token", metav1.GetOptions{})
	must(t, err)
	if s.Labels[contract.LabelManagedBy] != contract.ManagedByPlugin || s.Annotations["meta.helm.sh/release-name"] != "" {
		t.Errorf("plugin Secret labels %v annotations %v", s.Labels, s.Annotations)
	}
	sts, err := e.cs.AppsV1().StatefulSets(e.ns).Get(context.Background(), driverObjectName("tr", "tr1"), metav1.GetOptions{})
	must(t, err)
	if ref := tokenRef(sts.Spec.Template.Spec.Containers); ref != "tr-mr3-token" {
		t.Errorf("driver reads the token from %q", ref)
	}
	// The values file for GitOps names the Secret, holds no token.
	pin := t.TempDir() + "/pin.yaml"
	run(0, "values", "tr", "--file", pin)
	raw, err := os.ReadFile(pin)
	must(t, err)
	body := string(raw)
	if leaks := tokenLeaks(body, second); len(leaks) > 0 || !strings.Contains(body, "existingSecret: tr-mr3-token") {
		t.Errorf("values file:\n%s", body)
	}
	// teardown removes the plugin's Secret (Helm's uninstall does not know it).
	run(0, "teardown", "tr", "--yes")
	if _, err := e.cs.CoreV1().Secrets(e.ns).Get(context.Background(), "tr-mr3-token", metav1.GetOptions{}); err == nil {
		t.Error("teardown left tr-mr3-token")
	}
}

// TestTokenMigrationFromChartSecret: a release made as the older plugin made it (token pinned
// in the values, the chart's Helm-owned F-token) keeps its token through a plugin upgrade:
// copied into F-mr3-token first, then Helm deletes F-token, and the new revision holds no token.
func TestTokenMigrationFromChartSecret(t *testing.T) {
	e := teardownNewEnv(t)
	p := newPluginProc(t, e.c.Kubeconfig())
	h := newHelmCLI(t, e.c)
	old := token.Token{Key: "e2e-migrated-key-3f9a", Timestamp: 515151}
	h.mustRun(t, "install", "mg", chartPath, "-n", e.ns, "--set", "drivers[0].name=mg1",
		"--set", "token.clientToAMTokenKey="+old.Key, "--set", "token.applicationIdTimestamp=515151")
	out := rotationRun(t, p, e, 0, "upgrade", "mg", "--reuse-values", "--wait=false")
	if !strings.Contains(out, "TOKEN: kept") {
		t.Fatalf("upgrade:\n%s", out)
	}
	if got := rotationToken(t, e, "mg"); got != old {
		t.Fatalf("token after migration: %v, want %v", got, old)
	}
	if _, err := e.cs.CoreV1().Secrets(e.ns).Get(context.Background(), "mg-token", metav1.GetOptions{}); err == nil {
		t.Error("Helm kept the chart's mg-token")
	}
	s, err := e.cs.CoreV1().Secrets(e.ns).Get(context.Background(), "mg-mr3-token", metav1.GetOptions{})
	must(t, err)
	if got, _ := token.FromSecret(s); got != old {
		t.Errorf("mg-mr3-token holds %v", got)
	}
	for _, view := range [][]string{{"get", "values", "mg"}, {"get", "manifest", "mg"}} {
		if leaks := tokenLeaks(h.mustRun(t, append(view, "-n", e.ns)...), old); len(leaks) > 0 {
			t.Errorf("helm %s (revision 2) shows the token", strings.Join(view, " "))
		}
	}
	sts, err := e.cs.AppsV1().StatefulSets(e.ns).Get(context.Background(), driverObjectName("mg", "mg1"), metav1.GetOptions{})
	must(t, err)
	if ref := tokenRef(sts.Spec.Template.Spec.Containers); ref != "mg-mr3-token" {
		t.Errorf("driver reads the token from %q", ref)
	}
}

func tokenRef(cs []corev1.Container) string {
	for _, c := range cs {
		for _, env := range c.Env {
			if env.Name == contract.KeyToken && env.ValueFrom != nil && env.ValueFrom.SecretKeyRef != nil {
				return env.ValueFrom.SecretKeyRef.Name
			}
		}
	}
	return ""
}
