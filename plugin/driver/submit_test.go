package driver

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

const (
	testNS    = "spark"
	testRel   = "rel"
	testToken = "tok-3f1b2c9e-secret"
)

func relLabels(component string) map[string]string {
	return map[string]string{rollout.LabelInstance: testRel, rollout.LabelComponent: component}
}

func readyPod(driver, submitCmd string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: rollout.PodName(driver), Namespace: testNS, Labels: relLabels(rollout.ComponentDriver), ResourceVersion: "1"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "sidecar"}, {Name: rollout.DriverContainer}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: rollout.DriverContainer, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
	if submitCmd != "" {
		p.Annotations = map[string]string{rollout.AnnotationSubmitCommand: submitCmd}
	}
	return p
}

func releaseObjects(siteXML string, drivers ...string) []runtime.Object {
	objs := []runtime.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: testRel + "-token", Namespace: testNS, Labels: relLabels(rollout.ComponentToken)},
			Data: map[string][]byte{rollout.TokenKey: []byte(testToken), rollout.TimestampKey: []byte("4242")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: testRel + "-conf", Namespace: testNS, Labels: relLabels(rollout.ComponentConf)},
			Data: map[string]string{MR3SiteOutside: siteXML}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "mr3", Namespace: testNS, Labels: relLabels(rollout.ComponentAMService)},
			Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.9", ExternalIPs: []string{"192.0.2.7"}, Ports: []corev1.ServicePort{{Port: 9862}}}},
	}
	for _, d := range drivers {
		objs = append(objs, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: d, Namespace: testNS, Labels: relLabels(rollout.ComponentDriver)}})
	}
	return objs
}

func siteWithAliases(aliases string) string {
	return `<configuration><property><name>mr3.k8s.host.aliases</name><value>` + aliases + `</value></property></configuration>`
}

func TestRunSubmitExecsAnnotatedCommandAndPassesExitCode(t *testing.T) {
	cfg, ex := kubeletServer(t)
	objs := append(releaseObjects(siteWithAliases(""), "spark1"), readyPod("spark1", "sh"))
	var out, errOut bytes.Buffer
	var readyAt, startedAt time.Time
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Timeout: 5 * time.Second,
		Args:   []string{"-c", `printf '%s|' "$@"; exit 7`, "x", "a b", `"q"`},
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Config: cfg, Client: fake.NewClientset(objs...),
		Hooks: Hooks{Ready: func(r *rollout.Ready) { readyAt = r.At }, Started: func(t time.Time) { startedAt = t }}}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	err := o.Run(context.Background())
	var ce *CommandExitError
	if !errors.As(err, &ce) || ce.Code != 7 {
		t.Fatalf("want CommandExitError 7, got %v", err)
	}
	if out.String() != "a b|\"q\"|" {
		t.Fatalf("stdout %q", out.String())
	}
	if got := ex.cmds[0]; got[0] != "sh" {
		t.Fatalf("ran %q, want the annotated command", got)
	}
	if readyAt.IsZero() || startedAt.Before(readyAt) {
		t.Fatalf("hooks: ready %v started %v", readyAt, startedAt)
	}
	if errOut.Len() != 0 {
		t.Fatalf("a ready release should print nothing on stderr, got %q", errOut.String())
	}
}

func TestRunSubmitStdinOnlyWithFlag(t *testing.T) {
	cfg, _ := kubeletServer(t)
	objs := append(releaseObjects("", "spark1"), readyPod("spark1", "cat"))
	for _, stdin := range []bool{false, true} {
		var out bytes.Buffer
		o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Stdin: stdin,
			IO:     genericiooptions.IOStreams{In: strings.NewReader("hello\n"), Out: &out, ErrOut: &bytes.Buffer{}},
			Config: cfg, Client: fake.NewClientset(objs...)}
		if err := o.Complete(); err != nil {
			t.Fatal(err)
		}
		if err := o.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := ""
		if stdin {
			want = "hello\n"
		}
		if out.String() != want {
			t.Fatalf("stdin=%v: got %q", stdin, out.String())
		}
	}
}

