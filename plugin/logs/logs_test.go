package logs

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/cli/output"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

// localExec runs argv on this machine, as kwok's exec does: the list script and the reads are
// the real commands, only the transport is left out.
func localExec(ctx context.Context, argv []string, stdout, stderr io.Writer) (int, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

func mkfile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// podFS lays out a driver's result folders under a temporary "/" and returns its ResultDirs.
func podFS(t *testing.T) []ResultDir {
	root := t.TempDir()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		"sparkmr3.io/submit-command": root + "/opt/mr3-run/spark/run-spark-submit.sh",
		"sparkmr3.io/shell-command":  root + "/opt/mr3-run/spark/run-spark-shell.sh",
	}}}
	dirs := ResultDirs(Driver{Name: "spark1", Pod: pod})
	sub, sh := dirs[0].Path, dirs[1].Path
	mkfile(t, sub+"/spark-mr3-2026-11-30-10-00-00-aaaa/spark-logs/out-spark-submit.txt", "first job\n")
	mkfile(t, sub+"/spark-mr3-2026-11-30-12-00-00-bbbb/spark-logs/out-spark-submit.txt", "second job\nline 2\n")
	mkfile(t, sub+"/spark-mr3-2026-11-30-12-00-00-bbbb/conf/env.sh", "x\n")
	mkfile(t, sub+"/spark-mr3-2026-11-30-13-00-00-cccc/conf/env.sh", "x\n") // starting: no log yet
	mkfile(t, sh+"/spark-mr3-2026-11-30-11-00-00-dddd/conf/env.sh", "x\n")
	mkfile(t, sub+"/not a run/spark-logs/x", "ignored\n")
	mkfile(t, sub+"/stray-file", "ignored\n")
	return dirs
}

func TestResultDirsFollowTheDriverCommands(t *testing.T) {
	for _, tc := range []struct {
		name string
		ann  map[string]string
		want [2]string
	}{
		{"MR3's image", nil, [2]string{"/opt/mr3-run/spark/spark-submit-result", "/opt/mr3-run/spark/spark-shell-result"}},
		{"annotated", map[string]string{"sparkmr3.io/submit-command": "/x/mr3/spark/run-spark-submit.sh", "sparkmr3.io/shell-command": "/y/bin/run-spark-shell.sh"},
			[2]string{"/x/mr3/spark/spark-submit-result", "/y/spark/spark-shell-result"}},
		{"relative ignored", map[string]string{"sparkmr3.io/submit-command": "run.sh"}, [2]string{"/opt/mr3-run/spark/spark-submit-result", "/opt/mr3-run/spark/spark-shell-result"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ResultDirs(Driver{Pod: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: tc.ann}}})
			if d[0].Path != tc.want[0] || d[1].Path != tc.want[1] || d[0].Kind != Submit || d[1].Kind != Shell {
				t.Fatalf("got %+v, want %v", d, tc.want)
			}
		})
	}
}

func TestListRunsNewestFirst(t *testing.T) {
	dirs := podFS(t)
	runs, err := ListRuns(context.Background(), localExec, dirs)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, string(r.Kind)+":"+r.ID+":"+strings.Join(r.Logs, ","))
	}
	want := []string{
		"submit:spark-mr3-2026-11-30-13-00-00-cccc:",
		"submit:spark-mr3-2026-11-30-12-00-00-bbbb:out-spark-submit.txt",
		"shell:spark-mr3-2026-11-30-11-00-00-dddd:",
		"submit:spark-mr3-2026-11-30-10-00-00-aaaa:out-spark-submit.txt",
	}
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Fatalf("runs:\n%s\nwant:\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
	if runs[1].Started == nil || runs[1].Started.Format("15:04") != "12:00" {
		t.Errorf("start time of %s: %v", runs[1].ID, runs[1].Started)
	}

	// No result folder at all (a fresh Pod with a custom image): no runs, no error.
	none, err := ListRuns(context.Background(), localExec, []ResultDir{{Submit, t.TempDir() + "/missing"}})
	if err != nil || len(none) != 0 {
		t.Fatalf("missing folder: %v %v", none, err)
	}
}

func TestRunListFormats(t *testing.T) {
	runs, err := ListRuns(context.Background(), localExec, podFS(t))
	if err != nil {
		t.Fatal(err)
	}
	for i := range runs {
		runs[i].Dir = "/opt/mr3-run/spark/spark-" + string(runs[i].Kind) + "-result/" + runs[i].ID // stable across machines
	}
	l := &RunList{Release: "rel", Driver: "spark1", Pod: "rel-spark1-0", Runs: runs}
	for _, f := range []output.Format{output.Table, output.JSON, output.YAML} {
		var b bytes.Buffer
		if err := f.Write(&b, l); err != nil {
			t.Fatal(err)
		}
		golden.AssertString(t, "testdata/runs."+f.String(), b.String())
	}
	var b bytes.Buffer
	if err := (&RunList{Release: "rel", Driver: "spark1", Pod: "p"}).WriteTable(&b); err != nil || !strings.Contains(b.String(), "has no runs yet") {
		t.Fatalf("empty list: %q %v", b.String(), err)
	}
}

