package logs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
)

// Kind is which driver script made a run.
type Kind string

const (
	Submit Kind = "submit" // run-spark-submit.sh, in spark-submit-result/
	Shell  Kind = "shell"  // run-spark-shell.sh, in spark-shell-result/
)

// ResultDir is one folder under which a driver script makes its runs' folders.
type ResultDir struct {
	Kind Kind
	Path string
}

// ResultDirs are where the Pod's driver scripts keep their runs: MR3's scripts write under
// $SPARK_BASE_DIR/spark-submit-result (and spark-shell-result), SPARK_BASE_DIR being
// BASE_DIR/spark and BASE_DIR the parent of the script's folder. The scripts are the Pod's
// sparkmr3.io/submit-command and shell-command annotations (MR3's image: /opt/mr3-run/spark/…).
func ResultDirs(d Driver) []ResultDir {
	cmd := func(v driver.Verb, def string) string {
		if c := driver.PodCommand(d.Pod, v); path.IsAbs(c) {
			return c
		}
		return def
	}
	dir := func(script, name string) string {
		return path.Join(path.Dir(path.Dir(script)), "spark", name)
	}
	return []ResultDir{
		{Submit, dir(cmd(driver.Submit, driver.DefaultSubmitCommand), "spark-submit-result")},
		{Shell, dir(cmd(driver.Shell, driver.DefaultShellCommand), "spark-shell-result")},
	}
}

// Run is one run of a driver script: its result folder.
type Run struct {
	// ID is the folder's name, spark-mr3-<start time>-<uuid> (the --run of logs).
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Started is the start time in the ID, as the Pod's clock wrote it (MR3's scripts use
	// `date`, UTC unless the image sets TZ); nil when the ID does not carry one.
	Started *time.Time `json:"started,omitempty"`
	// Dir is the run's folder in the driver Pod.
	Dir string `json:"dir"`
	// Logs are the files in the run's spark-logs/ folder (out-spark-submit.txt for submit).
	Logs []string `json:"logs"`
}

// Exec runs argv in the driver container (no shell in between) and returns its exit code.
type Exec func(ctx context.Context, argv []string, stdout, stderr io.Writer) (int, error)

// listScript prints, for each result folder given, one "run" line per run folder and one
// "log" line per file in its spark-logs/. The folders are arguments, never part of the
// script, so no path is ever parsed by the shell.
const listScript = `for d in "$@"; do
  [ -d "$d" ] || continue
  for r in "$d"/*/; do
    [ -d "$r" ] || continue
    r=${r%/}; r=${r##*/}
    printf 'run\t%s\t%s\n' "$d" "$r"
    for f in "$d/$r"/spark-logs/*; do
      [ -f "$f" ] && printf 'log\t%s\t%s\t%s\n' "$d" "$r" "${f##*/}"
    done
  done
done
exit 0`

// runID is what MR3's scripts name a run folder (and what --run accepts): one path element of
// plain characters.
var runID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

var runTime = regexp.MustCompile(`^spark-mr3-([0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2})-`)

// CheckRunID refuses a --run that is not a run folder's name: it must be one path element
// (no "/", no ".."), so it cannot name anything outside the result folders.
func CheckRunID(id string) error {
	if id == "" || !runID.MatchString(id) || strings.Contains(id, "..") {
		return fmt.Errorf("--run %q is not a run ID: use a folder name as 'helm sparkmr3 logs RELEASE' lists it (e.g. spark-mr3-2026-11-30-16-45-46-<uuid>); it may hold only letters, digits, '.', '_' and '-', and no '/' or '..'", id)
	}
	return nil
}

// ListRuns lists the driver's runs, newest first.
func ListRuns(ctx context.Context, exec Exec, dirs []ResultDir) ([]Run, error) {
	argv := []string{"/bin/sh", "-c", listScript, "sh"}
	kinds := map[string]Kind{}
	for _, d := range dirs {
		argv = append(argv, d.Path)
		kinds[d.Path] = d.Kind
	}
	var out, errOut bytes.Buffer
	code, err := exec(ctx, argv, &out, &errOut)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("list the runs in the driver Pod: /bin/sh exited with code %d: %s", code, strings.TrimSpace(errOut.String()))
	}
	return parseRuns(&out, kinds), nil
}

