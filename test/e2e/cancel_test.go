package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

// podProcesses lists the live processes (not zombies) whose working directory is inside the
// staged driver Pod root: MR3's script (the model enters the Pod's working dir), its
// spark-submit, tee and their children. kwok runs exec on this machine, so a job left behind
// in the "Pod" is a process here.
func podProcesses(root string) []string {
	var out []string
	cwds, _ := filepath.Glob("/proc/[0-9]*/cwd")
	for _, c := range cwds {
		dir, err := os.Readlink(c)
		if err != nil || (dir != root && !strings.HasPrefix(dir, root+"/")) {
			continue
		}
		pidDir := filepath.Dir(c)
		stat, err := os.ReadFile(filepath.Join(pidDir, "stat"))
		if err != nil {
			continue
		}
		s := string(stat)
		if f := strings.Fields(s[strings.LastIndex(s, ")")+1:]); len(f) > 0 && f[0] == "Z" {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(pidDir, "cmdline"))
		out = append(out, fmt.Sprintf("%s: %s", filepath.Base(pidDir), strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " ")))
	}
	return out
}

// untilNoPodProcesses waits up to d for the Pod's processes to end and returns those left.
func untilNoPodProcesses(root string, d time.Duration) []string {
	deadline := time.Now().Add(d)
	for {
		left := podProcesses(root)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signalDuringJob starts the plugin binary (its own process group) with args, waits until
// driver d's model spark-submit runs and is idle, sends sig to the plugin, and returns its exit code and
// output.
func signalDuringJob(t *testing.T, p pluginProc, d *mr3model.Driver, sig syscall.Signal, stdin io.Reader, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runs, err := d.Runs()
	must(t, err)
	cmd := p.command(ctx, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out, errOut lockedBuffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errOut
	must(t, cmd.Start())
	untilRun(t, d, len(runs), 60*time.Second)
	// Signal once the model's spark-submit has printed its last line before it sleeps (or
	// reads stdin): a job still writing when the stream closes dies of SIGPIPE by itself
	// (MR3's tee first), and then there is nothing left for the plugin to stop.
	waitForText(t, &out, "[mr3model] staging dir", 30*time.Second)
	if left := podProcesses(d.Root); len(left) == 0 {
		t.Fatalf("the job runs, but no process has its working dir in %s: the check below could not fail", d.Root)
	}
	sent := time.Now()
	must(t, cmd.Process.Signal(sig))
	err = cmd.Wait()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	t.Logf("exit %d %s after %v", code, time.Since(sent).Round(time.Millisecond), sig)
	return code, out.String() + errOut.String()
}

// TestSubmitSignalStopsTheJobInThePod: SIGINT (Ctrl-C) or SIGTERM to `helm sparkmr3 submit`
// while MR3's script runs in the driver Pod (modelled, its spark-submit sleeping) ends the
// job in the Pod too — no process of it is left on this machine, where kwok ran the exec —
// and exits 130 or 143; the run dir is removed. Then `shell` fed by a pipe, on SIGTERM.
func TestSubmitSignalStopsTheJobInThePod(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	d := m.drivers["spark1"]
	p := newPluginProc(t, m.c.Kubeconfig())
	t.Cleanup(func() {
		// Whatever happens, nothing of the test's Pod may outlive it.
		for _, l := range podProcesses(d.Root) {
			var pid int
			fmt.Sscanf(l, "%d:", &pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		word string
	}{
		{syscall.SIGINT, 130, "interrupted (SIGINT)"},
		{syscall.SIGTERM, 143, "terminated (SIGTERM)"},
		{syscall.SIGHUP, 129, "hung up (SIGHUP)"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			code, out := signalDuringJob(t, p, d, tc.sig, nil,
				"submit", m.rel, "-n", m.ns, "--timeout", "60s", "--", "--class", "X", "app.jar", "mr3model-sleep=300")
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, out)
			}
			if left := untilNoPodProcesses(d.Root, 5*time.Second); len(left) > 0 {
				t.Fatalf("processes of the job left in the Pod after %v:\n%s\n%s", tc.sig, strings.Join(left, "\n"), out)
			}
			for _, want := range []string{tc.word + ": stopping the driver command in pod " + m.ns + "/", "stopped the driver command in pod", "ended on SIGTERM"} {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if left := runDirs(t, d); len(left) != 0 {
				t.Errorf("run dirs left: %q", left)
			}
		})
	}
	t.Run("shell SIGTERM", func(t *testing.T) {
		// Standard input stays open (a pipe nobody writes), as a user's terminal would. An
		// *os.File, so that Wait does not wait for a copy of it.
		pr, pw, err := os.Pipe()
		must(t, err)
		defer pr.Close()
		defer pw.Close()
		code, out := signalDuringJob(t, p, d, syscall.SIGTERM, pr, "shell", m.rel, "-n", m.ns, "--timeout", "60s", "--", "mr3model-sleep=300")
		if code != 143 || !strings.Contains(out, "ended on SIGTERM") {
			t.Fatalf("exit %d, want 143 and the job stopped\n%s", code, out)
		}
		if left := untilNoPodProcesses(d.Root, 5*time.Second); len(left) > 0 {
			t.Fatalf("processes of spark-shell left in the Pod after SIGTERM:\n%s\n%s", strings.Join(left, "\n"), out)
		}
	})
}
