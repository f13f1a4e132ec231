package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsWithoutACluster: down is harmless when nothing runs, status says so and fails,
// and an unknown verb is refused — without leaving anything behind.
func TestCommandsWithoutACluster(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "localcluster")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "state")
	cases := []struct {
		args []string
		ok   bool
		want string
	}{
		{[]string{"down", "--dir", dir}, true, "nothing running"},
		{[]string{"status", "--dir", dir}, false, "localcluster status"},
		{[]string{"sideways"}, false, `unknown verb "sideways"`},
	}
	for _, c := range cases {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		if (err == nil) != c.ok || !strings.Contains(string(out), c.want) {
			t.Errorf("localcluster %v: err %v, output %q; want ok=%v and %q", c.args, err, out, c.ok, c.want)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a command without a cluster created %s", dir)
	}
}
