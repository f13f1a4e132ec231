package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// newFixtureOn is newSubmitFixture on a given (e.g. private) cluster.
func newFixtureOn(t *testing.T, c *cluster.Cluster) *submitFixture {
	t.Helper()
	f := &submitFixture{t: t, c: c, cs: c.Client(t), ns: c.Namespace(t, nil), rel: "rel", dir: t.TempDir()}
	f.script = filepath.Join(f.dir, "run-spark-submit.sh")
	f.shell = filepath.Join(f.dir, "run-spark-shell.sh")
	write(t, f.script, fmt.Sprintf(submitStandIn, f.dir), 0o755)
	write(t, f.shell, shellStandIn, 0o755)
	return f
}

// TestFaultAPIServerRestartDuringSubmitWait: the API server crashes (SIGKILL) and comes back
// while submit waits for an unschedulable driver; submit keeps waiting, sees the driver
// become ready after the restart, runs the job and exits 0.
func TestFaultAPIServerRestartDuringSubmitWait(t *testing.T) {
	c := cluster.Private(t)
	f := newFixtureOn(t, c)
	f.createShared()
	key := "sparkmr3-e2e/" + f.ns
	f.createDriver("spark1", map[string]string{key: "yes"})
	done := make(chan int, 1)
	var errBuf lockedBuffer
	go func() { done <- f.runCLIWith(nil, io.Discard, &errBuf, "submit", f.rel, "--timeout", "90s") }()
	waitForText(t, &errBuf, "waiting", 20*time.Second)
	st := c.State(t)
	start := time.Now()
	must(t, st.StopComponent("kube-apiserver", syscall.SIGKILL))
	select {
	case code := <-done:
		t.Fatalf("submit ended (%d) while the API server was down\n%s", code, errBuf.String())
	case <-time.After(time.Second):
	}
	must(t, st.StartComponent(context.Background(), "kube-apiserver"))
	t.Logf("API server down and back in %s", time.Since(start).Round(time.Millisecond))
	f.labelNode(key, "yes")
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after the restart\n%s", code, errBuf.String())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("submit did not finish after the restart\n%s", errBuf.String())
	}
	if f.record("start") == "" {
		t.Fatal("the job did not run")
	}
}

