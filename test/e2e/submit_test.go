package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
	"github.com/spark-mr3/spark-mr3/plugin/driver"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

// sparkArgs are Spark arguments with quotes and shell characters that MR3's scripts pass on
// intact (no whitespace, no glob characters, none empty: submit refuses those, see
// TestContractRefusedArgumentsRunNothing): each must reach the driver command unchanged.
var sparkArgs = []string{
	"--driver-java-options", "-Dx='quoted'",
	"--jars", "/opt/a.jar,/opt/c.jar",
	"--conf", `spark.app.name=my"quoted"app`,
	"--conf", "spark.executor.extraJavaOptions=-XX:+UseG1GC;$NOT_EXPANDED&&`not-run`",
	"--class", "org.example.Main", "app.jar", "it's", "a|b>c",
}

// This test and the next are about waiting and the exec transport (arguments, stdin, exit
// code through kwok), so the driver command is the recording stand-in, not the MR3 model.
func TestSubmitWaitsForLateDriverAndPassesArgs(t *testing.T) {
	f := newSubmitFixture(t)
	type result struct {
		out, errOut string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, code := f.runCLI(nil, append([]string{"submit", f.rel, "--timeout", "90s", "--"}, sparkArgs...)...)
		done <- result{out, errOut, code}
	}()
	// Nothing of the release exists when submit starts; it must wait, not fail.
	select {
	case r := <-done:
		t.Fatalf("submit returned before the release existed: %d %s", r.code, r.errOut)
	case <-time.After(500 * time.Millisecond):
	}
	f.createShared()
	f.createDriver("spark1", nil)
	r := <-done
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.out, r.errOut)
	}
	if got := lines(f.record("args")); !slices.Equal(got, sparkArgs) {
		t.Fatalf("arguments changed on the way:\n got %q\nwant %q", got, sparkArgs)
	}
	if !strings.Contains(r.out, "stand-in ran with "+strconv.Itoa(len(sparkArgs))+" args") {
		t.Errorf("stdout not streamed: %q", r.out)
	}
	for _, want := range []string{"waiting: statefulset/", "pod/" + driverPodName(f.rel, "spark1") + ": Ready", "ready after"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("progress lacks %q:\n%s", want, r.errOut)
		}
	}
}

func TestSubmitExitCodeAndStdinThroughKwok(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	f.createDriver("spark1", nil)
	write(t, f.dir+"/exitcode", "7\n", 0o644)
	write(t, f.dir+"/read-stdin", "", 0o644)
	in := bytes.Repeat([]byte("select 1;\x00\xff\n"), 20000)
	_, errOut, code := f.runCLI(bytes.NewReader(in), "submit", f.rel, "-i", "--", "--conf", "a=b")
	if code != 7 {
		t.Fatalf("exit code: got %d, want 7\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "exited with code 7") {
		t.Errorf("stderr: %s", errOut)
	}
	if got := f.record("stdin"); got != string(in) {
		t.Fatalf("stdin round trip: sent %d bytes, the driver got %d", len(in), len(got))
	}
	// Without -i the driver command gets no input: it must not hang waiting for it.
	_, errOut, code = f.runCLI(strings.NewReader("ignored"), "submit", f.rel)
	if code != 7 || f.record("stdin") != "" {
		t.Fatalf("without -i: exit %d, stdin %q\n%s", code, f.record("stdin"), errOut)
	}
}

func TestSubmitTimeoutNamesUnschedulablePodThenProceedsWhenNodeLabelled(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	key := "sparkmr3-e2e/" + f.ns
	f.createDriver("spark1", map[string]string{key: "yes"})
	f.untilPod(driverPodName(f.rel, "spark1"), func(p *corev1.Pod) bool {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
				return true
			}
		}
		return false
	})
	_, errOut, code := f.runCLI(nil, "submit", f.rel, "--timeout", "2s")
	if code != cli.ExitNotReady {
		t.Fatalf("exit %d, want %d\n%s", code, cli.ExitNotReady, errOut)
	}
	for _, want := range []string{`release "rel" not ready after 2s`, "pod/" + driverPodName(f.rel, "spark1") + " is not ready: Unschedulable", "node(s) didn't match Pod's node affinity/selector", "FailedScheduling"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("timeout message lacks %q:\n%s", want, errOut)
		}
	}

	done := make(chan int, 1)
	var out bytes.Buffer
	var errBuf lockedBuffer
	go func() { done <- f.runCLIWith(nil, &out, &errBuf, "submit", f.rel, "--timeout", "90s") }()
	time.Sleep(300 * time.Millisecond) // let submit open its watches before the change
	f.labelNode(key, "yes")
	if code := <-done; code != 0 {
		t.Fatalf("exit %d after the node was labelled\n%s", code, errBuf.String())
	}
}

