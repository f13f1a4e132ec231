package postrender

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestIsRemote(t *testing.T) {
	for _, s := range []string{
		"https://example.com/x.yaml",
		"http://127.0.0.1:1/x.yaml",
		"HTTPS://EXAMPLE.COM/x.yaml",
		"github.com/org/repo//path?ref=v1",
		"github.com/org/repo",
		"GitHub.com/org/repo/path",
		"git::https://example.com/org/repo.git",
		"https://example.com/org/repo.git//base?ref=main",
		"git@github.com:org/repo.git",
		"git@example.com:org/repo//base",
		"ssh://git@example.com/org/repo",
		"file:///srv/git/repo.git",
		"s3://bucket/x.yaml",
	} {
		if !isRemote(s) {
			t.Errorf("isRemote(%q) = false, want true (kustomize fetches it)", s)
		}
	}
	for _, s := range []string{
		"helm-output.yaml", "base", "../base", "./bases/a", "patches/port.yaml", "/abs/path",
		"a@b/x", "team=spark", "config.properties", "github.com", "dir//sub",
		// Without a scheme, a user@ or github.com, kustomize reads these as local paths.
		"example.com/org/repo.git//base", "dev.azure.com/org/project/_git/repo",
	} {
		if isRemote(s) {
			t.Errorf("isRemote(%q) = true, want false (a local path)", s)
		}
	}
	if got := remoteRef("app.conf=https://example.com/app.conf"); got == "" {
		t.Error("remoteRef: a generator's KEY=URL is remote")
	}
	if got := remoteRef("apiVersion: v1\nkind: ConfigMap\n"); got != "" {
		t.Errorf("remoteRef(inline YAML) = %q, want none", got)
	}
}

// remoteTrap makes every way kustomize fetches observable: a fake git first on PATH that
// records each run, and a loopback HTTP server that counts requests and serves a ConfigMap.
type remoteTrap struct {
	gitLog string
	hits   atomic.Int64
	url    string
}

func newRemoteTrap(t *testing.T) *remoteTrap {
	t.Helper()
	tr := &remoteTrap{}
	bin := t.TempDir()
	tr.gitLog = filepath.Join(t.TempDir(), "git.log")
	script := "#!/bin/sh\necho \"$@\" >> '" + tr.gitLog + "'\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.hits.Add(1)
		_, _ = w.Write([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fetched\ndata:\n  a: b\n"))
	}))
	t.Cleanup(srv.Close)
	tr.url = srv.URL
	return tr
}

