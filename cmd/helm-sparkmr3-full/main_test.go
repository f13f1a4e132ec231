package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompleteCLIOnItsOwn: run directly (not through the entry binary), the complete CLI
// answers every verb, the two quick ones included, with the documented exit codes.
func TestCompleteCLIOnItsOwn(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "helm-sparkmr3-full")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cases := []struct {
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"version"}, "", 0, "helm-sparkmr3 ", ""},
		{[]string{"postrender"}, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", 0, "kind: ConfigMap", ""},
		{[]string{"nosuch"}, "", 2, "", `unknown command "nosuch"`},
		{[]string{"env"}, "", 2, "", "env: accepts 1 arg(s), received 0"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.Env = append(os.Environ(), "KUBECONFIG="+filepath.Join(t.TempDir(), "none"))
			cmd.Stdin = strings.NewReader(c.stdin)
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errOut.String(), c.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, c.code, out.String(), errOut.String())
			}
		})
	}
}
