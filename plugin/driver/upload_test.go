package driver

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

// chdir makes dir the working directory for the test (relative --upload paths).
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chdir(old) })
}

func TestPlanUploads(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	for _, f := range []string{"app.jar", "dep.jar", "lib/dep.jar", "my app.jar", "a*.jar", "a,b.jar", `back\slash.jar`, "q?.jar", "x[1].jar"} {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo("pipe", 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values []string
		names  []string // accepted: the files' names, in order
		want   []string // refused: in the message
	}{
		{"one", []string{"./app.jar"}, []string{"app.jar"}, nil},
		{"missing in a list", []string{"app.jar,lib/dep.jar", "q"}, nil, []string{"--upload q", "no such file or directory", "local file"}},
		{"two flags", []string{"app.jar", "lib/dep.jar"}, []string{"app.jar", "dep.jar"}, nil},
		{"same file twice counts once", []string{"app.jar", "./app.jar", dir + "/app.jar"}, []string{"app.jar"}, nil},
		{"missing", []string{"nope.jar"}, nil, []string{"--upload nope.jar", "no such file or directory"}},
		{"directory", []string{"lib"}, nil, []string{"--upload lib is a directory", "one by one", "--archives"}},
		{"fifo", []string{"pipe"}, nil, []string{"--upload pipe is not a regular file"}},
		{"space", []string{"my app.jar"}, nil, []string{`"my app.jar" has whitespace`, "cp 'my app.jar' app.jar"}},
		{"star", []string{"a*.jar"}, nil, []string{`glob character '*'`}},
		{"question mark", []string{"q?.jar"}, nil, []string{`glob character '?'`}},
		{"bracket", []string{"x[1].jar"}, nil, []string{`glob character '['`}},
		{"backslash", []string{`back\slash.jar`}, nil, []string{"backslash"}},
		{"empty entry", []string{"app.jar,"}, nil, []string{`--upload "app.jar,": empty path`}},
		{"name clash", []string{"dep.jar", "lib/dep.jar"}, nil, []string{"--upload dep.jar and --upload lib/dep.jar have the same file name dep.jar", "rename one"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ups, err := PlanUploads(tc.values)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, u := range ups {
					names = append(names, u.Name)
					if !filepath.IsAbs(u.Abs) || u.Size == 0 {
						t.Errorf("upload %+v", u)
					}
				}
				if !slices.Equal(names, tc.names) {
					t.Fatalf("names %q, want %q", names, tc.names)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q", tc.values)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
	// A comma in a file name: a list entry of its own is the name's first part, so a clear
	// "no such file" rather than a silent wrong upload.
	if _, err := PlanUploads([]string{"a,b.jar"}); err == nil || !strings.Contains(err.Error(), "--upload a:") {
		t.Errorf("a,b.jar: %v", err)
	}
	if got := badUploadName("a,b.jar"); !strings.Contains(got, "comma") {
		t.Errorf("badUploadName(a,b.jar) = %q", got)
	}
	if got := badUploadName("a#b.jar"); !strings.Contains(got, "alias") {
		t.Errorf("badUploadName(a#b.jar) = %q", got)
	}
}

func TestRewriteArgs(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	ups := []Upload{
		{Local: "./app.jar", Abs: filepath.Join(dir, "app.jar"), Name: "app.jar"},
		{Local: "lib/dep.jar", Abs: filepath.Join(dir, "lib/dep.jar"), Name: "dep.jar"},
		{Local: "conf.py", Abs: filepath.Join(dir, "conf.py"), Name: "conf.py"},
		{Local: "unused.txt", Abs: filepath.Join(dir, "unused.txt"), Name: "unused.txt"},
	}
	placeUploads(ups, "/r/.sparkmr3-run-1")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"primary resource as given", []string{"--class", "X", "./app.jar", "1000"}, []string{"--class", "X", "/r/.sparkmr3-run-1/app.jar", "1000"}},
		{"same file, other spelling", []string{"app.jar", dir + "/app.jar"}, []string{"/r/.sparkmr3-run-1/app.jar", "/r/.sparkmr3-run-1/app.jar"}},
		{"--jars list", []string{"--jars", "/opt/x.jar,lib/dep.jar,./lib/../app.jar", "app.jar"},
			[]string{"--jars", "/opt/x.jar,/r/.sparkmr3-run-1/dep.jar,/r/.sparkmr3-run-1/app.jar", "/r/.sparkmr3-run-1/app.jar"}},
		{"--files= and --py-files", []string{"--files=conf.py", "--py-files", "conf.py,other.py"},
			[]string{"--files=/r/.sparkmr3-run-1/conf.py", "--py-files", "/r/.sparkmr3-run-1/conf.py,other.py"}},
		{"#alias kept", []string{"--archives", "conf.py#env,x.zip#y"}, []string{"--archives", "/r/.sparkmr3-run-1/conf.py#env,x.zip#y"}},
		{"URIs and other values untouched", []string{"--conf", "spark.x=app.jar", "s3a://b/app.jar", "dep.jar", "--jars", "hdfs://n/lib/dep.jar"},
			[]string{"--conf", "spark.x=app.jar", "s3a://b/app.jar", "dep.jar", "--jars", "hdfs://n/lib/dep.jar"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := RewriteArgs(tc.args, ups)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
	_, used := RewriteArgs([]string{"--jars", "lib/dep.jar", "app.jar", "--files=conf.py"}, ups)
	if !slices.Equal(used, []bool{true, true, true, false}) {
		t.Fatalf("used %v", used)
	}
}

func TestWriteTarStreamsFiles(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile("app.jar", big, 0o644))
	must(os.WriteFile("run.sh", []byte("#!/bin/sh\n"), 0o755))
	ups, err := PlanUploads([]string{"app.jar,run.sh"})
	must(err)
	var buf bytes.Buffer
	must(writeTar(&buf, ups))
	tr := tar.NewReader(&buf)
	got := map[string][]byte{}
	modes := map[string]int64{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(err)
		b, err := io.ReadAll(tr)
		must(err)
		got[h.Name], modes[h.Name] = b, h.Mode
	}
	if !bytes.Equal(got["app.jar"], big) || string(got["run.sh"]) != "#!/bin/sh\n" || len(got) != 2 {
		t.Fatalf("archive holds %d files", len(got))
	}
	if modes["app.jar"] != 0o644 || modes["run.sh"] != 0o755 {
		t.Fatalf("modes %v", modes)
	}
}

// TestRunUploadCopiesFilesAndRewritesArgs goes through an exec server that runs commands on
// this machine (as kwok does): the files land in the run dir with their content, the driver
// command gets their paths there, and the run dir is gone after the job.
func TestRunUploadCopiesFilesAndRewritesArgs(t *testing.T) {
	cfg, ex := kubeletServer(t, true)
	local := t.TempDir()
	chdir(t, local)
	jar := bytes.Repeat([]byte{0, 1, 2, 0xff, '\n'}, 50000)
	if err := os.WriteFile("app.jar", jar, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("dep.jar", []byte("dep"), 0o644); err != nil {
		t.Fatal(err)
	}
	rec := t.TempDir()
	// The "driver script" records its arguments and copies the files they name.
	script := writeScript(t, t.TempDir(), "spark/run-spark-submit.sh",
		`printf '%s\n' "$@" > `+rec+`/args; cp "$3" `+rec+`/app.jar; cp "${2%%,*}" `+rec+`/dep.jar; ls -a "$(dirname "$3")" > `+rec+"/ls\n")
	objs := append(releaseObjects(siteWithAliases(""), "spark1"), readyPod("spark1", script))
	var errOut bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Timeout: 5 * time.Second,
		Upload: []string{"./app.jar", "dep.jar"},
		Args:   []string{"--jars", "dep.jar,/opt/x.jar", "./app.jar", "1000"},
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &errOut},
		Config: cfg, Client: fake.NewClientset(objs...)}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(rec, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	runDir := ex.cmds[len(ex.cmds)-1][4]
	wantDir := filepath.Join(filepath.Dir(filepath.Dir(script)), "spark", "spark-submit-result") + "/" + runDirPrefix
	if !strings.HasPrefix(runDir, wantDir) {
		t.Fatalf("run dir %s, want one in %s", runDir, wantDir)
	}
	want := []string{"--jars", runDir + "/dep.jar,/opt/x.jar", runDir + "/app.jar", "1000"}
	if got := lines(read("args")); !slices.Equal(got, want) {
		t.Fatalf("args %q, want %q", got, want)
	}
	if read("app.jar") != string(jar) || read("dep.jar") != "dep" {
		t.Fatal("uploaded content differs")
	}
	if got := lines(read("ls")); !slices.Equal(got, []string{".", "..", "app.jar", "dep.jar", "pgid"}) {
		t.Fatalf("run dir held %q", got)
	}
	if _, err := os.Stat(runDir); !os.IsNotExist(err) {
		t.Fatalf("run dir %s left after the job", runDir)
	}
	if len(ex.cmds) != 2 || ex.cmds[0][2] != uploadScript {
		t.Fatalf("execs %q, want the upload then the job", ex.cmds)
	}
	if errOut.Len() != 0 {
		t.Fatalf("stderr %q", errOut.String())
	}
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestRunUploadRefusals(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	if err := os.WriteFile("app.jar", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := func() *Options {
		return &Options{Verb: Submit, Release: testRel, Namespace: testNS, Upload: []string{"app.jar"},
			IO: genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}}
	}
	o := base()
	o.Local, o.Script = true, "/x/spark/run-spark-submit.sh"
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--upload copies files into a driver Pod and --local") {
		t.Fatalf("--upload with --local: %v", err)
	}
	o = base()
	o.Upload = []string{"missing.jar"}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--upload missing.jar") {
		t.Fatalf("missing: %v", err)
	}
	// A driver script whose result dir has a space: the files' paths would be re-split.
	objs := append(releaseObjects("", "spark1"), readyPod("spark1", "/opt/my run/spark/run-spark-submit.sh"))
	var out bytes.Buffer
	o = base()
	o.DryRun, o.Args = true, []string{"app.jar"}
	o.IO.Out = &out
	o.Client, o.Config = fake.NewClientset(objs...), &rest.Config{}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	err := o.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "would not reach spark-submit intact") || !strings.Contains(err.Error(), "/opt/my run/spark/run-spark-submit.sh") {
		t.Fatalf("result dir with a space: %v", err)
	}
}

func TestRunUploadDryRunSaysWhatWouldBeCopied(t *testing.T) {
	dir := t.TempDir()
	chdir(t, dir)
	if err := os.WriteFile("app.jar", []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	objs := append(releaseObjects("", "spark1"), readyPod("spark1", ""))
	var out, errOut bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, DryRun: true, Upload: []string{"app.jar"},
		Args: []string{"--class", "X", "app.jar"},
		IO:   genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Client: fake.NewClientset(objs...), Config: &rest.Config{}}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	prefix := "/opt/mr3-run/spark/spark-submit-result/" + runDirPrefix
	for _, want := range []string{"# upload app.jar (5 bytes) to " + prefix, "/bin/bash -o pipefail " + DefaultSubmitCommand + " --class X " + prefix} {
		if !strings.Contains(got, want) {
			t.Errorf("dry run lacks %q:\n%s", want, got)
		}
	}
}
