package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
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

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// testKey is a throwaway OpenPGP key: sec holds its secret part (what `helm plugin package`
// signs with), pub its public part (the keyring `helm plugin install --keyring` trusts).
type testKey struct{ email, sec, pub string }

func newTestKey(t *testing.T, dir, name, email string) testKey {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048}
	e, err := openpgp.NewEntity(name, "spark-mr3 e2e test only", email, cfg)
	if err != nil {
		t.Fatalf("generate the OpenPGP key %s: %v", email, err)
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivate(&sec, cfg); err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	k := testKey{email: email, sec: filepath.Join(dir, name+"-secring.gpg"), pub: filepath.Join(dir, name+"-pubring.gpg")}
	if err := os.WriteFile(k.sec, sec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.pub, pub.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// runPluginPackage runs hack/plugin-package.sh with HELM set to helm.
func runPluginPackage(t *testing.T, helm string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(repoRoot, "hack", "plugin-package.sh"), args...)
	cmd.Env = append(os.Environ(), "HELM="+helm)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run hack/plugin-package.sh: %v", err)
	}
	return string(out), code
}

// pluginVersion is plugin.yaml's version, the one the packages are named after.
func pluginVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^version: *"?([^"\s]+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("plugin.yaml has no version")
	}
	return string(m[1])
}

// freshHelm is a real helm CLI with an empty private home (plugins in HELM_DATA_HOME/plugins).
func freshHelm(t *testing.T, name string) pluginHelm {
	t.Helper()
	return pluginHelm{name: name, bin: cluster.Tool(t, name), home: t.TempDir(), kubeconfig: filepath.Join(t.TempDir(), "no-kubeconfig")}
}

