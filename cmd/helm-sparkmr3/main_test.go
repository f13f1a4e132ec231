package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// build builds the plugin binary into a new directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "helm-sparkmr3")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func runBin(t *testing.T, env []string, bin, stdin string, args ...string) (code int, stdout, stderr string) {
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

// TestBinaryExitCodes checks what a user (or helm) sees of the binary: output streams and the
// documented exit codes, for every kind of answer.
func TestBinaryExitCodes(t *testing.T) {
	bin := build(t)
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	bad := "apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n"
	cases := []struct {
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, "", 0, "helm-sparkmr3 ", ""},
		{[]string{"version", "--help"}, "", 0, "Global Flags:", ""},
		{[]string{"postrender"}, "", 0, "", ""},
		{[]string{"postrender"}, cm, 0, "kind: ConfigMap", ""},
		{[]string{"postrender"}, bad, 1, "", "Error: read helm's rendered manifests"},
		{[]string{"postrender", "--kustomize", "/does/not/exist"}, "", 2, "", "--kustomize /does/not/exist: not a directory"},
		{[]string{"postrender", "--kustomize"}, "", 2, "", "flag needs an argument: --kustomize"},
		{[]string{"postrender", "extra"}, "", 2, "", "postrender: unknown command \"extra\""},
		{[]string{"nosuch"}, "", 2, "", `unknown command "nosuch"`},
		{[]string{"env"}, "", 2, "", "env: accepts 1 arg(s), received 0"},
		{[]string{"status", "r", "--bogus"}, "", 2, "", "unknown flag: --bogus"},
		{[]string{"values", "r"}, "", 2, "", "--file is required"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errOut := runBin(t, nil, bin, c.stdin, c.args...)
			if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, c.code, out, errOut)
			}
		})
	}
}

// TestPostrenderOverlayEngines: an annotations overlay gives the same manifests whichever
// engine SPARKMR3_OVERLAY picks, and a wrong value is a usage error that names it.
func TestPostrenderOverlayEngines(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	k := "resources: [helm-output.yaml]\ncommonAnnotations:\n  team.example.com/owner: spark\n"
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	in := "---\n# Source: x/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n"
	outs := map[string]string{}
	for _, engine := range []string{"", "auto", "kustomize"} {
		code, out, errOut := runBin(t, []string{"SPARKMR3_OVERLAY=" + engine}, bin, in, "postrender", "--kustomize", dir)
		if code != 0 || !strings.Contains(out, "team.example.com/owner: spark") {
			t.Fatalf("SPARKMR3_OVERLAY=%q: exit %d, stdout %q, stderr %q", engine, code, out, errOut)
		}
		outs[engine] = out
	}
	if !strings.Contains(outs[""], "# Source: x/templates/cm.yaml") || outs[""] != outs["auto"] {
		t.Errorf("spark-mr3's overlay output:\n%s", outs[""])
	}
	code, _, errOut := runBin(t, []string{"SPARKMR3_OVERLAY=fast"}, bin, in, "postrender", "--kustomize", dir)
	if code != 2 || !strings.Contains(errOut, `SPARKMR3_OVERLAY="fast" in the environment: use "kustomize"`) {
		t.Fatalf("SPARKMR3_OVERLAY=fast: exit %d, stderr %q", code, errOut)
	}
}
