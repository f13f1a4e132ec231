package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// hookTools are the commands hack/plugin-build.sh may run when it installs a release archive;
// the install tests give the hook a PATH holding only these (and curl or wget), never go.
var hookTools = []string{"sh", "env", "dirname", "sed", "tr", "cut", "head", "tail", "mkdir", "mktemp", "rm", "mv", "chmod", "uname", "tar", "gzip", "sha256sum"}

// TestPluginInstallFromRelease proves the install hook's release path with the real helm 3 and 4
// CLIs and `make dist`'s archive for this machine, served from a loopback HTTP server (the
// default release location is never contacted): a good archive installs with no Go on PATH (and
// no source in the plugin folder) and `helm sparkmr3 version` prints the stamped version; a
// corrupted archive, a checksums file without the archive, a missing archive or an unreachable
// location fail naming what was wrong and leave no binary behind (an update keeps the old one);
// a location without this version falls back to building from source, saying so.
func TestPluginInstallFromRelease(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release archive for this machine and installs it with helm 3 and helm 4")
	}
	helm3, helm4 := cluster.Tool(t, "helm3"), cluster.Tool(t, "helm4")
	version := pluginYAMLVersion(t)
	archive := fmt.Sprintf("helm-sparkmr3_%s_%s_%s.tar.gz", version, runtime.GOOS, runtime.GOARCH)
	sumsName := fmt.Sprintf("helm-sparkmr3_%s_checksums.txt", version)

	dist := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "hack", "dist.sh"), "--host", "--out", dist)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hack/dist.sh --host: %v\n%s", err, out)
	}
	good := distReadFile(t, filepath.Join(dist, archive))
	sums := distReadFile(t, filepath.Join(dist, sumsName))
	if !regexp.MustCompile(`(?m)^[0-9a-f]{64}  ` + regexp.QuoteMeta(archive) + `$`).Match(sums) {
		t.Fatalf("%s is not in sha256sum format or lacks %s:\n%s", sumsName, archive, sums)
	}
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)/2] ^= 0xff

	// One release location per case, each holding v<version>/ (or not).
	rel := "/v" + version + "/"
	files := map[string][]byte{
		"/good" + rel + sumsName: sums, "/good" + rel + archive: good,
		"/corrupt" + rel + sumsName: sums, "/corrupt" + rel + archive: corrupt,
		"/noentry" + rel + sumsName:   []byte(strings.Repeat("0", 64) + "  helm-sparkmr3_" + version + "_plan9_amd64.tar.gz\n"),
		"/noentry" + rel + archive:    good,
		"/noarchive" + rel + sumsName: sums,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	closed := closedLoopbackURL(t)

	curlPath := hookToolbox(t, "curl")
	wgetPath := hookToolbox(t, "wget")
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	withGo := curlPath + string(os.PathListSeparator) + filepath.Dir(gobin)

	type want struct {
		ok        bool
		out       []string // in the hook's output
		notOut    []string
		noBinary  bool
		fromBuild bool
	}
	cases := []struct {
		name, helm, location, path string
		source                     bool // the plugin folder holds the source tree, not only plugin.yaml and the hook
		want                       want
	}{
		{"good/helm3", helm3, "/good", curlPath, false, want{ok: true, out: []string{"sha256 verified"}}},
		{"good/helm4", helm4, "/good", curlPath, false, want{ok: true, out: []string{"sha256 verified"}}},
		{"good/wget", helm3, "/good", wgetPath, false, want{ok: true, out: []string{"sha256 verified"}}},
		{"corrupt/helm3", helm3, "/corrupt", curlPath, true, want{out: []string{"checksum mismatch for " + archive, "tampered"}, notOut: []string{"building"}, noBinary: true}},
		{"corrupt/helm4", helm4, "/corrupt", curlPath, false, want{out: []string{"checksum mismatch for " + archive}, noBinary: true}},
		{"corrupt/wget", helm3, "/corrupt", wgetPath, false, want{out: []string{"checksum mismatch for " + archive}, noBinary: true}},
		{"no-checksums-entry", helm3, "/noentry", curlPath, true, want{out: []string{sumsName + " has no sha256 entry for " + archive}, notOut: []string{"building"}, noBinary: true}},
		{"no-archive", helm3, "/noarchive", curlPath, true, want{out: []string{"cannot download " + srv.URL + "/noarchive" + rel + archive + " (HTTP 404)"}, notOut: []string{"building"}, noBinary: true}},
		{"no-archive/wget", helm3, "/noarchive", wgetPath, false, want{out: []string{"cannot download " + srv.URL + "/noarchive" + rel + archive + " (HTTP 404)"}, noBinary: true}},
		{"unreachable", helm3, closed, curlPath, true, want{out: []string{"cannot download " + closed + rel + sumsName}, notOut: []string{"building"}, noBinary: true}},
		{"no-release/no-go", helm3, "/norelease", curlPath, true, want{out: []string{"has no release v" + version + " (" + sumsName + ": HTTP 404): building v" + version + " from source", "the Go toolchain (1.26 or newer) is needed"}, noBinary: true}},
		{"no-release/no-source", helm3, "/norelease", curlPath, false, want{out: []string{"building v" + version + " from source", "holds no source to build from"}, noBinary: true}},
		{"no-release/go", helm3, "/norelease", withGo, true, want{ok: true, fromBuild: true, out: []string{"has no release v" + version + " (" + sumsName + ": HTTP 404): building v" + version + " from source", "built bin/helm-sparkmr3"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			location := tc.location
			if strings.HasPrefix(location, "/") {
				location = srv.URL + location
			}
			dir := hookPluginFolder(t, tc.source)
			home := t.TempDir()
			env := hookEnv(t, home, tc.path, location)
			out, err := hookRun(t, env, tc.helm, "plugin", "install", dir)
			t.Logf("helm plugin install (SPARKMR3_RELEASE_URL=%s):\n%s", location, out)
			if (err == nil) != tc.want.ok {
				t.Fatalf("helm plugin install: err=%v, want ok=%v\n%s", err, tc.want.ok, out)
			}
			for _, s := range tc.want.out {
				if !strings.Contains(out, s) {
					t.Errorf("install output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.want.notOut {
				if strings.Contains(out, s) {
					t.Errorf("install output has %q:\n%s", s, out)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(dir, ".install.*")); len(left) != 0 {
				t.Errorf("the hook left its temporary folder: %v", left)
			}
			bin := filepath.Join(dir, "bin", "helm-sparkmr3")
			if tc.want.noBinary {
				if _, err := os.Stat(filepath.Join(dir, "bin")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a failed install left %s (stat: %v)", filepath.Join(dir, "bin"), err)
				}
				return
			}
			if !tc.want.fromBuild && !bytes.Equal(distReadFile(t, bin), distUntar(t, good, "helm-sparkmr3")) {
				t.Errorf("%s is not the binary of %s", bin, archive)
			}
			vout, err := hookRun(t, env, tc.helm, "sparkmr3", "version")
			if err != nil || strings.TrimSpace(vout) != "helm-sparkmr3 v"+version {
				t.Fatalf("helm sparkmr3 version: %v\n%s", err, vout)
			}
		})
	}

	// An update that meets a corrupted archive keeps the installed binary as it was.
	t.Run("update-keeps-old-binary", func(t *testing.T) {
		dir := hookPluginFolder(t, false)
		old := []byte("#!/bin/sh\necho old\n")
		if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bin", "helm-sparkmr3"), old, 0o755); err != nil {
			t.Fatal(err)
		}
		env := append(hookEnv(t, t.TempDir(), curlPath, srv.URL+"/corrupt"), "HELM_PLUGIN_DIR="+dir)
		out, err := hookRun(t, env, "sh", "-c", `cd "$HELM_PLUGIN_DIR" && ./hack/plugin-build.sh`)
		if err == nil || !strings.Contains(out, "checksum mismatch") {
			t.Fatalf("update hook with a corrupted archive: err=%v\n%s", err, out)
		}
		if got := distReadFile(t, filepath.Join(dir, "bin", "helm-sparkmr3")); !bytes.Equal(got, old) {
			t.Errorf("the failed update changed bin/helm-sparkmr3")
		}
	})
}

// pluginYAMLVersion is plugin.yaml's version, as the hook and hack/dist.sh read it.
func pluginYAMLVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^version:\s*["']?([^"'\s]+)`).FindSubmatch(distReadFile(t, filepath.Join(repoRoot, "plugin.yaml")))
	if m == nil {
		t.Fatal("plugin.yaml has no version")
	}
	return string(m[1])
}

// hookPluginFolder is a copy of the plugin to install: only plugin.yaml and the hook, or (source)
// every file of the working tree that git tracks or would track.
func hookPluginFolder(t *testing.T, source bool) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "spark-mr3")
	files := []string{"plugin.yaml", "hack/plugin-build.sh"}
	if source {
		out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-co", "--exclude-standard").Output()
		if err != nil {
			t.Fatalf("git ls-files: %v", err)
		}
		files = strings.Fields(string(out))
	}
	for _, f := range files {
		src := filepath.Join(repoRoot, f)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the working tree, or a symlink
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, distReadFile(t, src), fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hookToolbox is a PATH of one folder linking hookTools and the given downloader: no go.
func hookToolbox(t *testing.T, downloader string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range append([]string{downloader}, hookTools...) {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("the hook's tool %s is not on this machine's PATH: %v", name, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hookEnv is helm's environment for an install into home: a private helm home, PATH, the
// release location, and the Go caches of this machine (HOME moves, so they would otherwise).
func hookEnv(t *testing.T, home, path, location string) []string {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" || k == "HOME" || k == "SPARKMR3_RELEASE_URL" || strings.HasPrefix(k, "HELM_") {
			continue
		}
		env = append(env, kv)
	}
	goenv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOENV").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimSpace(string(goenv)), "\n")
	for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		env = append(env, k+"="+vals[i])
	}
	return append(env,
		"HOME="+home,
		"PATH="+path,
		"SPARKMR3_RELEASE_URL="+location,
		// hack/dist.sh built the same packages with cgo off: the source build reuses them.
		"CGO_ENABLED=0",
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"HELM_PLUGINS="+filepath.Join(home, "data", "plugins"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
	)
}

func hookRun(t *testing.T, env []string, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// closedLoopbackURL is an http URL on loopback where nothing listens.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func distReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// distUntar is the file name in the gzipped tar archive.
func distUntar(t *testing.T, archive []byte, name string) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in the archive: %v", name, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