func TestSubmitSurvivesDriverPodDeletedDuringWait(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	key := "sparkmr3-e2e/" + f.ns
	f.createDriver("spark1", map[string]string{key: "yes"})
	first := f.untilPod(driverPodName(f.rel, "spark1"), func(p *corev1.Pod) bool { return true })

	done := make(chan int, 1)
	var errBuf lockedBuffer
	go func() { done <- f.runCLIWith(nil, io.Discard, &errBuf, "submit", f.rel, "--timeout", "90s") }()
	time.Sleep(300 * time.Millisecond)
	must(t, f.cs.CoreV1().Pods(f.ns).Delete(context.Background(), driverPodName(f.rel, "spark1"), metav1.DeleteOptions{GracePeriodSeconds: new(int64)}))
	f.untilPod(driverPodName(f.rel, "spark1"), func(p *corev1.Pod) bool { return p.UID != first.UID })
	select {
	case code := <-done:
		t.Fatalf("submit ended (%d) before the replacement Pod was ready\n%s", code, errBuf.String())
	default:
	}
	f.labelNode(key, "yes")
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\n%s", code, errBuf.String())
	}
}

func TestSubmitUnknownDriverListsDrivers(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	f.createDriver("spark1", nil)
	f.createDriver("spark2", nil)
	_, errOut, code := f.runCLI(nil, "submit", f.rel, "--driver", "spark9")
	if code != cli.ExitUsage || !strings.Contains(errOut, `no driver "spark9"; its drivers: spark1, spark2`) {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	_, errOut, code = f.runCLI(nil, "submit", f.rel, "--timeout", "60s")
	// Whichever driver is Ready first is used; the note names the choice and the others.
	if code != 0 || !strings.Contains(errOut, "(drivers: spark1, spark2; choose with --driver)") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

func TestShellOverPTY(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	f.createDriver("spark1", nil)
	f.untilPod(driverPodName(f.rel, "spark1"), func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })

	ptmx, tty, err := pty.Open()
	must(t, err)
	defer ptmx.Close()
	defer tty.Close()
	must(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 41, Cols: 123}))
	output := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			if n > 0 {
				output <- string(buf[:n])
			}
			if err != nil {
				close(output)
				return
			}
		}
	}()
	done := make(chan int, 1)
	go func() { done <- f.runCLIWith(tty, tty, tty, "shell", f.rel, "--timeout", "60s") }()

	var seen strings.Builder
	waitFor := func(want string) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for !strings.Contains(seen.String(), want) {
			select {
			case s, ok := <-output:
				if !ok {
					t.Fatalf("terminal closed before %q; got %q", want, seen.String())
				}
				seen.WriteString(s)
			case <-deadline:
				t.Fatalf("no %q on the terminal; got %q", want, seen.String())
			}
		}
	}
	waitFor("tty:yes size:41 123")
	// Ctrl-C in raw mode is a byte for the remote shell, not a signal for us.
	_, err = ptmx.Write([]byte{3})
	must(t, err)
	waitFor("byte:03")
	select {
	case code := <-done:
		for drained := false; !drained; { // the error line, if any, is still on its way
			select {
			case s, ok := <-output:
				seen.WriteString(s)
				drained = !ok
			case <-time.After(300 * time.Millisecond):
				drained = true
			}
		}
		// The kwok exec patch (test/cluster/tools/kwok-exec.patch) reports exit codes the
		// kubelet way with and without a TTY.
		if code != 3 {
			t.Fatalf("shell exit %d, want the remote 3; terminal: %q", code, seen.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("shell did not end")
	}
}

// TestSubmitLocalGetsTokenEnvAndDriverConfs: an outside driver (MR3's script, modelled, on a
// staged node whose BASE_DIR env --write-dir wrote) gets the release's token pair in its
// environment and, after the script's own --conf list, the confs submit adds:
// spark.driver.host, a free spark.driver.port and the AM Service's address, then the user's.
func TestSubmitLocalGetsTokenEnvAndDriverConfs(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"}, outsideValues...)
	node := stageOutsideNode(t, m)
	out, errOut, code := m.runCLI(nil, "submit", m.rel, "--local", "--script", node.SubmitScript(), "--driver-host", "gold0", "--", "--conf", "x=ab", "app.jar")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, scriptErrors(out), errOut)
	}
	tok := m.token()
	if strings.Contains(out+errOut, tok.Key) {
		t.Fatal("the token was printed")
	}
	r, err := node.LastRun()
	must(t, err)
	sum := sha256.Sum256([]byte(tok.Key))
	if r.Env[contract.KeyToken] != "sha256:"+hex.EncodeToString(sum[:]) || r.Env[contract.KeyTimestamp] != strconv.FormatInt(tok.Timestamp, 10) {
		t.Fatalf("the local driver's token variables are not the release's: %q %q", r.Env[contract.KeyToken], r.Env[contract.KeyTimestamp])
	}
	s := r.Submit()
	const scriptConfs = 12 // MR3's script's own --conf list comes first
	if len(s.Conf) < scriptConfs {
		t.Fatalf("--conf list %q", s.Conf)
	}
	added := s.Conf[scriptConfs:]
	var port string
	if len(added) > 1 && added[1].Key == "spark.driver.port" {
		port = added[1].Value
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 {
		t.Fatalf("no spark.driver.port after the script's --conf list: %q", added)
	}
	want := []mr3model.KV{{Key: "spark.driver.host", Value: "gold0"}, {Key: "spark.driver.port", Value: port},
		{Key: "spark.mr3.k8s.am.service.host", Value: "192.0.2.10"}, {Key: "spark.mr3.k8s.am.service.port", Value: "9862"}, {Key: "x", Value: "ab"}}
	if !slices.Equal(added, want) || !slices.Equal(s.Rest, []string{"app.jar"}) {
		t.Fatalf("after the script's --conf list: %q then %q\nwant %q then [app.jar]", added, s.Rest, want)
	}
	if strings.Contains(errOut, "mr3.k8s.host.aliases") {
		t.Errorf("gold0 is in the host aliases: no warning about it expected, got %q", errOut)
	}

	// A host missing from mr3.k8s.host.aliases gets a warning; the exit code is the job's.
	must(t, node.SetExitCode(5))
	_, errOut, code = m.runCLI(nil, "submit", m.rel, "--local", "--script", node.SubmitScript(), "--driver-host", "silver9", "--", "app.jar")
	if code != 5 || !strings.Contains(errOut, "warning: host silver9 is not in mr3.k8s.host.aliases") || !strings.Contains(errOut, "UnknownHostException") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}

