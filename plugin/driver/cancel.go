package driver

// Stopping a driver command in a Pod. Closing an exec stream does not end the command it
// started (the kubelet leaves it running; MR3's `spark-submit … | tee` loses its tee to SIGPIPE
// and the JVM runs on, unseen), so every remote run goes through a small bash wrapper that
// starts the job in a process group of its own and records the group's id in a per-run dir;
// on an interrupt a second exec signals that group.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
)

// runDirPrefix names the per-run dirs in a driver's result dir. The leading dot keeps them
// out of `ls` and of globs such as spark-mr3-* (MR3's own run folders).
const runDirPrefix = ".sparkmr3-run-"

// resultDir is MR3's result dir for the verb, as its scripts compute it from the driver
// script's path: BASE_DIR (the parent of the script's folder) /spark/spark-submit-result (or
// spark-shell-result). The chart mounts a writable volume there whatever the security context
// (readOnlyRootFilesystem included), and MR3's script writes there on every run, so a run dir
// there is writable exactly when the job can run at all.
func resultDir(script string, v Verb) string {
	name := "spark-submit-result"
	if v == Shell {
		name = "spark-shell-result"
	}
	return path.Join(path.Dir(path.Dir(script)), "spark", name)
}

// newRunDir is a fresh per-run dir for the driver script: uploads and the job's process group
// id live there, and it is removed when the job ends.
func newRunDir(script string, v Verb) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a run id: %w", err)
	}
	return path.Join(resultDir(script, v), runDirPrefix+hex.EncodeToString(b)), nil
}

// wrapperScript runs "$@" (the driver command, `/bin/bash -o pipefail SCRIPT ARGS…`) as a job
// of its own under bash's job control (set -m): the job gets its own process group, whose
// leader writes the group id to $d/pgid and then execs the command, so the command keeps that
// pid and its exit status is the wrapper's. With a terminal the job is the terminal's
// foreground group, so Ctrl-C typed in spark-shell reaches it as before. A job stopped before
// it started ($d/cancelled) does not start. The run dir (uploads included) is removed when
// the job ends.
const wrapperScript = `d=$1; shift
mkdir -p -- "$d" || exit
set -m
/bin/bash -c 'echo $$ > "$0/pgid"; [ -e "$0/cancelled" ] && exit 143; exec "$@"' "$d" "$@"
rc=$?
rm -rf -- "$d"
exit $rc`

// wrapCommand is the argv that runs argv under wrapperScript with run dir d.
func wrapCommand(d string, argv []string) []string {
	return append([]string{Bash, "-c", wrapperScript, "sparkmr3-run", d}, argv...)
}

// stopScript stops the job of run dir $1: it marks the run cancelled (a job not started yet
// will not start), sends SIGTERM to the recorded process group, SIGKILL when the group still
// has a live process after $2 seconds, and removes the run dir. It prints what it did: "none"
// (no job recorded: it had ended, or never started), "term" or "kill", then the group id.
// A process counts as live unless it is a zombie (/proc/PID/stat state Z): when the exec's own
// process was killed (kwok kills it when the stream ends), the job's processes are reparented
// to the container's init, which may reap them late. Without /proc, kill -0 decides.
// Builtins only, besides mkdir, rm and sleep.
const stopScript = `d=$1; g=$2
mkdir -p -- "$d" 2>/dev/null && : > "$d/cancelled"
p=
[ -f "$d/pgid" ] && read -r p < "$d/pgid"
if [ -z "$p" ] || ! kill -TERM -- "-$p" 2>/dev/null; then
  rm -rf -- "$d"; echo none; exit 0
fi
alive() {
  kill -0 -- "-$p" 2>/dev/null || return 1
  [ -r /proc/self/stat ] || return 0
  local f l
  for f in /proc/[0-9]*/stat; do
    read -r l < "$f" 2>/dev/null || continue
    set -- ${l##*) }
    [ "$1" != Z ] && [ "$3" = "$p" ] && return 0
  done
  return 1
}
i=0; n=$((g * 5)); how=term
while alive; do
  if [ $i -ge $n ]; then kill -KILL -- "-$p" 2>/dev/null; how=kill; break; fi
  sleep 0.2 2>/dev/null || sleep 1
  i=$((i + 1))
done
rm -rf -- "$d"
echo "$how $p"`

// stopRemote stops the job of run dir d in the Pod with a second exec, and says what it did
// on ErrOut. It does not use ctx's cancellation (ctx has usually just ended: that is why the
// job is stopped), only its values, and gives up after the grace period plus a margin.
func (o *Options) stopRemote(ctx context.Context, pod, container, d, why string) {
	grace := o.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	where := fmt.Sprintf("pod %s/%s container %s", o.Namespace, pod, container)
	fmt.Fprintf(o.IO.ErrOut, "%s: stopping the driver command in %s (SIGTERM to its process group, SIGKILL after %s)\n", why, where, grace)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace+30*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	secs := int((grace + time.Second - 1) / time.Second)
	code, err := Exec(ctx, o.Config, ExecOptions{Namespace: o.Namespace, Pod: pod, Container: container,
		Command: []string{Bash, "-c", stopScript, "sparkmr3-stop", d, strconv.Itoa(secs)},
		Stdout:  &out, Stderr: &errOut})
	if err == nil && code != 0 {
		err = fmt.Errorf("exit code %d: %s", code, strings.TrimSpace(errOut.String()))
	}
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "warning: could not stop the driver command in %s: %v; it may still be running (its process group id is in %s/pgid)\n", where, err, d)
		return
	}
	how, pgid, _ := strings.Cut(strings.TrimSpace(out.String()), " ")
	switch how {
	case "none":
		fmt.Fprintf(o.IO.ErrOut, "the driver command in %s had already ended\n", where)
	case "term":
		fmt.Fprintf(o.IO.ErrOut, "stopped the driver command in %s (process group %s ended on SIGTERM)\n", where, pgid)
	case "kill":
		fmt.Fprintf(o.IO.ErrOut, "killed the driver command in %s (process group %s did not end within %s of SIGTERM)\n", where, pgid, grace)
	default:
		fmt.Fprintf(o.IO.ErrOut, "warning: stopping the driver command in %s: unexpected answer %q\n", where, out.String())
	}
}

// removeRunDir removes run dir d in the Pod after a failed upload (best effort: the error
// that stopped the run is the one reported).
func (o *Options) removeRunDir(ctx context.Context, pod, container, d string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = Exec(ctx, o.Config, ExecOptions{Namespace: o.Namespace, Pod: pod, Container: container,
		Command: []string{Bash, "-c", `rm -rf -- "$1"`, "sparkmr3-clean", d}, Stdout: io.Discard, Stderr: io.Discard})
}
