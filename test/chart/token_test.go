package chart_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// tokenOf returns the decoded data of Secret demo-token in a rendering.
func tokenOf(t *testing.T, manifest string) (key, ts string) {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		if !strings.Contains(doc, "name: demo-token\n") || !strings.Contains(doc, "kind: Secret") {
			continue
		}
		var s corev1.Secret
		if err := yaml.Unmarshal([]byte(doc), &s); err != nil {
			t.Fatalf("parse token Secret: %v", err)
		}
		return string(s.Data["CLIENT_TO_AM_TOKEN_KEY"]), string(s.Data["MR3_APPLICATION_ID_TIMESTAMP"])
	}
	t.Fatalf("no Secret demo-token in the rendering")
	return "", ""
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
var positiveRE = regexp.MustCompile(`^[1-9][0-9]*$`)

func TestTokenGeneratedOnFirstInstall(t *testing.T) {
	key1, ts1 := tokenOf(t, mustRender(t))
	if !uuidRE.MatchString(key1) {
		t.Errorf("generated CLIENT_TO_AM_TOKEN_KEY %q is not a v4 UUID", key1)
	}
	if !positiveRE.MatchString(ts1) {
		t.Errorf("generated MR3_APPLICATION_ID_TIMESTAMP %q is not a positive integer", ts1)
	}
	// The GitOps trap the docs warn about: each first-install render (helm template) is new.
	key2, _ := tokenOf(t, mustRender(t))
	if key1 == key2 {
		t.Errorf("two first-install renders gave the same key %q; expected fresh ones (pinning is how to keep them)", key1)
	}
}

func TestTokenPinnedIsUsed(t *testing.T) {
	for _, upgrade := range []bool{false, true} {
		out, err := render(t, renderOpts{upgrade: upgrade}, pinnedToken)
		if err != nil {
			t.Fatalf("upgrade=%v: %v", upgrade, err)
		}
		if key, ts := tokenOf(t, out); key != pinnedKey || ts != pinnedTS {
			t.Errorf("upgrade=%v: token = %q/%q, want the pinned %q/%q", upgrade, key, ts, pinnedKey, pinnedTS)
		}
	}
	// --set token.applicationIdTimestamp=12345678 arrives as int64; YAML files give float64.
	for _, ts := range []any{int64(12345678), float64(12345678)} {
		out := mustRender(t, map[string]any{"token": map[string]any{"clientToAMTokenKey": "k", "applicationIdTimestamp": ts}})
		if _, got := tokenOf(t, out); got != "12345678" {
			t.Errorf("timestamp %T 12345678 rendered as %q", ts, got)
		}
	}
}

// TestTokenUpgradeWithoutClusterFails: an upgrade rendered without cluster access (no lookup)
// and without pinned values must fail and say how to pin, never invent a new token.
func TestTokenUpgradeWithoutClusterFails(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		want   []string
	}{
		{"nothing pinned", nil, []string{"token.clientToAMTokenKey", "helm sparkmr3 values demo", "refuses to rotate"}},
		{"only the key pinned", map[string]any{"token": map[string]any{"clientToAMTokenKey": "k"}}, []string{"token.applicationIdTimestamp", "helm sparkmr3 values demo"}},
		{"only the timestamp pinned", map[string]any{"token": map[string]any{"applicationIdTimestamp": 7}}, []string{"token.clientToAMTokenKey"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, renderOpts{upgrade: true}, tc.values)
			if err == nil {
				t.Fatal("upgrade without cluster access and without a pinned token rendered; it must fail")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

// fakeAPIServer answers just enough of the Kubernetes API for Helm's lookup function:
// discovery of v1 and GET of the given Secrets in namespace sparkmr3.
func fakeAPIServer(t *testing.T, secrets map[string]map[string]string) *rest.Config {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[{"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret","verbs":["get","list"]}]}`))
	})
	mux.HandleFunc("/api/v1/namespaces/"+namespace+"/secrets/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/api/v1/namespaces/"+namespace+"/secrets/")
		data, ok := secrets[name]
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}`))
			return
		}
		enc := map[string]string{}
		for k, v := range data {
			enc[k] = base64.StdEncoding.EncodeToString([]byte(v))
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Secret", "apiVersion": "v1",
			"metadata": map[string]any{"name": name, "namespace": namespace}, "data": enc})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &rest.Config{Host: srv.URL}
}

// renderWithLookup renders like `helm upgrade` with cluster access: lookup reads the fake API.
func renderWithLookup(t *testing.T, cfg *rest.Config, isInstall bool, values map[string]any) (string, error) {
	t.Helper()
	c := loadChart(t)
	vals, err := chartutil.ToRenderValues(c, values, chartutil.ReleaseOptions{
		Name: releaseName, Namespace: namespace, IsInstall: isInstall, IsUpgrade: !isInstall, Revision: 2,
	}, chartutil.DefaultCapabilities.Copy())
	if err != nil {
		return "", err
	}
	files, err := engine.New(cfg).Render(c, vals)
	if err != nil {
		return "", err
	}
	return files["spark-mr3/templates/secret-token.yaml"], nil
}

func TestTokenReusedFromExistingSecret(t *testing.T) {
	existing := map[string]map[string]string{"demo-token": {
		"CLIENT_TO_AM_TOKEN_KEY": "e07c35ca-1a2c-4d97-9037-9fb84de5f7c4", "MR3_APPLICATION_ID_TIMESTAMP": "29526"}}
	cfg := fakeAPIServer(t, existing)
	for i := 0; i < 3; i++ {
		out, err := renderWithLookup(t, cfg, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key, ts := tokenOf(t, out); key != "e07c35ca-1a2c-4d97-9037-9fb84de5f7c4" || ts != "29526" {
			t.Fatalf("upgrade %d: token %q/%q, want the existing Secret's", i+1, key, ts)
		}
	}
	// An explicit pin wins over the existing Secret (deliberate rotation).
	out, err := renderWithLookup(t, cfg, false, map[string]any{"token": map[string]any{"clientToAMTokenKey": "new-key", "applicationIdTimestamp": 31337}})
	if err != nil {
		t.Fatal(err)
	}
	if key, ts := tokenOf(t, out); key != "new-key" || ts != "31337" {
		t.Errorf("pinned rotation gave %q/%q", key, ts)
	}
	// Upgrade with cluster access but the Secret gone (deleted by hand): refuse, do not invent.
	if _, err := renderWithLookup(t, fakeAPIServer(t, nil), false, nil); err == nil || !strings.Contains(err.Error(), "token.clientToAMTokenKey") {
		t.Errorf("upgrade with the Secret missing: err = %v, want a failure naming token.clientToAMTokenKey", err)
	}
}