func waitForText(t *testing.T, b interface{ String() string }, text string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(b.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", text, d, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFaultExecTargetKilledBySignal: the driver command dies of SIGKILL; submit says so and
// exits non-zero.
func TestFaultExecTargetKilledBySignal(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	f.createDriver("spark1", nil)
	write(t, f.script, "#!/bin/sh\necho about to die\nkill -KILL $$\n", 0o755)
	out, errOut, code := f.runCLI(nil, "submit", f.rel, "--timeout", "60s")
	if code == 0 {
		t.Fatalf("exit 0 for a killed driver command\n%s\n%s", out, errOut)
	}
	if !strings.Contains(out, "about to die") || strings.Count(errOut, "Error: ") != 1 || !strings.Contains(errOut, "signal") && !strings.Contains(errOut, "137") {
		t.Fatalf("exit %d; want the command's output and one error naming the signal\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	t.Logf("exit %d: %s", code, strings.TrimSpace(errOut))
}

// sigintRun starts the built plugin in its own process group, sends SIGINT once stderr (or
// the file ready) shows the marker, and returns the exit code and output; it then checks that
// no process of that group is left.
func sigintRun(t *testing.T, p pluginProc, marker func(stderr string) bool, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.command(ctx, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errBuf lockedBuffer
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errBuf
	must(t, cmd.Start())
	deadline := time.Now().Add(60 * time.Second)
	for !marker(errBuf.String()) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("marker not seen:\n%s", errBuf.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	sent := time.Now()
	must(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	t.Logf("exit %d %s after SIGINT", code, time.Since(sent).Round(time.Millisecond))
	// Nothing of the group may outlive the plugin.
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(-cmd.Process.Pid, 0); err == nil {
		t.Errorf("a process of the plugin's group is still running after it exited")
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	return code, out.String() + errBuf.String()
}

// TestFaultSIGINT runs the real binary and interrupts it: while submit waits, while the
// driver command runs in the Pod, while a --local driver runs on this machine, and while
// install --atomic waits for the rollout. Each exits 130, leaves no process behind, and the
// atomic install leaves no release.
func TestFaultSIGINT(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	p := newPluginProc(t, f.c.Kubeconfig())
	key := "sparkmr3-e2e/" + f.ns

	t.Run("during wait", func(t *testing.T) {
		code, out := sigintRun(t, p, func(s string) bool { return strings.Contains(s, "waiting") },
			"submit", f.rel, "-n", f.ns, "--timeout", "90s")
		if code != 130 || !strings.Contains(out, "interrupt") {
			t.Fatalf("exit %d, want 130\n%s", code, out)
		}
	})

	pidFile := filepath.Join(f.dir, "pid")
	sleeper := fmt.Sprintf("#!/bin/sh\necho $$ > %s.tmp; mv %s.tmp %s\necho running >&2\nexec sleep 30\n", pidFile, pidFile, pidFile)
	write(t, f.script, sleeper, 0o755)
	f.createDriver("spark1", nil)
	f.untilPod(driverPodName(f.rel, "spark1"), func(p *corev1.Pod) bool { return podReady(p) })
	gone := func(pid int) bool {
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) {
			if syscall.Kill(pid, 0) != nil {
				return true
			}
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	pidOf := func() int {
		b, err := os.ReadFile(pidFile)
		must(t, err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		must(t, err)
		return pid
	}
	t.Run("during exec", func(t *testing.T) {
		os.Remove(pidFile)
		code, out := sigintRun(t, p, func(string) bool { _, err := os.Stat(pidFile); return err == nil },
			"submit", f.rel, "-n", f.ns, "--timeout", "60s")
		if code != 130 {
			t.Fatalf("exit %d, want 130\n%s", code, out)
		}
		// The remote command is the kubelet's (here kwok's) child, not ours: closing the exec
		// stream is all a client can do. Record whether it ended.
		pid := pidOf()
		if gone(pid) {
			t.Logf("the driver command (pid %d) ended with the exec stream", pid)
		} else {
			t.Logf("the driver command (pid %d) outlived the interrupted exec stream (as with a real kubelet); killing it", pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	t.Run("during local driver", func(t *testing.T) {
		// --local runs MR3's script from a BASE_DIR that agrees with a release, so this case
		// uses a chart release and MR3's script (modelled) on a staged outside node, whose
		// spark-submit sleeps.
		m := newModelRelease(t, []string{"spark1"}, outsideValues...)
		node := stageOutsideNode(t, m)
		started := func(string) bool { runs, _ := node.Runs(); return len(runs) > 0 }
		code, out := sigintRun(t, newPluginProc(t, m.c.Kubeconfig()), started,
			"submit", m.rel, "-n", m.ns, "--local", "--script", node.SubmitScript(), "--driver-host", "gold0", "--", "app.jar", "mr3model-sleep=30")
		if code != 130 {
			t.Fatalf("exit %d, want 130\n%s", code, out)
		}
		r, err := node.LastRun()
		must(t, err)
		// The run's folder is <start>-<pid of the fake spark-submit>.
		pid, err := strconv.Atoi(filepath.Base(r.Dir)[strings.LastIndex(filepath.Base(r.Dir), "-")+1:])
		must(t, err)
		if !gone(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("spark-submit of the local driver (pid %d) outlived the interrupted submit", pid)
		}
	})
	t.Run("during install --atomic", func(t *testing.T) {
		ns := f.c.Namespace(t, nil)
		code, out := sigintRun(t, p, func(s string) bool { return strings.Contains(s, "waiting") },
			"install", "intr", "-n", ns, "--atomic", "--timeout", "90s", "--set", "drivers[0].name=spark1",
			"--set-json", `driverDefaults.nodeSelector={"`+key+`":"never"}`)
		if code != 130 || !strings.Contains(out, "uninstalled again") {
			t.Fatalf("exit %d, want 130 and the atomic uninstall\n%s", code, out)
		}
		if left := snapshotNamespace(t, f.c, ns); strings.Contains(left, "intr") || strings.Contains(left, "spark1") {
			t.Fatalf("the interrupted atomic install left: %s", left)
		}
	})
}

// TestFaultEtcdDuringAtomicInstall: etcd stops while install --atomic waits for the rollout.
// What we guarantee: the install fails with a message that says what happened, and once etcd
// is back nothing of the release remains — either the atomic uninstall removed it, or (etcd
// still down when it ran) the message names `helm sparkmr3 teardown`, which then removes it.
func TestFaultEtcdDuringAtomicInstall(t *testing.T) {
	c := cluster.Private(t)
	st := c.State(t)
	ns := c.Namespace(t, nil)
	p := newPluginProc(t, c.Kubeconfig())
	key := "sparkmr3-e2e/never"

	t.Run("etcd back before the timeout", func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(2 * time.Second)
			if err := st.StopComponent("etcd", syscall.SIGKILL); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(3 * time.Second)
			if err := st.StartComponent(context.Background(), "etcd"); err != nil {
				t.Error(err)
			}
		}()
		out, errOut, code := p.run(t, "install", "blip", "-n", ns, "--atomic", "--timeout", "15s",
			"--set", "drivers[0].name=spark1", "--set-json", `driverDefaults.nodeSelector={"`+key+`":"yes"}`)
		<-done
		if code == 0 || !strings.Contains(errOut, "uninstalled again") {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
		t.Logf("exit %d: %s", code, firstLine(errOut))
		if left := releaseLeftovers(t, c, ns, "blip"); left != "" {
			t.Fatalf("left after the atomic uninstall: %s", left)
		}
	})
	t.Run("etcd down through the rollback", func(t *testing.T) {
		// About two minutes: every request of the atomic uninstall waits for the API server's
		// own etcd timeout. Too slow for make test; run with SPARKMR3_LONG_FAULTS=1.
		if os.Getenv("SPARKMR3_LONG_FAULTS") == "" {
			t.Skip("set SPARKMR3_LONG_FAULTS=1 (takes ~2 min)")
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(2 * time.Second)
			if err := st.StopComponent("etcd", syscall.SIGKILL); err != nil {
				t.Error(err)
			}
		}()
		out, errOut, code := p.run(t, "install", "down", "-n", ns, "--atomic", "--timeout", "8s",
			"--set", "drivers[0].name=spark1", "--set-json", `driverDefaults.nodeSelector={"`+key+`":"yes"}`)
		<-done
		must(t, st.StartComponent(context.Background(), "etcd"))
		if code == 0 {
			t.Fatalf("exit 0\n%s\n%s", out, errOut)
		}
		t.Logf("exit %d:\n%s", code, errOut)
		if releaseLeftovers(t, c, ns, "down") == "" {
			return // the rollback got through after all
		}
		if !strings.Contains(errOut, "helm sparkmr3 teardown down") {
			t.Fatalf("objects are left and the message does not say how to remove them:\n%s", errOut)
		}
		if o, e, code := p.run(t, "teardown", "down", "-n", ns, "--yes"); code != 0 {
			t.Fatalf("teardown after the failed rollback: exit %d\n%s\n%s", code, o, e)
		}
		if left := releaseLeftovers(t, c, ns, "down"); left != "" {
			t.Fatalf("left after teardown: %s", left)
		}
	})
}

func firstLine(s string) string { return strings.SplitN(strings.TrimSpace(s), "\n", 2)[0] }

// releaseLeftovers lists what of release rel exists in ns: its labelled objects and helm's
// release records; "" when nothing.
func releaseLeftovers(t *testing.T, c *cluster.Cluster, ns, rel string) string {
	t.Helper()
	var left []string
	for _, name := range strings.Fields(snapshotNamespace(t, c, ns)) {
		if strings.Contains(name, "/"+rel+"-") || strings.Contains(name, "sh.helm.release.v1."+rel+".") ||
			strings.Contains(name, "."+rel+"-node-reader") || name == "statefulset/spark1" || name == "service/spark1" || name == "service/mr3" {
			left = append(left, name)
		}
	}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + rel}
	if l, err := c.Client(t).CoreV1().ServiceAccounts(ns).List(context.Background(), sel); err == nil {
		for _, o := range l.Items {
			left = append(left, "serviceaccount/"+o.Name)
		}
	}
	return strings.Join(left, " ")
}
