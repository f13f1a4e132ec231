package mr3model

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// Run is what one call of the fake spark-submit (or spark-shell) recorded.
type Run struct {
	Dir string
	// Program is spark-submit or spark-shell.
	Program string
	// Argv is its argument list, as received (the driver class path holds host paths).
	Argv []string
	// PodArgv is Argv with the staged Pod's root taken out: the paths as the Pod names them.
	PodArgv []string
	// Env is its environment; CLIENT_TO_AM_TOKEN_KEY is recorded as "sha256:<hex>".
	Env map[string]string
	// Cwd is its working directory, as the Pod names it.
	Cwd string
	// Staging is the application folder the MR3 client made (Pod path), if it got that far.
	Staging string
	// Exit is the code it exited with.
	Exit int
	// Stdin holds its standard input when recording was asked for.
	Stdin []byte
}

// Runs lists the recorded runs, oldest first.
func (d *Driver) Runs() ([]*Run, error) {
	runs, err := readRuns(d.modelFile("runs"))
	for _, r := range runs {
		for _, a := range r.Argv {
			r.PodArgv = append(r.PodArgv, strings.ReplaceAll(a, d.Root, ""))
		}
	}
	return runs, err
}

// LastRun is the newest run; an error when there is none.
func (d *Driver) LastRun() (*Run, error) {
	runs, err := d.Runs()
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("driver %s: the model's spark-submit never ran (no records in %s)", d.Name, d.modelFile("runs"))
	}
	return runs[len(runs)-1], nil
}

func readRuns(dir string) ([]*Run, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// <unix nanoseconds>-<pid>: same length for centuries, so text order is time order.
	sort.Strings(names)
	var out []*Run
	for _, n := range names {
		r, err := ReadRun(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadRun reads one run's record folder.
func ReadRun(dir string) (*Run, error) {
	r := &Run{Dir: dir, Env: map[string]string{}, Exit: -1}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	argv := read("argv")
	if argv != "" {
		r.Argv = strings.Split(strings.TrimSuffix(argv, "\n"), "\n")
	}
	r.Program = strings.TrimSpace(read("program"))
	r.Cwd = strings.TrimSpace(read("cwd"))
	r.Staging = strings.TrimSpace(read("staging"))
	for _, kv := range strings.Split(read("env"), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			r.Env[k] = v
		}
	}
	if s := strings.TrimSpace(read("exit")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("run %s: exit %q: %w", dir, s, err)
		}
		r.Exit = n
	}
	if b, err := os.ReadFile(filepath.Join(dir, "stdin")); err == nil {
		r.Stdin = b
	}
	return r, nil
}

// KV is one key=value setting, in the order given.
type KV struct{ Key, Value string }

// Submit is a spark-submit command line taken apart the way spark-submit takes it.
type Submit struct {
	// JavaOptions are the words of --driver-java-options as Spark splits that string.
	JavaOptions []string
	// D are the -Dkey=value among them, in order (the JVM keeps the last of equal keys).
	D []KV
	// Conf are the --conf key=value in order (Spark keeps the last of equal keys).
	Conf                    []KV
	Master, Jars, ClassPath string
	// Rest is everything else: options spark-submit takes itself, the application, its args.
	Rest []string
}

// Submit parses the run's argv (paths as the Pod names them).
func (r *Run) Submit() *Submit {
	if r.PodArgv != nil {
		return ParseSubmit(r.PodArgv)
	}
	return ParseSubmit(r.Argv)
}

// ParseSubmit takes a spark-submit argument list apart.
func ParseSubmit(argv []string) *Submit {
	s := &Submit{}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		next := func() string {
			if i+1 < len(argv) {
				i++
				return argv[i]
			}
			return ""
		}
		switch a {
		case "--driver-java-options":
			s.JavaOptions = append(s.JavaOptions, SplitOptionString(next())...)
		case "--conf":
			k, v, _ := strings.Cut(next(), "=")
			s.Conf = append(s.Conf, KV{k, v})
		case "--master":
			s.Master = next()
		case "--jars":
			s.Jars = next()
		case "--driver-class-path":
			s.ClassPath = next()
		default:
			s.Rest = append(s.Rest, a)
		}
	}
	for _, o := range s.JavaOptions {
		if strings.HasPrefix(o, "-D") {
			k, v, _ := strings.Cut(o[2:], "=")
			s.D = append(s.D, KV{k, v})
		}
	}
	return s
}