func TestRunDryRunRemotePrintsQuotedCommand(t *testing.T) {
	objs := append(releaseObjects("", "spark1"), readyPod("spark1", ""))
	var out bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, DryRun: true,
		Args: []string{"--conf", "spark.x=a b", "it's"},
		IO:   genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}}}
	o.Client = fake.NewClientset(objs...)
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "# in pod spark/spark1-0 container driver (exec; the Pod's own environment applies)\n" +
		DefaultSubmitCommand + ` --conf 'spark.x=a b' 'it'\''s'` + "\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunLocalDryRunMasksTokenAndAddsConfs(t *testing.T) {
	client := fake.NewClientset(releaseObjects(siteWithAliases("gold0=10.1.1.1,gold1=10.1.1.2"))...)
	var out, errOut bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, DryRun: true,
		Script: "/opt/run-spark-submit.sh", DriverHost: "gold1", Args: []string{"app.jar"},
		IO: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Client: client}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	text := out.String() + errOut.String()
	if strings.Contains(text, testToken) {
		t.Fatalf("token printed:\n%s", text)
	}
	for _, want := range []string{"CLIENT_TO_AM_TOKEN_KEY=********", "MR3_APPLICATION_ID_TIMESTAMP=4242",
		"--conf spark.driver.host=gold1 --conf spark.driver.port=", "--conf spark.mr3.k8s.am.service.host=192.0.2.7 --conf spark.mr3.k8s.am.service.port=9862 app.jar"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("no warning expected, got %q", errOut.String())
	}
	if len(client.Actions()) != 3 {
		t.Errorf("--local needs 3 requests (token, conf, AM service), made %d", len(client.Actions()))
	}
}