func parseRuns(r io.Reader, kinds map[string]Kind) []Run {
	byDir := map[string]*Run{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 3 || !runID.MatchString(f[2]) {
			continue
		}
		kind, ok := kinds[f[1]]
		if !ok {
			continue
		}
		dir := path.Join(f[1], f[2])
		run := byDir[dir]
		if run == nil {
			run = &Run{ID: f[2], Kind: kind, Dir: dir, Logs: []string{}}
			if m := runTime.FindStringSubmatch(f[2]); m != nil {
				if t, err := time.Parse("2006-01-02-15-04-05", m[1]); err == nil {
					run.Started = &t
				}
			}
			byDir[dir] = run
			order = append(order, dir)
		}
		if f[0] == "log" && len(f) == 4 && f[3] != "" {
			run.Logs = append(run.Logs, f[3])
		}
	}
	runs := make([]Run, 0, len(order))
	for _, d := range order {
		sort.Strings(byDir[d].Logs)
		runs = append(runs, *byDir[d])
	}
	sort.SliceStable(runs, func(i, j int) bool {
		a, b := runs[i].Started, runs[j].Started
		switch {
		case a != nil && b != nil && !a.Equal(*b):
			return a.After(*b)
		case (a == nil) != (b == nil):
			return a != nil
		}
		return runs[i].ID > runs[j].ID
	})
	return runs
}

// FindRun picks a run: the one with ID id, else (id empty) the newest.
func FindRun(runs []Run, id, driver string) (Run, error) {
	if len(runs) == 0 {
		return Run{}, fmt.Errorf("driver %s has no runs yet (no folder under spark-submit-result/ or spark-shell-result/): run a job with 'helm sparkmr3 submit'", driver)
	}
	if id == "" {
		return runs[0], nil
	}
	for _, r := range runs {
		if r.ID == id {
			return r, nil
		}
	}
	ids := make([]string, 0, 3)
	for i := 0; i < len(runs) && i < 3; i++ {
		ids = append(ids, runs[i].ID)
	}
	more := ""
	if len(runs) > 3 {
		more = ", …"
	}
	return Run{}, fmt.Errorf("driver %s has no run %q; its newest runs: %s%s (leave out --run to list them all)", driver, id, strings.Join(ids, ", "), more)
}

// ErrNoLog says a run kept no driver log.
var ErrNoLog = errors.New("no driver log")

// LogPaths are the run's log files in the Pod. A submit run that has none yet (the job is
// starting) is followed at out-spark-submit.txt, where MR3's script tees it.
func LogPaths(r Run, follow bool) ([]string, error) {
	var paths []string
	for _, f := range r.Logs {
		paths = append(paths, path.Join(r.Dir, "spark-logs", f))
	}
	if len(paths) > 0 {
		return paths, nil
	}
	if follow && r.Kind == Submit {
		return []string{path.Join(r.Dir, "spark-logs", "out-spark-submit.txt")}, nil
	}
	why := "the job has written nothing there yet (follow it with -f)"
	if r.Kind == Shell {
		why = "MR3's run-spark-shell.sh does not keep the shell's output (it is not piped into tee)"
	}
	return nil, fmt.Errorf("run %s: %w in %s/spark-logs: %s", r.ID, ErrNoLog, r.Dir, why)
}

// ShowLog writes the run's driver log to out: cat for one file, tail for several (with a
// "==> file <==" header each), `tail -F` with follow (until ctx ends).
func ShowLog(ctx context.Context, exec Exec, r Run, follow bool, out, errOut io.Writer) error {
	paths, err := LogPaths(r, follow)
	if err != nil {
		return err
	}
	var argv []string
	switch {
	case follow:
		argv = append([]string{"tail", "-n", "+1", "-F", "--"}, paths...)
	case len(paths) == 1:
		argv = []string{"cat", "--", paths[0]}
	default:
		argv = append([]string{"tail", "-n", "+1", "--"}, paths...)
	}
	code, err := exec(ctx, argv, out, errOut)
	if err != nil {
		return err
	}
	if code != 0 {
		return fmt.Errorf("read the log of run %s in the driver Pod: %s exited with code %d", r.ID, argv[0], code)
	}
	return nil
}