func TestSubmitDryRunMasksToken(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	f.createDriver("spark1", nil)
	out, errOut, code := f.runCLI(nil, "submit", f.rel, "--dry-run", "--local", "--script", "/opt/x/run-spark-submit.sh", "--driver-host", "gold0", "--", "--conf", "a=b")
	if code != 0 || strings.Contains(out+errOut, submitToken) || !strings.Contains(out, "CLIENT_TO_AM_TOKEN_KEY=********") ||
		!strings.Contains(out, "MR3_APPLICATION_ID_TIMESTAMP=4711") || !strings.Contains(out, "--conf a=b") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	out, errOut, code = f.runCLI(nil, "submit", f.rel, "--dry-run", "--timeout", "60s", "--", "--conf", "a=b")
	if code != 0 || !strings.Contains(out, "/bin/bash -o pipefail "+f.script+" --conf a=b") || !strings.Contains(out, "pod "+f.ns+"/"+driverPodName(f.rel, "spark1")+" container driver") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(f.dir + "/start"); err == nil {
		t.Fatal("--dry-run ran the driver command")
	}
}

// TestSubmitReadyToExecLatency logs what submit adds between seeing the driver Ready and
// starting the exec, and asserts the API requests before the exec: at most 5 (one LIST per
// kind, no watch needed when everything is ready), whatever the number of drivers.
func TestSubmitReadyToExecLatency(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	for _, d := range []string{"spark1", "spark2", "spark3"} {
		f.createDriver(d, nil)
	}
	// Measure the steady state: every driver Ready before the first run (else the first runs
	// also watch, which is right but not what this counts).
	for _, d := range []string{"spark1", "spark2", "spark3"} {
		f.untilPod(driverPodName(f.rel, d), func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning && chartPodReady(p) })
	}
	var gaps []time.Duration
	for i := range 16 {
		var requests atomic.Int64
		cfg := countingConfig(f.c.RESTConfig(t), &requests)
		client, err := kubernetes.NewForConfig(cfg)
		must(t, err)
		var readyAt time.Time
		var before int64
		o := &driver.Options{Verb: driver.Submit, Release: f.rel, Namespace: f.ns, Driver: "spark2", Timeout: time.Minute,
			IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
			Config: cfg, Client: client,
			Hooks: driver.Hooks{Ready: func(r *rollout.Ready) { readyAt = r.At }, Started: func(at time.Time) {
				gaps = append(gaps, at.Sub(readyAt))
				before = requests.Load()
			}}}
		must(t, o.Complete())
		must(t, o.Validate())
		must(t, o.Run(context.Background()))
		if i == 0 {
			// A warm-up run: the StatefulSets' status may still lag their Pods under load, and
			// then submit rightly watches until it catches up.
			gaps = gaps[:0]
			continue
		}
		if before > 5 {
			t.Fatalf("%d API requests before exec, want at most 5", before)
		}
	}
	sort.Slice(gaps, func(i, j int) bool { return gaps[i] < gaps[j] })
	p50 := gaps[len(gaps)/2]
	// Speed targets are checked by make bench (docs/PERFORMANCE.md), never by a timed assertion.
	t.Logf("ready→exec start over %d runs: p50 %s, max %s", len(gaps), p50, gaps[len(gaps)-1])
}

