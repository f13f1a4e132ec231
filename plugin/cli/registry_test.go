package cli

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeRegistry is a plain-HTTP server on loopback speaking enough of the OCI distribution API
// to show what helm's registry client asked: it wants Basic auth (when user is set), then
// answers 404 for every manifest and tag list.
type fakeRegistry struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
	auth  []string
}

func newFakeRegistry(t *testing.T, user string) *fakeRegistry {
	t.Helper()
	r := &fakeRegistry{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.paths = append(r.paths, req.URL.Path)
		r.auth = append(r.auth, req.Header.Get("Authorization"))
		r.mu.Unlock()
		if user != "" && req.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *fakeRegistry) host() string { return strings.TrimPrefix(r.URL, "http://") }

func (r *fakeRegistry) seen() (paths, auth []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...), append([]string(nil), r.auth...)
}

// TestOCIChartReference: install, upgrade and check take an oci:// CHART through helm's
// registry client (the one LocateChart lacked): with --plain-http the request reaches the
// registry and its answer is explained; without it the HTTPS attempt against a plain-HTTP
// registry says to pass --plain-http; an unreachable registry is named; a malformed reference
// is refused before any request.
func TestOCIChartReference(t *testing.T) {
	reg := newFakeRegistry(t, "")
	ref := "oci://" + reg.host() + "/charts/spark-mr3"
	closed := "oci://" + strings.TrimPrefix(closedLoopback(t), "http://") + "/charts/spark-mr3"
	tests := []struct {
		name     string
		args     []string
		wantErr  []string
		wantHits bool
	}{
		{name: "check plain-http", args: []string{"check", ref, "--version", "0.1.0", "--plain-http"},
			wantErr: []string{ref, "not found", "--version"}, wantHits: true},
		{name: "install plain-http", args: []string{"install", "spark", ref, "--version", "0.1.0", "--plain-http"},
			wantErr: []string{ref, "not found"}, wantHits: true},
		{name: "upgrade plain-http", args: []string{"upgrade", "spark", ref, "--version", "0.1.0", "--plain-http"},
			wantErr: []string{ref, "not found"}, wantHits: true},
		{name: "https to a plain-http registry", args: []string{"check", ref, "--version", "0.1.0"},
			wantErr: []string{"registry " + reg.host() + " answers plain HTTP", "pass --plain-http"}},
		{name: "unreachable", args: []string{"check", closed, "--version", "0.1.0", "--plain-http"},
			wantErr: []string{"cannot reach registry", "over http", "check the host and port"}},
		{name: "no repository", args: []string{"check", "oci://" + reg.host(), "--plain-http"},
			wantErr: []string{"not an OCI chart reference", "oci://REGISTRY[:PORT]/REPOSITORY/spark-mr3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := reg.seen()
			s, out, _ := teardownTestSettings(false)
			s.Helm.RegistryConfig = filepath.Join(t.TempDir(), "registry.json")
			s.Helm.RepositoryCache = t.TempDir()
			root := NewRootCommand(s)
			root.SetArgs(tt.args)
			err := root.Execute()
			if err == nil || ExitCode(err) != ExitUsage {
				t.Fatalf("exit %d, err %v", ExitCode(err), err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
			after, _ := reg.seen()
			hits := after[len(before):]
			if tt.wantHits != (len(hits) > 0) {
				t.Errorf("registry requests %v, want some: %v", hits, tt.wantHits)
			}
			for _, p := range hits {
				if !strings.HasPrefix(p, "/v2/") {
					t.Errorf("request %s is not an OCI distribution API call", p)
				}
			}
		})
	}
}

// TestOCIRegistryConfigCredentials: the login `helm registry login` keeps in the registry
// config (HELM_REGISTRY_CONFIG) is what the plugin sends when the registry asks for it.
func TestOCIRegistryConfigCredentials(t *testing.T) {
	reg := newFakeRegistry(t, "alice")
	auth := base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))
	cfg := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfg, []byte(`{"auths":{"`+reg.host()+`":{"auth":"`+auth+`"}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, _ := teardownTestSettings(false)
	s.Helm.RegistryConfig = cfg
	s.Helm.RepositoryCache = t.TempDir()
	root := NewRootCommand(s)
	root.SetArgs([]string{"check", "oci://" + reg.host() + "/charts/spark-mr3", "--version", "0.1.0", "--plain-http"})
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("want the registry's not-found after authenticating, got %v", err)
	}
	_, seen := reg.seen()
	sent := false
	for _, a := range seen {
		if a == "Basic "+auth {
			sent = true
		}
	}
	if !sent {
		t.Errorf("the registry config's credentials were never sent: Authorization headers %q", seen)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), auth) {
		t.Errorf("error shows the credentials: %v", err)
	}
}

// closedLoopback is a loopback URL nothing listens on.
func closedLoopback(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}