func (tr *remoteTrap) assertUntouched(t *testing.T) {
	t.Helper()
	if n := tr.hits.Load(); n != 0 {
		t.Errorf("the HTTP server got %d request(s); remote loading must be off", n)
	}
	if b, err := os.ReadFile(tr.gitLog); err == nil {
		t.Errorf("git ran: %s", b)
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const renderedCM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rendered\ndata:\n  k: v\n"

// overlayTree runs the overlay at dir/overlay (both engines' entry points: New, then Overlay).
func overlayTree(t *testing.T, dir string, allow bool) (string, error) {
	t.Helper()
	p, err := New(Options{KustomizeDir: filepath.Join(dir, "overlay"), AllowRemote: allow})
	if err != nil {
		return "", err
	}
	out, err := p.Overlay([]byte(renderedCM))
	return string(out), err
}

func TestRemoteRefused(t *testing.T) {
	tr := newRemoteTrap(t)
	u := tr.url
	tests := []struct {
		name      string
		files     map[string]string
		wantFile  string // the kustomization named in the error, relative to the tree
		wantField string
		wantRef   string
	}{
		{name: "http resource", files: map[string]string{
			"overlay/kustomization.yaml": "resources:\n- helm-output.yaml\n- " + u + "/cm.yaml\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "resources", wantRef: u + "/cm.yaml"},
		{name: "github base", files: map[string]string{
			"overlay/kustomization.yaml": "resources:\n- helm-output.yaml\n- github.com/org/repo//deploy?ref=v1\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "resources", wantRef: "github.com/org/repo//deploy?ref=v1"},
		{name: "git:: base (deprecated bases field)", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\nbases:\n- git::" + u + "/org/repo.git//base\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "bases", wantRef: "git::" + u + "/org/repo.git//base"},
		{name: "remote component", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\ncomponents:\n- git@127.0.0.1:org/repo//comp\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "components", wantRef: "git@127.0.0.1:org/repo//comp"},
		{name: "remote patch", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\npatches:\n- path: " + u + "/p.yaml\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "patches.path", wantRef: u + "/p.yaml"},
		{name: "generator file KEY=URL", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\nconfigMapGenerator:\n- name: x\n  files:\n  - app.conf=" + u + "/app.conf\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "configMapGenerator.files", wantRef: "app.conf=" + u + "/app.conf"},
		{name: "inline transformer", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\ntransformers:\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: p}\n  path: " + u + "/p.yaml\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "transformers[inline].path", wantRef: u + "/p.yaml"},
		{name: "transformer configuration file", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\ntransformers: [patch.yaml]\n",
			"overlay/patch.yaml":         "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: " + u + "/p.yaml\n"},
			wantFile: "overlay/patch.yaml", wantField: "path", wantRef: u + "/p.yaml"},
		{name: "remote in a nested local base", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml, ../base]\n",
			"base/kustomization.yaml":    "resources: [../base2]\n",
			"base2/kustomization.yaml":   "resources:\n- ssh://git@127.0.0.1/org/repo//x\n"},
			wantFile: "base2/kustomization.yaml", wantField: "resources", wantRef: "ssh://git@127.0.0.1/org/repo//x"},
		{name: "file:// repository", files: map[string]string{
			"overlay/kustomization.yaml": "resources: [helm-output.yaml]\ncrds:\n- file:///srv/git/repo.git\n"},
			wantFile: "overlay/kustomization.yaml", wantField: "crds", wantRef: "file:///srv/git/repo.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			_, err := overlayTree(t, dir, false)
			tr.assertUntouched(t)
			var re *RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("error = %v, want a RemoteError", err)
			}
			if re.File != filepath.Join(dir, tt.wantFile) || re.Field != tt.wantField || re.Ref != tt.wantRef {
				t.Errorf("RemoteError = %+v, want file %s field %s ref %s", *re, tt.wantFile, tt.wantField, tt.wantRef)
			}
			for _, want := range []string{tt.wantFile, tt.wantRef, "--kustomize-allow-remote", "vendor it into the overlay"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}

func TestRemoteLocalOverlaysWork(t *testing.T) {
	tr := newRemoteTrap(t)
	dir := writeTree(t, map[string]string{
		// Nested local bases, a component, a patch and a generator; URLs in data are data.
		"overlay/kustomization.yaml": "resources: [helm-output.yaml, ../base]\ncomponents: [../comp]\n" +
			"commonAnnotations:\n  docs: https://example.com/docs\npatches:\n- path: patch.yaml\n",
		"overlay/patch.yaml":       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rendered\ndata:\n  patched: https://example.com/x\n",
		"base/kustomization.yaml":  "resources: [../base2]\nconfigMapGenerator:\n- name: gen\n  literals: [url=https://example.com/y]\n  options: {disableNameSuffixHash: true}\n",
		"base2/kustomization.yaml": "resources: [cm.yaml]\n",
		"base2/cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base2\n",
		"comp/kustomization.yaml":  "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nlabels:\n- pairs: {team: spark}\n",
	})
	out, err := overlayTree(t, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	tr.assertUntouched(t)
	for _, want := range []string{"name: rendered", "name: base2", "name: gen", "patched: https://example.com/x", "url: https://example.com/y", "team: spark", "docs: https://example.com/docs"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestRemoteAllowed(t *testing.T) {
	tr := newRemoteTrap(t)
	dir := writeTree(t, map[string]string{"overlay/kustomization.yaml": "resources:\n- helm-output.yaml\n- " + tr.url + "/cm.yaml\n"})
	out, err := overlayTree(t, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if tr.hits.Load() == 0 || !strings.Contains(out, "name: fetched") {
		t.Errorf("with AllowRemote the overlay fetches its resource: %d request(s), output:\n%s", tr.hits.Load(), out)
	}
}