func TestBuildLocalWarnsOnMissingHostAlias(t *testing.T) {
	r := readyRelease(t, siteWithAliases("gold0=10.1.1.1"))
	lc, err := BuildLocal(r, "s", "silver3", nil, func() (int, error) { return 40123, nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(lc.Warnings) != 1 || !strings.Contains(lc.Warnings[0], "silver3 is not in mr3.k8s.host.aliases of ConfigMap rel-conf (mr3-site-outside.xml)") ||
		!strings.Contains(lc.Warnings[0], "UnknownHostException") {
		t.Fatalf("warnings: %q", lc.Warnings)
	}
	// An IP address needs no alias.
	lc, _ = BuildLocal(r, "s", "10.9.9.9", nil, func() (int, error) { return 40123, nil })
	if len(lc.Warnings) != 0 {
		t.Fatalf("warnings for an IP: %q", lc.Warnings)
	}
}

func TestBuildLocalKeepsUserConfs(t *testing.T) {
	r := readyRelease(t, siteWithAliases("h=10.1.1.1"))
	args := []string{"--conf", "spark.driver.port=5555", "--conf=spark.driver.host=h", "app.jar"}
	lc, err := BuildLocal(r, "s", "h", args, func() (int, error) { t.Fatal("port asked for"); return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(lc.Args, " ")
	if strings.Count(joined, "spark.driver.port") != 1 || strings.Count(joined, "spark.driver.host") != 1 || !strings.HasSuffix(joined, strings.Join(args, " ")) {
		t.Fatalf("args %q", lc.Args)
	}
}

func readyRelease(t *testing.T, site string) *rollout.Ready {
	t.Helper()
	r, err := rollout.Wait(context.Background(), fake.NewClientset(releaseObjects(site)...),
		rollout.Target{Namespace: testNS, Release: testRel, SkipDrivers: true}, rollout.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRunLocalPassesTokenEnvAndExitCode(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "run-spark-submit.sh")
	record := filepath.Join(dir, "record")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n{ echo \"$CLIENT_TO_AM_TOKEN_KEY\"; echo \"$MR3_APPLICATION_ID_TIMESTAMP\"; printf '%s\\n' \"$@\"; } > "+record+"\nexit 9\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	client := fake.NewClientset(releaseObjects(siteWithAliases("h=10.1.1.1"))...)
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h",
		Args: []string{"a b"}, IO: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Client: client, Config: nil, Environ: func() []string { return []string{"PATH=" + os.Getenv("PATH"), rollout.TokenKey + "=stale"} }}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	err := o.Run(context.Background())
	var ce *CommandExitError
	if !errors.As(err, &ce) || ce.Code != 9 {
		t.Fatalf("want exit 9, got %v", err)
	}
	got, _ := os.ReadFile(record)
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if lines[0] != testToken || lines[1] != "4242" || lines[len(lines)-1] != "a b" {
		t.Fatalf("script saw:\n%s", got)
	}
}

func TestRunLocalSignalExitCode(t *testing.T) {
	code, err := RunLocal(context.Background(), LocalOptions{Script: "/bin/sh", Args: []string{"-c", "kill -TERM $$"}})
	if err != nil || code != 128+15 {
		t.Fatalf("got %d, %v", code, err)
	}
}

func TestRunLocalInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	code, err := RunLocal(ctx, LocalOptions{Script: "/bin/sh", Args: []string{"-c", "sleep 30"}, OnStart: func() {
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	}})
	if !errors.Is(err, ErrInterrupted) || code != -1 {
		t.Fatalf("got %d, %v", code, err)
	}
}

func TestSelect(t *testing.T) {
	ready := func(n string) rollout.DriverPod {
		return rollout.DriverPod{Name: n, Pod: readyPod(n, ""), State: rollout.ResourceState{Ready: true}}
	}
	notReady := func(n string) rollout.DriverPod {
		return rollout.DriverPod{Name: n, State: rollout.ResourceState{Reason: "Pending"}}
	}
	d, note, err := Select([]rollout.DriverPod{ready("a")}, "")
	if err != nil || d.Name != "a" || note != "" {
		t.Fatalf("only driver: %v %q %v", d.Name, note, err)
	}
	d, note, err = Select([]rollout.DriverPod{notReady("a"), ready("b"), ready("c")}, "")
	if err != nil || d.Name != "b" || !strings.Contains(note, "using driver b (drivers: a, b, c; choose with --driver)") {
		t.Fatalf("first ready: %v %q %v", d.Name, note, err)
	}
	if _, _, err = Select([]rollout.DriverPod{ready("a"), ready("b")}, "zz"); err == nil || !strings.Contains(err.Error(), `no driver "zz"; drivers: a, b`) {
		t.Fatalf("unknown: %v", err)
	}
	d, _, err = Select([]rollout.DriverPod{ready("a"), ready("b")}, "b")
	if err != nil || d.Name != "b" {
		t.Fatalf("named: %v %v", d.Name, err)
	}
}

func TestValidate(t *testing.T) {
	notExecutable := filepath.Join(t.TempDir(), "run-spark-submit.sh")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := func() *Options {
		return &Options{Verb: Submit, Release: "rel", Client: fake.NewClientset(), Config: nil}
	}
	tests := []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no release", func(o *Options) { o.Release = "" }, "release name is required"},
		{"bad release", func(o *Options) { o.Release = "Bad_Name" }, "release name"},
		{"bad driver", func(o *Options) { o.Driver = "UPPER" }, "--driver"},
		{"negative timeout", func(o *Options) { o.Timeout = -1 }, "--timeout"},
		{"local and driver", func(o *Options) { o.Local, o.Script, o.Driver = true, "/bin/true", "d" }, "use one of them"},
		{"local without script", func(o *Options) { o.Local = true }, "SPARKMR3_SUBMIT_SCRIPT"},
		{"local shell without script", func(o *Options) { o.Local, o.Verb = true, Shell }, "SPARKMR3_SHELL_SCRIPT"},
		{"script not executable", func(o *Options) { o.Local, o.Script = true, notExecutable }, "not an executable"},
		{"script without local", func(o *Options) { o.Script = "/bin/true" }, "only apply with --local"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.Config = kubeletConfigStub
			tc.mod(o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	o := base()
	o.Config = kubeletConfigStub
	if err := o.Validate(); err != nil {
		t.Fatalf("valid options rejected: %v", err)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"plain-1.jar": "plain-1.jar", "a b": "'a b'", "": "''", "it's": `'it'\''s'`, "$HOME": "'$HOME'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

var kubeletConfigStub = &rest.Config{Host: "http://127.0.0.1:1"}