// TestSubmitWaitingCostsOneRequestPerKind: while the driver does not exist yet, submit waits on
// one streaming watch per kind (watch-list: the initial state comes on the watch itself), so
// the whole wait costs five requests — no LISTs next to them, no polling.
func TestSubmitWaitingCostsOneRequestPerKind(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	var requests atomic.Int64
	cfg := countingConfig(f.c.RESTConfig(t), &requests)
	client, err := kubernetes.NewForConfig(cfg)
	must(t, err)
	var before int64
	o := &driver.Options{Verb: driver.Submit, Release: f.rel, Namespace: f.ns, Driver: "spark1", Timeout: time.Minute,
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard},
		Config: cfg, Client: client,
		Hooks: driver.Hooks{Started: func(time.Time) { before = requests.Load() }}}
	must(t, o.Complete())
	must(t, o.Validate())
	done := make(chan error, 1)
	go func() { done <- o.Run(context.Background()) }()
	time.Sleep(300 * time.Millisecond) // submit is waiting on its watches by now
	f.createDriver("spark1", nil)
	must(t, <-done)
	if before > 5 {
		t.Fatalf("%d API requests before exec while waiting for a driver, want 5 (one streaming watch per kind)", before)
	}
	t.Logf("%d API requests before exec", before)
}
