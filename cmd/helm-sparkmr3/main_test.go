package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build builds the entry binary into a new directory, with the complete CLI next to it when
// withFull.
func build(t *testing.T, withFull bool) string {
	t.Helper()
	dir := t.TempDir()
	pkgs := []string{"."}
	if withFull {
		pkgs = append(pkgs, "../helm-sparkmr3-full")
	}
	if out, err := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...).CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "helm-sparkmr3")
}

func runBin(t *testing.T, bin, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runBinEnv(t, nil, bin, stdin, args...)
}

func runBinEnv(t *testing.T, env []string, bin, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none")), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// TestEntryBinaryServesQuickVerbsAlone: version and postrender need nothing but the entry
// binary (they are what a helm render and the start-up benchmark run).
func TestEntryBinaryServesQuickVerbsAlone(t *testing.T) {
	bin := build(t, false)
	if code, out, errOut := runBin(t, bin, "", "version"); code != 0 || !strings.HasPrefix(out, "helm-sparkmr3 ") {
		t.Fatalf("version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := runBin(t, bin, "", "postrender"); code != 0 || out != "" {
		t.Fatalf("postrender of nothing: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	bad := "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n"
	if code, _, errOut := runBin(t, bin, bad, "postrender"); code != 1 || !strings.Contains(errOut, "Error: read helm's rendered manifests") {
		t.Fatalf("postrender of bad YAML: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runBin(t, bin, "", "postrender", "--kustomize", "/does/not/exist"); code != 2 || !strings.Contains(errOut, "--kustomize /does/not/exist: not a directory") {
		t.Fatalf("postrender, bad overlay: exit %d, stderr %q", code, errOut)
	}
}

// TestPostrenderOverlayEngines: an annotations overlay gives the same manifests whichever
// engine SPARKMR3_OVERLAY picks, and a wrong value is a usage error that names it.
func TestPostrenderOverlayEngines(t *testing.T) {
	bin := build(t, false)
	dir := t.TempDir()
	k := "resources: [helm-output.yaml]\ncommonAnnotations:\n  team.example.com/owner: spark\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	in := "---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n"
	outs := map[string]string{}
	for _, engine := range []string{"", "auto", "kustomize"} {
		code, out, errOut := runBinEnv(t, []string{"SPARKMR3_OVERLAY=" + engine}, bin, in, "postrender", "--kustomize", dir)
		if code != 0 || !strings.Contains(out, "team.example.com/owner: spark") {
			t.Fatalf("SPARKMR3_OVERLAY=%q: exit %d, stdout %q, stderr %q", engine, code, out, errOut)
		}
		outs[engine] = out
	}
	if !strings.Contains(outs[""], "# Source: x/templates/cm.yaml") || outs[""] != outs["auto"] {
		t.Errorf("spark-mr3's overlay output:\n%s", outs[""])
	}
	code, _, errOut := runBinEnv(t, []string{"SPARKMR3_OVERLAY=fast"}, bin, in, "postrender", "--kustomize", dir)
	if code != 2 || !strings.Contains(errOut, `SPARKMR3_OVERLAY="fast" in the environment: use "kustomize"`) {
		t.Fatalf("SPARKMR3_OVERLAY=fast: exit %d, stderr %q", code, errOut)
	}
}

// TestEntryBinaryWithoutTheCompleteCLI: any other verb names the missing file and the fix.
func TestEntryBinaryWithoutTheCompleteCLI(t *testing.T) {
	bin := build(t, false)
	code, _, errOut := runBin(t, bin, "", "status", "r")
	if code != 1 || !strings.Contains(errOut, "helm-sparkmr3-full is missing next to") || !strings.Contains(errOut, "helm plugin update sparkmr3") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestBinaryExitCodes builds both binaries and checks what a user (or helm) sees through the
// entry binary: output streams and the documented exit codes, whichever binary answers.
func TestBinaryExitCodes(t *testing.T) {
	bin := build(t, true)
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, 0, "helm-sparkmr3 ", ""},
		{[]string{"version", "--help"}, 0, "Global Flags:", ""}, // answered by the complete CLI
		{[]string{"nosuch"}, 2, "", `unknown command "nosuch"`},
		{[]string{"env"}, 2, "", "env: accepts 1 arg(s), received 0"},
		{[]string{"status", "r", "--bogus"}, 2, "", "unknown flag: --bogus"},
		{[]string{"values", "r"}, 2, "", "--file is required"},
		{[]string{"postrender", "--kustomize"}, 2, "", "flag needs an argument: --kustomize"},
		{[]string{"postrender", "extra"}, 2, "", "postrender: unknown command \"extra\""},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errOut := runBin(t, bin, "", c.args...)
			if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
		})
	}
}
