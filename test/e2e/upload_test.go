package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

// untilRun waits until driver d's model spark-submit has started a run after the first n,
// and returns it.
func untilRun(t *testing.T, d *mr3model.Driver, n int, d2 time.Duration) *mr3model.Run {
	t.Helper()
	deadline := time.Now().Add(d2)
	for {
		if runs, err := d.Runs(); err == nil && len(runs) > n && len(runs[n].Argv) > 0 {
			return runs[n]
		}
		if time.Now().After(deadline) {
			t.Fatalf("driver %s: no new run of the model's spark-submit within %s", d.Name, d2)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runDirs lists the per-run dirs submit left in driver d's result dir.
func runDirs(t *testing.T, d *mr3model.Driver) []string {
	t.Helper()
	entries, err := os.ReadDir(d.Host(mr3model.RemoteBase + "/spark/spark-submit-result"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".sparkmr3-run-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestSubmitUploadThroughKwok: `submit --upload ./app.jar,./dep.jar -- --jars ./dep.jar … ./app.jar`
// run from the files' folder, against a chart release whose driver runs MR3's scripts (the
// model): the files land in the driver Pod (a per-run dir in MR3's result dir) with their
// content, MR3's script and spark-submit get their paths there (the application and the --jars
// list), and the run dir is gone after the job.
func TestSubmitUploadThroughKwok(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	d := m.drivers["spark1"]
	p := newPluginProc(t, m.c.Kubeconfig())
	local := t.TempDir()
	jar := make([]byte, 3<<20)
	if _, err := rand.Read(jar); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(local, "app.jar"), string(jar), 0o644)
	write(t, filepath.Join(local, "dep.jar"), "dependency", 0o644)
	before := m.runs("spark1")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.command(ctx, "submit", m.rel, "-n", m.ns, "--timeout", "60s", "--upload", "./app.jar,./dep.jar", "--",
		"--jars", "./dep.jar", "--class", "com.example.Main", "./app.jar", "1000", "mr3model-sleep=2")
	cmd.Dir = local
	var out bytes.Buffer
	var errOut lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	must(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// While the job runs (it sleeps 2 s), the files are in the Pod where the arguments say.
	r := untilRun(t, d, before, 60*time.Second)
	s := mr3model.ParseSubmit(r.PodArgv)
	if len(s.Rest) < 5 {
		t.Fatalf("spark-submit got %q", r.PodArgv)
	}
	app := s.Rest[len(s.Rest)-3]
	dir := path.Dir(app)
	if want := mr3model.RemoteBase + "/spark/spark-submit-result/.sparkmr3-run-"; !strings.HasPrefix(dir, want) || path.Base(app) != "app.jar" {
		t.Fatalf("application %s, want app.jar in a run dir %s*", app, want)
	}
	if want := []string{"--class", "com.example.Main", app, "1000", "mr3model-sleep=2"}; !slices.Equal(s.Rest[len(s.Rest)-5:], want) {
		t.Fatalf("spark-submit's arguments end %q, want %q", s.Rest, want)
	}
	if s.Jars != dir+"/dep.jar" {
		t.Fatalf("--jars %q, want %s/dep.jar", s.Jars, dir)
	}
	got, err := os.ReadFile(d.Host(app))
	must(t, err)
	if !bytes.Equal(got, jar) {
		t.Fatalf("app.jar in the Pod has %d bytes, differing from the local %d", len(got), len(jar))
	}
	if got, err := os.ReadFile(d.Host(dir + "/dep.jar")); err != nil || string(got) != "dependency" {
		t.Fatalf("dep.jar in the Pod: %q %v", got, err)
	}

	if err := <-done; err != nil {
		t.Fatalf("submit: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if r := m.lastRun("spark1"); r.Exit != 0 {
		t.Fatalf("spark-submit exited %d", r.Exit)
	}
	if left := runDirs(t, d); len(left) != 0 {
		t.Fatalf("run dirs left in the Pod after the job: %q", left)
	}
}

// TestSubmitUploadRefusalsRunNothing: each bad --upload is exit 2 with its reason, and
// nothing reaches the driver Pod.
func TestSubmitUploadRefusalsRunNothing(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	p := newPluginProc(t, m.c.Kubeconfig())
	local := t.TempDir()
	write(t, filepath.Join(local, "app.jar"), "x", 0o644)
	write(t, filepath.Join(local, "my app.jar"), "x", 0o644)
	must(t, os.MkdirAll(filepath.Join(local, "lib"), 0o755))
	write(t, filepath.Join(local, "lib", "app.jar"), "y", 0o644)
	before := m.runs("spark1")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"--upload", "./nope.jar"}, "--upload ./nope.jar: no such file or directory"},
		{"directory", []string{"--upload", "lib"}, "--upload lib is a directory"},
		{"space", []string{"--upload", "my app.jar"}, `"my app.jar" has whitespace`},
		{"clash", []string{"--upload", "app.jar,lib/app.jar"}, "have the same file name app.jar"},
		{"with --local", []string{"--upload", "app.jar", "--local", "--script", "/x/spark/run-spark-submit.sh"}, "--upload copies files into a driver Pod and --local"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := p.command(ctx, append(append([]string{"submit", m.rel, "-n", m.ns}, tc.args...), "--", "app.jar")...)
			cmd.Dir = local
			b, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != 2 || !strings.Contains(string(b), tc.want) {
				t.Fatalf("exit %d (want 2) and %q:\n%s", code, tc.want, b)
			}
		})
	}
	if got := m.runs("spark1"); got != before {
		t.Fatalf("spark-submit ran %d time(s) for refused uploads", got-before)
	}
	if left := runDirs(t, m.drivers["spark1"]); len(left) != 0 {
		t.Fatalf("refused uploads made run dirs: %q", left)
	}
}

// TestUploadRunDirIsWritableInTheChartsPod: the run dir submit and shell use (uploads and the
// job's process group id) lies on a writable mount of the chart's driver Pod, with the default
// security context and with readOnlyRootFilesystem=true — the model's pod-mounts, which the
// stager derives from the rendered Pod, decide (kwok's exec writes the host, so only the Pod
// spec can say what the real container could write).
func TestUploadRunDirIsWritableInTheChartsPod(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra map[string]any
		root  string // the mode of "/"
	}{
		{"default", nil, "rw"},
		{"read-only root", map[string]any{"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true}}, "ro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var extra []map[string]any
			if tc.extra != nil {
				extra = append(extra, tc.extra)
			}
			m, err := mr3model.ParseManifest(renderChart(t, nil, extra...), contractNamespace)
			must(t, err)
			d, err := m.Stage(mr3model.Root(t.TempDir()), "spark1")
			must(t, err)
			b, err := os.ReadFile(d.Host(mr3model.RemoteBase + "/.mr3model/pod-mounts"))
			must(t, err)
			mounts := map[string]string{}
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if mode, p, ok := strings.Cut(l, " "); ok && (mode == "rw" || mode == "ro") {
					mounts[p] = mode
				}
			}
			if mounts["/"] != tc.root {
				t.Fatalf("/ is %q, want %q (pod-mounts:\n%s)", mounts["/"], tc.root, b)
			}
			for _, result := range []string{"spark-submit-result", "spark-shell-result"} {
				runDir := mr3model.RemoteBase + "/spark/" + result + "/.sparkmr3-run-0123456789abcdef"
				best, mode := "", ""
				for p, m := range mounts {
					if (p == "/" || runDir == p || strings.HasPrefix(runDir, p+"/")) && len(p) >= len(best) {
						best, mode = p, m
					}
				}
				if mode != "rw" {
					t.Errorf("run dir %s is on %s mount %s; submit --upload and the stop of a job need it writable (pod-mounts:\n%s)", runDir, mode, best, b)
				}
			}
		})
	}
}