// DValue is the value the JVM gets for -Dkey (the last one), and whether there is one.
func (s *Submit) DValue(key string) (string, bool) { return last(s.D, key) }

// ConfValue is Spark's value for --conf key (the last one).
func (s *Submit) ConfValue(key string) (string, bool) { return last(s.Conf, key) }

// DMap is every -D key with its effective (last) value.
func (s *Submit) DMap() map[string]string {
	m := map[string]string{}
	for _, kv := range s.D {
		m[kv.Key] = kv.Value
	}
	return m
}

func last(list []KV, key string) (string, bool) {
	v, ok := "", false
	for _, kv := range list {
		if kv.Key == key {
			v, ok = kv.Value, true
		}
	}
	return v, ok
}

// SplitOptionString splits a JVM option string as Spark's launcher does for
// --driver-java-options: at whitespace, with single and double quotes grouping and a
// backslash escaping the next character (not inside single quotes).
func SplitOptionString(s string) []string {
	var out []string
	var cur strings.Builder
	in := false // inside a word
	var quote rune
	esc := false
	for _, c := range s {
		switch {
		case esc:
			cur.WriteRune(c)
			esc = false
		case c == '\\' && quote != '\'':
			esc, in = true, true
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case unicode.IsSpace(c):
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// Result is one direct run of a model script.
type Result struct {
	Output string // stdout and stderr, interleaved
	Exit   int
}

// RunOptions are the knobs of a direct run.
type RunOptions struct {
	// Shell runs run-spark-shell.sh instead of run-spark-submit.sh.
	Shell bool
	// Pipefail runs the script as `/bin/bash -o pipefail SCRIPT` (what submit does), else as
	// `/bin/bash SCRIPT`.
	Pipefail bool
	// Env is the caller's environment (a staged Pod replaces it with the Pod's own).
	Env []string
	// Dir is the caller's working directory (a staged Pod starts in its workingDir).
	Dir   string
	Stdin []byte
}

// Exec runs the driver's script directly (no cluster): what `kubectl exec` of the command
// annotation does through kwok.
func (d *Driver) Exec(ctx context.Context, o RunOptions, args ...string) (*Result, error) {
	script := d.SubmitScript()
	if o.Shell {
		script = d.ShellScript()
	}
	return ExecScript(ctx, script, o, args...)
}

// ExecScript runs a model script by path.
func ExecScript(ctx context.Context, script string, o RunOptions, args ...string) (*Result, error) {
	argv := []string{}
	if o.Pipefail {
		argv = append(argv, "-o", "pipefail")
	}
	argv = append(argv, script)
	cmd := exec.CommandContext(ctx, "/bin/bash", append(argv, args...)...)
	cmd.Env = o.Env
	if cmd.Env == nil {
		cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	}
	cmd.Dir = o.Dir
	// The script's children (spark-submit, a sleep) go with it when ctx ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	cmd.Stdin = bytes.NewReader(o.Stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := &Result{Output: out.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Exit = ee.ExitCode()
		err = nil
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("%s did not finish: %w\n%s", script, ctx.Err(), res.Output)
	}
	return res, err
}

// PodPath maps a host path of the staged Pod back to the Pod's name for it.
func (d *Driver) PodPath(host string) string {
	rel, err := filepath.Rel(d.Root, host)
	if err != nil || strings.HasPrefix(rel, "..") {
		return host
	}
	return path.Join("/", filepath.ToSlash(rel))
}