func TestCheckRunIDRefusesPaths(t *testing.T) {
	for id, ok := range map[string]bool{
		"spark-mr3-2026-11-30-12-00-00-4f1c2d3e-aaaa-bbbb-cccc-000011112222": true,
		"run_1.b": true,
		"":        false, "..": false, ".": false, "../etc": false, "a/b": false, "/abs": false,
		"a..b": false, "-n": false, "a b": false, "a\nb": false, "x*": false, "$(id)": false,
	} {
		err := CheckRunID(id)
		if (err == nil) != ok {
			t.Errorf("CheckRunID(%q) = %v, want ok=%v", id, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "--run") {
			t.Errorf("error does not name --run: %v", err)
		}
	}
}

func TestShowLog(t *testing.T) {
	dirs := podFS(t)
	ctx := context.Background()
	runs, err := ListRuns(ctx, localExec, dirs)
	if err != nil {
		t.Fatal(err)
	}
	last, err := FindRun(runs, "", "spark1")
	if err != nil || last.ID != "spark-mr3-2026-11-30-13-00-00-cccc" {
		t.Fatalf("newest: %v %v", last, err)
	}
	// The newest run has no log yet: a plain read says so; follow waits for the tee'd file.
	var out bytes.Buffer
	if err := ShowLog(ctx, localExec, last, false, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "nothing there yet") {
		t.Fatalf("no log: %v", err)
	}
	if p, err := LogPaths(last, true); err != nil || !strings.HasSuffix(p[0], "/spark-logs/out-spark-submit.txt") {
		t.Fatalf("follow a starting run: %v %v", p, err)
	}
	r, err := FindRun(runs, "spark-mr3-2026-11-30-12-00-00-bbbb", "spark1")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := ShowLog(ctx, localExec, r, false, &out, io.Discard); err != nil || out.String() != "second job\nline 2\n" {
		t.Fatalf("log: %q %v", out.String(), err)
	}
	sh, _ := FindRun(runs, "spark-mr3-2026-11-30-11-00-00-dddd", "spark1")
	if err := ShowLog(ctx, localExec, sh, false, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "run-spark-shell.sh does not keep") {
		t.Fatalf("shell run: %v", err)
	}
	if _, err := FindRun(runs, "spark-mr3-nope", "spark1"); err == nil || !strings.Contains(err.Error(), `no run "spark-mr3-nope"`) {
		t.Fatalf("unknown run: %v", err)
	}
	if _, err := FindRun(nil, "", "spark1"); err == nil || !strings.Contains(err.Error(), "no runs yet") {
		t.Fatalf("no runs: %v", err)
	}
}

func driverPod(name, entry string, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{
			"app.kubernetes.io/instance": "rel", "app.kubernetes.io/component": "driver", "sparkmr3.io/driver": entry}},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "driver"}}},
		Status: corev1.PodStatus{Phase: phase},
	}
}

func TestPickDriver(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(
		driverPod("rel-spark1-0", "spark1", corev1.PodRunning),
		driverPod("rel-spark2-0", "spark2", corev1.PodPending),
		driverPod("other-0", "other", corev1.PodRunning), // no release label below
	)
	p := driverPod("x-0", "spark3", corev1.PodRunning)
	p.Labels["app.kubernetes.io/instance"] = "another"
	_, _ = client.CoreV1().Pods("ns").Create(ctx, p, metav1.CreateOptions{})
	ds, err := FindDrivers(ctx, client, "ns", "rel")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Names(ds), ","); got != "other,spark1,spark2" {
		t.Fatalf("drivers: %s", got)
	}
	for _, tc := range []struct{ name, want, note, err string }{
		{"spark1", "rel-spark1-0", "", ""},
		{"spark2", "", "", "is Pending, not Running"},
		{"nope", "", "", `has no driver "nope"; its drivers: other, spark1, spark2`},
		{"", "other-0", "using driver other (drivers: other, spark1, spark2; choose with --driver)", ""},
	} {
		d, note, err := PickDriver(ds, tc.name, "rel", "ns")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || d.Pod.Name != tc.want || note != tc.note {
			t.Errorf("%q: got %v %q %v", tc.name, d.Pod, note, err)
		}
	}
	if _, _, err := PickDriver(nil, "", "rel", "ns"); err == nil || !strings.Contains(err.Error(), "has no driver Pod") {
		t.Errorf("no drivers: %v", err)
	}
}

func TestPodLogsPrefixesOnlySeveral(t *testing.T) {
	pod := func(n string) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	}
	client := fake.NewClientset()
	var out bytes.Buffer
	if err := PodLogs(context.Background(), client, []corev1.Pod{pod("am")}, false, &out); err != nil || out.String() != "fake logs\n" {
		t.Fatalf("one Pod: %q %v", out.String(), err)
	}
	for _, follow := range []bool{false, true} {
		out.Reset()
		if err := PodLogs(context.Background(), client, []corev1.Pod{pod("w-2"), pod("w-1")}, follow, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if follow {
			// Interleaved as they come: the order between Pods is not fixed, lines are whole.
			if !strings.Contains(got, "[w-1] fake logs\n") || !strings.Contains(got, "[w-2] fake logs\n") || len(got) != len("[w-1] fake logs\n")*2 {
				t.Fatalf("follow: %q", got)
			}
		} else if got != "[w-1] fake logs\n[w-2] fake logs\n" {
			t.Fatalf("several Pods: %q", got)
		}
	}
}

func TestValidate(t *testing.T) {
	client := fake.NewClientset()
	for _, tc := range []struct {
		o   Options
		err string
	}{
		{Options{Release: "rel", RunID: "a", Last: true}, "use one of them"},
		{Options{Release: "rel", RunID: "../x"}, "is not a run ID"},
		{Options{Release: "rel", AM: true, Driver: "spark1"}, "leave out --driver"},
		{Options{Release: "rel", Driver: "Bad_Name"}, `--driver "Bad_Name"`},
		{Options{Release: "rel", Workers: true, AM: true}, ""},
	} {
		tc.o.Client = client
		err := tc.o.Validate()
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v, want %q", tc.o, err, tc.err)
		}
	}
}