// tamper rewrites the package in place with one more line in its plugin.yaml: a package whose
// content is not what was signed.
func tamper(t *testing.T, pkg string) {
	t.Helper()
	in, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	changed := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(h.Name, "/plugin.yaml") {
			body = append(body, []byte("# changed after signing\n")...)
			h.Size = int64(len(body))
			changed = true
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if !changed {
		t.Fatalf("%s has no plugin.yaml", pkg)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pkg, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// copyPackage copies a package (and its .prov unless withoutProv) into a new folder.
func copyPackage(t *testing.T, pkg string, withProv bool) string {
	t.Helper()
	dir := t.TempDir()
	files := []string{pkg}
	if withProv {
		files = append(files, pkg+".prov")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, filepath.Base(pkg))
}

// refusedInstall installs pkg with verification against keyring and wants a refusal naming
// the verification, with nothing of the plugin left in the plugin folder.
func refusedInstall(t *testing.T, pkg, keyring, plugin, want string) {
	t.Helper()
	h := freshHelm(t, "helm4")
	o, e, code := h.run(t, "", "plugin", "install", pkg, "--keyring", keyring)
	if code == 0 || !strings.Contains(e, want) {
		t.Fatalf("helm4 plugin install %s: exit %d (want a refusal naming %q)\nstdout:\n%s\nstderr:\n%s", pkg, code, want, o, e)
	}
	if _, err := os.Stat(filepath.Join(h.home, "data", "plugins", plugin)); !os.IsNotExist(err) {
		t.Fatalf("refused install left the plugin folder %s behind (stat: %v)", plugin, err)
	}
	if o := h.mustRun(t, "plugin", "list"); strings.Contains(o, plugin) {
		t.Fatalf("refused install still lists %s:\n%s", plugin, o)
	}
}

// TestPluginPackage packages both plugins with hack/plugin-package.sh (Helm 4's `helm plugin
// package`, signed with a key made here), installs each package with Helm 4's default
// verification against that key's keyring and uses them (the CLI's version verb, the
// post-renderer by name on the chart), installs the CLI package over HTTP (loopback, the .prov
// fetched beside it), shows that Helm 3 cannot read a Helm 4 package (documented), and shows that Helm 4 refuses a tampered package, one signed by another key and
// one without its .prov, leaving nothing installed.
func TestPluginPackage(t *testing.T) {
	helm4 := cluster.Tool(t, "helm4")
	version := pluginVersion(t)
	keys := t.TempDir()
	signer := newTestKey(t, keys, "signer", "signer@spark-mr3.invalid")
	other := newTestKey(t, keys, "other", "other@spark-mr3.invalid")
	platform := runtime.GOOS + "/" + runtime.GOARCH

	t.Run("script refuses bad input", func(t *testing.T) {
		for _, c := range []struct {
			name string
			helm string
			args []string
			want string
		}{
			{"no keyring", helm4, []string{"--key", signer.email}, "--keyring is empty"},
			{"missing keyring", helm4, []string{"--keyring", filepath.Join(keys, "nope.gpg"), "--key", signer.email}, "no such file"},
			{"no key", helm4, []string{"--keyring", signer.sec}, "--key is empty"},
			{"helm 3", cluster.Tool(t, "helm3"), []string{"--keyring", signer.sec, "--key", signer.email}, "needs Helm 4"},
			{"bad platform", helm4, []string{"--keyring", signer.sec, "--key", signer.email, "--platforms", "linux"}, `"linux" is not OS/ARCH`},
			{"unknown flag", helm4, []string{"--sign=false"}, `unknown argument "--sign=false"`},
			{"public keyring", helm4, []string{"--keyring", signer.pub, "--key", signer.email}, "not a private key"},
			{"flag without value", helm4, []string{"--keyring", signer.sec, "--key"}, "--key needs a value"},
		} {
			dest := t.TempDir()
			out, code := runPluginPackage(t, c.helm, append([]string{"--dest", dest}, c.args...)...)
			if code == 0 || !strings.Contains(out, c.want) {
				t.Errorf("%s: exit %d, want a refusal naming %q:\n%s", c.name, code, c.want, out)
			}
			if left, _ := filepath.Glob(filepath.Join(dest, "*", "*")); len(left) > 0 {
				t.Errorf("%s: refused, yet wrote %v", c.name, left)
			}
		}
	})

	dist := filepath.Join(t.TempDir(), "helm4")
	if out, code := runPluginPackage(t, helm4, "--keyring", signer.sec, "--key", signer.email, "--dest", dist, "--platforms", "host"); code != 0 {
		t.Fatalf("hack/plugin-package.sh: exit %d\n%s", code, out)
	}
	dir := filepath.Join(dist, strings.ReplaceAll(platform, "/", "-"))
	cliPkg := filepath.Join(dir, "sparkmr3-"+version+".tgz")
	prPkg := filepath.Join(dir, "sparkmr3-postrender-"+version+".tgz")
	for _, f := range []string{cliPkg, cliPkg + ".prov", prPkg, prPkg + ".prov"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("the package script made no %s: %v", f, err)
		}
	}

	t.Run("helm4 verifies, installs and runs both", func(t *testing.T) {
		h := freshHelm(t, "helm4")
		for _, pkg := range []string{cliPkg, prPkg} {
			if out := h.mustRun(t, "plugin", "verify", pkg, "--keyring", signer.pub); !strings.Contains(out, signer.email) {
				t.Fatalf("helm4 plugin verify %s does not name the signer:\n%s", pkg, out)
			}
			// No --verify flag: Helm 4 verifies a .tgz by default.
			out := h.mustRun(t, "plugin", "install", pkg, "--keyring", signer.pub)
			if !strings.Contains(out, "Plugin Hash Verified") || !strings.Contains(out, signer.email) {
				t.Fatalf("helm4 plugin install %s did not verify:\n%s", pkg, out)
			}
		}
		// Nothing runs at install: the manifests have no hooks, the binary is in the package.
		for _, name := range []string{"sparkmr3", "sparkmr3-postrender"} {
			dir := filepath.Join(h.home, "data", "plugins", name)
			m, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if regexp.MustCompile(`(?m)^\s*(hooks|platformHooks):`).Match(m) {
				t.Fatalf("the packaged %s/plugin.yaml has an install hook:\n%s", name, m)
			}
			if _, err := os.Stat(filepath.Join(dir, "bin", "helm-sparkmr3")); err != nil {
				t.Fatalf("the packaged %s has no prebuilt binary: %v", name, err)
			}
		}
		list := h.mustRun(t, "plugin", "list")
		for _, want := range []string{`(?m)^sparkmr3\s+` + regexp.QuoteMeta(version) + `\s+cli/v1\s+legacy\s+signed`,
			`(?m)^sparkmr3-postrender\s+` + regexp.QuoteMeta(version) + `\s+postrenderer/v1\s+v1\s+signed`} {
			if !regexp.MustCompile(want).MatchString(list) {
				t.Fatalf("helm4 plugin list does not match %s:\n%s", want, list)
			}
		}
		if out := h.mustRun(t, "sparkmr3", "version"); !strings.Contains(out, "v"+version) {
			t.Fatalf("helm4 sparkmr3 version from the package: %s", out)
		}
		chart := filepath.Join(repoRoot, "charts", "spark-mr3")
		if out := h.mustRun(t, "template", "pr", chart, "-n", "ns1", "--post-renderer", "sparkmr3-postrender"); !strings.Contains(out, "kind: StatefulSet") {
			t.Fatalf("helm4 template through the packaged post-renderer lost the manifests:\n%s", out)
		}
	})

	t.Run("same CLI package over http: helm4 verifies, helm3 cannot read it", func(t *testing.T) {
		files := http.FileServer(http.Dir(dist))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, ".tgz") {
				w.Header().Set("Content-Type", "application/gzip")
			}
			files.ServeHTTP(w, r)
		}))
		defer srv.Close()
		url := srv.URL + "/" + filepath.Base(dir) + "/" + filepath.Base(cliPkg)

		h4 := freshHelm(t, "helm4")
		if out := h4.mustRun(t, "plugin", "install", url, "--keyring", signer.pub); !strings.Contains(out, "Plugin Hash Verified") {
			t.Fatalf("helm4 plugin install %s did not verify:\n%s", url, out)
		}
		if out := h4.mustRun(t, "sparkmr3", "version"); !strings.Contains(out, "v"+version) {
			t.Fatalf("helm4 sparkmr3 version: %s", out)
		}
		// Helm 3 reads plugin.yaml at an archive's root, Helm 4 packages hold NAME/plugin.yaml:
		// Helm 3 users install from the source (docs/PLUGIN.md), not from these packages. If
		// this starts to pass, say so in docs/PLUGIN.md.
		h3 := freshHelm(t, "helm3")
		if o, e, code := h3.run(t, "", "plugin", "install", url); code == 0 || !strings.Contains(e, "plugin.yaml") {
			t.Fatalf("helm3 plugin install %s: exit %d, want the documented refusal (no plugin.yaml at the root)\n%s%s", url, code, o, e)
		}
	})

	t.Run("tampered package refused", func(t *testing.T) {
		for _, pkg := range []string{cliPkg, prPkg} {
			bad := copyPackage(t, pkg, true)
			tamper(t, bad)
			name := strings.TrimSuffix(filepath.Base(pkg), "-"+version+".tgz")
			refusedInstall(t, bad, signer.pub, name, "plugin verification failed")
		}
	})

	t.Run("package without provenance refused", func(t *testing.T) {
		refusedInstall(t, copyPackage(t, cliPkg, false), signer.pub, "sparkmr3", "no provenance file")
	})

	t.Run("package signed by another key refused", func(t *testing.T) {
		otherDist := filepath.Join(t.TempDir(), "helm4")
		if out, code := runPluginPackage(t, helm4, "--keyring", other.sec, "--key", other.email, "--dest", otherDist, "--platforms", "host"); code != 0 {
			t.Fatalf("hack/plugin-package.sh with the other key: exit %d\n%s", code, out)
		}
		for _, name := range []string{"sparkmr3", "sparkmr3-postrender"} {
			pkg := filepath.Join(otherDist, filepath.Base(dir), name+"-"+version+".tgz")
			refusedInstall(t, pkg, signer.pub, name, "plugin verification failed")
		}
	})

	t.Run("key not in keyring refused before building", func(t *testing.T) {
		dest := t.TempDir()
		out, code := runPluginPackage(t, helm4, "--keyring", signer.sec, "--key", other.email, "--dest", dest, "--platforms", "host")
		if code == 0 || !strings.Contains(out, `cannot sign with --key "`+other.email+`"`) || strings.Contains(out, "building") {
			t.Fatalf("signing with a key the keyring lacks: exit %d (want a refusal before any build)\n%s", code, out)
		}
		if left, _ := filepath.Glob(filepath.Join(dest, "*", "*.tgz*")); len(left) > 0 {
			t.Fatalf("refused, yet wrote %v", left)
		}
	})
}
