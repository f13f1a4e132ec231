package driver

import (
	"bytes"
	"context"
	"errors"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

	"github.com/spark-mr3/spark-mr3/plugin/outside"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

const (
	testNS    = "spark"
	testRel   = "rel"
	testToken = "tok-3f1b2c9e-secret"
)

func relLabels(component string) map[string]string {
	return map[string]string{contract.LabelInstance: testRel, contract.LabelComponent: component}
}

func readyPod(driver, submitCmd string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: contract.DriverPodName(driver), Namespace: testNS, Labels: relLabels(contract.ComponentDriver), ResourceVersion: "1"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "sidecar"}, {Name: contract.DriverContainer}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: contract.DriverContainer, Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
	if submitCmd != "" {
		p.Annotations = map[string]string{contract.AnnotationSubmitCommand: submitCmd}
	}
	return p
}

// testEnvSh is the release's env.sh in the contract's format (docs: envsh-contract).
const testEnvSh = `REMOTE_BASE_DIR='/opt/mr3-run'
SPARK_REMOTE_WORK_DIR='/opt/mr3-run/spark'
CONF_DIR_MOUNT_DIR='/opt/mr3-run/conf'
KEYTAB_MOUNT_DIR='/opt/mr3-run/key'
KEYTAB_MOUNT_FILE=''
WORK_DIR_PERSISTENT_VOLUME_CLAIM=''
WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR=''
DOCKER_SPARK_IMG='mr3project/spark:3.5'
SPARK_DOCKER_USER='spark'
SPARK_MR3_NAMESPACE='spark'
MASTER_SERVICE_ACCOUNT='rel-master'
WORKER_SERVICE_ACCOUNT='rel-worker'
SPARK_CONF_DIR_CONFIGMAP='rel-conf'
CREATE_KEYTAB_SECRET='true'
SPARK_KEYTAB_SECRET='rel-keytab'
CREATE_WORKER_SECRET='true'
SPARK_WORKER_SECRET='rel-worker'
unset SPARK_HOME
`

func releaseObjects(siteXML string, drivers ...string) []runtime.Object {
	objs := []runtime.Object{
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: testRel + "-token", Namespace: testNS, Labels: relLabels(contract.ComponentToken)},
			Data: map[string][]byte{contract.KeyToken: []byte(testToken), contract.KeyTimestamp: []byte("4242")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: testRel + "-env", Namespace: testNS, Labels: relLabels(contract.ComponentConf)},
			Data: map[string][]byte{"env.sh": []byte(testEnvSh)}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: testRel + "-conf", Namespace: testNS, Labels: relLabels(contract.ComponentConf)},
			Data: map[string]string{MR3SiteOutside: siteXML}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "mr3", Namespace: testNS, Labels: relLabels(contract.ComponentAMService)},
			Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.9", ExternalIPs: []string{"192.0.2.7"}, Ports: []corev1.ServicePort{{Port: 9862}}}},
	}
	for _, d := range drivers {
		objs = append(objs, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: d, Namespace: testNS, Labels: relLabels(contract.ComponentDriver)}})
	}
	return objs
}

func siteWithAliases(aliases string) string {
	return `<configuration><property><name>mr3.k8s.host.aliases</name><value>` + aliases + `</value></property></configuration>`
}

// writeScript writes an executable bash script into dir and returns its path.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/bash\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// baseDir makes MR3's layout on an "outside node": BASE/spark/run-spark-submit.sh (body),
// BASE/env.sh and BASE/conf/mr3-site.xml as `env --write-dir` writes them.
func baseDir(t *testing.T, envSh, site, body string) (base, script string) {
	t.Helper()
	base = t.TempDir()
	script = writeScript(t, base, "spark/run-spark-submit.sh", body)
	if err := os.WriteFile(filepath.Join(base, "env.sh"), []byte(envSh), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(base, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "conf", "mr3-site.xml"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	return base, script
}

func TestRunSubmitExecsAnnotatedCommandWithPipefailAndPassesExitCode(t *testing.T) {
	cfg, ex := kubeletServer(t, true)
	// MR3's run-spark-submit.sh ends in `spark-submit … 2>&1 | tee FILE`: only pipefail makes a
	// failed spark-submit the script's status.
	script := writeScript(t, t.TempDir(), "run-spark-submit.sh", "{ printf '%s|' \"$@\"; exit 7; } 2>&1 | tee /dev/null\n")
	objs := append(releaseObjects(siteWithAliases(""), "spark1"), readyPod("spark1", script))
	var out, errOut bytes.Buffer
	var readyAt, startedAt time.Time
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Timeout: 5 * time.Second,
		Args:   []string{"x", `"q"`, "$HOME"},
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
		t.Fatalf("want CommandExitError 7 through `| tee`, got %v", err)
	}
	if out.String() != `x|"q"|$HOME|` {
		t.Fatalf("stdout %q", out.String())
	}
	// The wrapper (its own process group, see cancel.go) with a run dir in MR3's result dir
	// (BASE_DIR/spark/spark-submit-result), then the annotated command under bash -o pipefail.
	argv := ex.cmds[0]
	if len(argv) < 9 || argv[0] != Bash || argv[1] != "-c" || argv[2] != wrapperScript {
		t.Fatalf("ran %q, want the wrapper", argv)
	}
	runDir := argv[4]
	if want := filepath.Join(filepath.Dir(filepath.Dir(script)), "spark", "spark-submit-result") + "/" + runDirPrefix; !strings.HasPrefix(runDir, want) {
		t.Fatalf("run dir %s, want one under %s", runDir, want)
	}
	if got := strings.Join(argv[5:9], " "); got != "/bin/bash -o pipefail "+script {
		t.Fatalf("ran %q, want the annotated command under bash -o pipefail", argv)
	}
	if _, err := os.Stat(runDir); !os.IsNotExist(err) {
		t.Fatalf("the run dir %s is left after the job: %v", runDir, err)
	}
	if readyAt.IsZero() || startedAt.Before(readyAt) {
		t.Fatalf("hooks: ready %v started %v", readyAt, startedAt)
	}
	if errOut.Len() != 0 {
		t.Fatalf("a ready release should print nothing on stderr, got %q", errOut.String())
	}
}

func TestRunSubmitStdinOnlyWithFlag(t *testing.T) {
	cfg, _ := kubeletServer(t, true)
	script := writeScript(t, t.TempDir(), "cat.sh", "cat\n")
	objs := append(releaseObjects("", "spark1"), readyPod("spark1", script))
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

func TestRunDryRunRemotePrintsTheCommandLineRun(t *testing.T) {
	objs := append(releaseObjects("", "spark1"), readyPod("spark1", ""))
	var out bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, DryRun: true,
		Args: []string{"--conf", "spark.x=1", "it's"},
		IO:   genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}}}
	o.Client = fake.NewClientset(objs...)
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := "# in pod spark/spark1-0 container driver (exec; the Pod's own environment applies)\n" +
		"/bin/bash -o pipefail " + DefaultSubmitCommand + ` --conf spark.x=1 'it'\''s'` + "\n"
	if out.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestRunLocalDryRunMasksTokenAndAddsConfs(t *testing.T) {
	client := fake.NewClientset(releaseObjects(siteWithAliases("gold0=10.1.1.1,gold1=10.1.1.2"))...)
	var out, errOut bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, DryRun: true,
		Script: "/opt/no-such/spark/run-spark-submit.sh", DriverHost: "gold1", Args: []string{"app.jar"},
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
	for _, want := range []string{"# on this machine (BASE_DIR /opt/no-such)", "CLIENT_TO_AM_TOKEN_KEY=********", "MR3_APPLICATION_ID_TIMESTAMP=4242",
		"DRIVER_NAME=gold1", "SPARK_DRIVER_CORES=1", "SPARK_DRIVER_MEMORY_MB=1024",
		"/bin/bash -o pipefail /opt/no-such/spark/run-spark-submit.sh --conf spark.driver.host=gold1 --conf spark.driver.port=",
		"--conf spark.mr3.k8s.am.service.host=192.0.2.7 --conf spark.mr3.k8s.am.service.port=9862 app.jar",
		"# not checked: /opt/no-such and its conf/ (the script does not exist)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run lacks %q:\n%s", want, out.String())
		}
	}
	// No DAGAppMaster Deployment exists: the mixed-mode advice.
	if !strings.Contains(errOut.String(), "warning: no DAGAppMaster runs for release \"rel\" yet") || !strings.Contains(errOut.String(), "without --local") {
		t.Errorf("stderr: %q", errOut.String())
	}
	// token, conf, AM Service; the drivers (cores/memory); the two AM Deployment names.
	if n := len(client.Actions()); n != 6 {
		t.Errorf("--local --dry-run made %d requests, want 6: %v", n, client.Actions())
	}
}

func TestBuildLocalWarnsOnMissingHostAlias(t *testing.T) {
	r := readyRelease(t, siteWithAliases("gold0=10.1.1.1"))
	lc, err := BuildLocal(r, "s", "silver3", outside.Driver{}, nil, func() (int, error) { return 40123, nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(lc.Warnings) != 1 || !strings.Contains(lc.Warnings[0], "silver3 is not in mr3.k8s.host.aliases of ConfigMap rel-conf (mr3-site-outside.xml)") ||
		!strings.Contains(lc.Warnings[0], "UnknownHostException") {
		t.Fatalf("warnings: %q", lc.Warnings)
	}
	// An IP address needs no alias.
	lc, _ = BuildLocal(r, "s", "10.9.9.9", outside.Driver{}, nil, func() (int, error) { return 40123, nil })
	if len(lc.Warnings) != 0 {
		t.Fatalf("warnings for an IP: %q", lc.Warnings)
	}
}

func TestBuildLocalKeepsUserConfsAndPassesDriverEnv(t *testing.T) {
	r := readyRelease(t, siteWithAliases("h=10.1.1.1"))
	args := []string{"--conf", "spark.driver.port=5555", "--conf=spark.driver.host=h", "app.jar"}
	lc, err := BuildLocal(r, "s", "h", outside.Driver{Name: "h", Cores: 3, MemoryMB: 2048}, args, func() (int, error) { t.Fatal("port asked for"); return 0, nil })
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(lc.Args, " ")
	if strings.Count(joined, "spark.driver.port") != 1 || strings.Count(joined, "spark.driver.host") != 1 || !strings.HasSuffix(joined, strings.Join(args, " ")) {
		t.Fatalf("args %q", lc.Args)
	}
	want := []string{contract.KeyToken + "=" + testToken, contract.KeyTimestamp + "=4242", "DRIVER_NAME=h", "SPARK_DRIVER_CORES=3", "SPARK_DRIVER_MEMORY_MB=2048"}
	if strings.Join(lc.Env, " ") != strings.Join(want, " ") {
		t.Fatalf("env %q, want %q", lc.Env, want)
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

// recordingScript records the environment MR3's script reads, its arguments, and exits with
// the code of a failing command piped into tee (pipefail at work).
const recordingScript = `D="$(cd "$(dirname "$0")" && pwd)"
{ for v in CLIENT_TO_AM_TOKEN_KEY MR3_APPLICATION_ID_TIMESTAMP DRIVER_NAME SPARK_DRIVER_CORES SPARK_DRIVER_MEMORY_MB; do echo "$v=${!v}"; done
  printf 'arg:%s\n' "$@"; } > "$D/record"
{ echo running; exit 9; } 2>&1 | tee /dev/null
`

func TestRunLocalPassesDriverEnvAndExitCode(t *testing.T) {
	site := siteWithAliases("h=10.1.1.1")
	base, script := baseDir(t, testEnvSh, site, recordingScript)
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "spark1", Namespace: testNS, Labels: relLabels(contract.ComponentDriver)},
		Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "driver",
			Env: []corev1.EnvVar{{Name: "SPARK_DRIVER_CORES", Value: "2"}, {Name: "SPARK_DRIVER_MEMORY_MB", Value: "3276"}}}}}}}}
	client := fake.NewClientset(append(releaseObjects(site), sts)...)
	var out bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h",
		Args: []string{"app.jar", "it's"}, IO: genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}},
		Client: client, Config: nil, Environ: func() []string {
			return []string{"PATH=" + os.Getenv("PATH"), contract.KeyToken + "=stale", "SPARK_DRIVER_CORES=99"}
		}}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	err := o.Run(context.Background())
	var ce *CommandExitError
	if !errors.As(err, &ce) || ce.Code != 9 {
		t.Fatalf("want exit 9 through `| tee`, got %v", err)
	}
	got, _ := os.ReadFile(filepath.Join(base, "spark", "record"))
	want := "CLIENT_TO_AM_TOKEN_KEY=" + testToken + "\nMR3_APPLICATION_ID_TIMESTAMP=4242\nDRIVER_NAME=h\nSPARK_DRIVER_CORES=2\nSPARK_DRIVER_MEMORY_MB=3276\n"
	if !strings.HasPrefix(string(got), want) || !strings.HasSuffix(string(got), "arg:app.jar\narg:it's\n") {
		t.Fatalf("script saw:\n%s\nwant it to start with:\n%s", got, want)
	}
}

func TestRunLocalRefusesABaseDirOfAnotherRelease(t *testing.T) {
	site := siteWithAliases("h=10.1.1.1")
	// MR3's stock env.sh: namespace sparkmr3 and sample names.
	stock := "SPARK_MR3_NAMESPACE=sparkmr3\nREMOTE_BASE_DIR=/opt/mr3-run\nSPARK_REMOTE_WORK_DIR=$REMOTE_BASE_DIR/spark\n" +
		"DOCKER_SPARK_IMG=${DOCKER_SPARK_IMG:-mr3project/spark3:3.2.2}\nMASTER_SERVICE_ACCOUNT=master-service-account\n" +
		"SPARK_CONF_DIR_CONFIGMAP=sparkmr3-conf-configmap\nSPARK_KEYTAB_SECRET=sparkmr3-keytab-secret\n"
	tests := []struct {
		name  string
		envSh string
		setup func(base string)
		want  []string
	}{
		{"stock env.sh", stock, nil, []string{
			`SPARK_MR3_NAMESPACE is 'sparkmr3' on this machine`, `but 'spark' for the release (its namespace); MR3's script passes it as -Dmr3.k8s.namespace`,
			`SPARK_CONF_DIR_CONFIGMAP is 'sparkmr3-conf-configmap'`, `but 'rel-conf' for the release (its conf ConfigMap)`,
			`MASTER_SERVICE_ACCOUNT is 'master-service-account'`,
			`DOCKER_SPARK_IMG is 'mr3project/spark3:3.2.2'`, `'mr3project/spark:3.5' for the release (env.sh of Secret rel-env)`,
			`WORKER_SERVICE_ACCOUNT is '' on this machine (unset)`, "SPARK_KEYTAB_SECRET"}},
		{"one variable differs", strings.Replace(testEnvSh, "SPARK_WORKER_SECRET='rel-worker'", "SPARK_WORKER_SECRET='old-worker'", 1), nil,
			[]string{`SPARK_WORKER_SECRET is 'old-worker'`, "-Dmr3.k8s.worker.secret"}},
		{"env-secret.sh overrides", testEnvSh, func(base string) {
			if err := os.WriteFile(filepath.Join(base, "env-secret.sh"), []byte("DOCKER_SPARK_IMG=mine:1\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{`DOCKER_SPARK_IMG is 'mine:1'`, "env-secret.sh line 1"}},
		{"env.sh assigns what submit passes", testEnvSh + "SPARK_DRIVER_MEMORY_MB=512\n", nil,
			[]string{"assigns SPARK_DRIVER_MEMORY_MB, which replaces the value submit passes"}},
		{"cannot be evaluated", strings.Replace(testEnvSh, "SPARK_MR3_NAMESPACE='spark'", "SPARK_MR3_NAMESPACE=$(cat /etc/ns)", 1), nil,
			[]string{"SPARK_MR3_NAMESPACE", "cannot be told without running the shell"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base, script := baseDir(t, tc.envSh, site, "touch \"$(dirname \"$0\")/ran\"\n")
			if tc.setup != nil {
				tc.setup(base)
			}
			o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h",
				IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
				Client: fake.NewClientset(releaseObjects(site)...), Environ: func() []string { return nil }}
			if err := o.Complete(); err != nil {
				t.Fatal(err)
			}
			err := o.Run(context.Background())
			var refused *outside.Refusal
			if !errors.As(err, &refused) {
				t.Fatalf("want a Refusal, got %v", err)
			}
			for _, w := range append(tc.want, "BASE_DIR "+base, "helm sparkmr3 env rel -n spark --write-dir "+base) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message lacks %q:\n%s", w, err)
				}
			}
			if _, err := os.Stat(filepath.Join(base, "spark", "ran")); err == nil {
				t.Fatal("the script ran")
			}
		})
	}
}

func TestRunLocalNeedsBaseDirFilesBeforeWaiting(t *testing.T) {
	dir := t.TempDir()
	script := writeScript(t, dir, "spark/run-spark-submit.sh", "exit 0\n")
	// No release objects at all: the refusal must come before the wait.
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h", Timeout: time.Hour,
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Client: fake.NewClientset()}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	err := o.Run(context.Background())
	var refused *outside.Refusal
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), filepath.Join(dir, "env.sh")+" does not exist") ||
		!strings.Contains(err.Error(), "--write-dir "+dir) {
		t.Fatalf("got %v", err)
	}
}

func TestRunLocalCreatesStagingDirAndRefusesWhenItCannot(t *testing.T) {
	staging := filepath.Join(t.TempDir(), "work-dir")
	site := `<configuration><property><name>mr3.k8s.host.aliases</name><value>h=10.1.1.1</value></property>` +
		`<property><name>mr3.am.staging-dir</name><value>` + staging + `</value></property></configuration>`
	_, script := baseDir(t, testEnvSh, site, "exit 0\n")
	run := func() error {
		o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h",
			IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
			Client: fake.NewClientset(releaseObjects(site)...), Environ: func() []string { return nil }}
		if err := o.Complete(); err != nil {
			t.Fatal(err)
		}
		return o.Run(context.Background())
	}
	if err := run(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(staging); err != nil || !fi.IsDir() {
		t.Fatalf("staging dir not created: %v", err)
	}
	// A file where the directory should be: refused, naming the path and the fix.
	if err := os.Remove(staging); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(staging, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := run()
	var refused *outside.Refusal
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "create mr3.am.staging-dir "+staging) || !strings.Contains(err.Error(), "mkdir -p") {
		t.Fatalf("got %v", err)
	}
}

func TestRunLocalWithoutOutsideSiteIsRefused(t *testing.T) {
	site := siteWithAliases("h=10.1.1.1")
	_, script := baseDir(t, testEnvSh, site, "exit 0\n")
	objs := releaseObjects(site)
	cm := objs[2].(*corev1.ConfigMap)
	cm.Data = map[string]string{MR3Site: site}
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: script, DriverHost: "h",
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
		Client: fake.NewClientset(objs...), Environ: func() []string { return nil }}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	err := o.Run(context.Background())
	var refused *outside.Refusal
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "outsideDrivers.enabled=true") {
		t.Fatalf("got %v", err)
	}
}

func TestRunLocalResolvesARelativeScriptOnce(t *testing.T) {
	base, _ := baseDir(t, testEnvSh, siteWithAliases("h=10.1.1.1"), "echo from-base-dir\n")
	t.Chdir(base)
	// A same-named script in PATH must not be the one run.
	pathDir := t.TempDir()
	writeScript(t, pathDir, "run-spark-submit.sh", "echo from-path\n")
	var out bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Local: true, Script: "spark/run-spark-submit.sh", DriverHost: "h",
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &bytes.Buffer{}},
		Client: fake.NewClientset(releaseObjects(siteWithAliases("h=10.1.1.1"))...), Config: kubeletConfigStub,
		Environ: func() []string { return []string{"PATH=" + pathDir + ":" + os.Getenv("PATH")} }}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if o.Script != filepath.Join(base, "spark", "run-spark-submit.sh") {
		t.Fatalf("script %q is not absolute", o.Script)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out.String() != "from-base-dir\n" {
		t.Fatalf("ran the wrong script: %q", out.String())
	}
}

func TestBaseDirOf(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "mr3-run")
	writeScript(t, real, "spark/run-spark-submit.sh", "")
	// A symlinked script FILE is not followed: BASE_DIR is the parent of the link's folder.
	linkDir := filepath.Join(root, "bin", "spark")
	if err := os.MkdirAll(linkDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(real, "spark", "run-spark-submit.sh"), filepath.Join(linkDir, "run.sh")); err != nil {
		t.Fatal(err)
	}
	// A symlinked FOLDER is resolved (readlink -f "$DIR/..").
	if err := os.Symlink(filepath.Join(real, "spark"), filepath.Join(root, "spark-link")); err != nil {
		t.Fatal(err)
	}
	rootReal, _ := filepath.EvalSymlinks(root)
	for _, tc := range []struct{ script, want string }{
		{filepath.Join(real, "spark", "run-spark-submit.sh"), filepath.Join(rootReal, "mr3-run")},
		{filepath.Join(linkDir, "run.sh"), filepath.Join(rootReal, "bin")},
		{filepath.Join(root, "spark-link", "run-spark-submit.sh"), filepath.Join(rootReal, "mr3-run")},
	} {
		if got := BaseDirOf(tc.script); got != tc.want {
			t.Errorf("BaseDirOf(%s) = %s, want %s", tc.script, got, tc.want)
		}
	}
}

func TestRunLocalSignalExitCode(t *testing.T) {
	script := writeScript(t, t.TempDir(), "kill.sh", "kill -TERM $$\n")
	code, err := RunLocal(context.Background(), LocalOptions{Script: script})
	if err != nil || code != 128+15 {
		t.Fatalf("got %d, %v", code, err)
	}
}

func TestRunLocalInterruptedKillsAfterGrace(t *testing.T) {
	script := writeScript(t, t.TempDir(), "stubborn.sh", "trap '' TERM; sleep 30\n")
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	code, err := RunLocal(ctx, LocalOptions{Script: script, OwnGroup: true, Grace: 200 * time.Millisecond, OnStart: func() {
		go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	}})
	if !errors.Is(err, ErrInterrupted) || code != -1 {
		t.Fatalf("got %d, %v", code, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s: SIGKILL after the grace period did not stop it", d)
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
	dir := t.TempDir()
	notExecutable := filepath.Join(dir, "run-spark-submit.sh")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := func() *Options {
		return &Options{Verb: Submit, Release: "rel", Client: fake.NewClientset(), Config: nil}
	}
	tests := []struct {
		name string
		mod  func(*Options)
		want string // "" = accepted
	}{
		{"valid", func(o *Options) {}, ""},
		{"no release", func(o *Options) { o.Release = "" }, "release name is required"},
		{"bad release", func(o *Options) { o.Release = "Bad_Name" }, "release name"},
		{"bad driver", func(o *Options) { o.Driver = "UPPER" }, "--driver"},
		{"negative timeout", func(o *Options) { o.Timeout = -1 }, "--timeout"},
		{"argument with a space", func(o *Options) { o.Args = []string{"--conf", "a=b c"} }, `Spark argument 2 "a=b c"`},
		{"local and driver", func(o *Options) { o.Local, o.Script, o.Driver = true, notExecutable, "d" }, "use one of them"},
		{"local without script", func(o *Options) { o.Local = true }, "SPARKMR3_SUBMIT_SCRIPT"},
		{"local shell without script", func(o *Options) { o.Local, o.Verb = true, Shell }, "SPARKMR3_SHELL_SCRIPT"},
		{"bash needs no execute bit", func(o *Options) { o.Local, o.Script = true, notExecutable }, ""},
		{"script missing", func(o *Options) { o.Local, o.Script = true, filepath.Join(dir, "nope.sh") }, "give the path of MR3's run-spark-submit.sh"},
		{"script is a directory", func(o *Options) { o.Local, o.Script = true, dir }, "is not a regular file"},
		{"script without local", func(o *Options) { o.Script = "/bin/true" }, "only apply with --local"},
		{"cores without local", func(o *Options) { o.DriverCores = "2" }, "only apply with --local"},
		{"cores zero", func(o *Options) { o.Local, o.Script, o.DriverCores = true, notExecutable, "0" }, `--driver-cores "0": must be a positive integer`},
		{"cores text", func(o *Options) { o.Local, o.Script, o.DriverCores = true, notExecutable, "two" }, `--driver-cores "two"`},
		{"memory with unit", func(o *Options) { o.Local, o.Script, o.DriverMemoryMB = true, notExecutable, "4g" }, `--driver-memory-mb "4g": must be a positive integer, e.g. 4096 (MiB)`},
		{"memory negative", func(o *Options) { o.Local, o.Script, o.DriverMemoryMB = true, notExecutable, "-1" }, `--driver-memory-mb "-1"`},
		{"sizes given", func(o *Options) {
			o.Local, o.Script, o.DriverCores, o.DriverMemoryMB = true, notExecutable, "2", "4096"
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			o.Config = kubeletConfigStub
			tc.mod(o)
			err := o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLocalAMMemoryWarning(t *testing.T) {
	conf := func(am string) *corev1.ConfigMap {
		site := `<configuration></configuration>`
		if am != "" {
			site = `<configuration><property><name>mr3.am.resource.memory.mb</name><value>` + am + `</value></property></configuration>`
		}
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "rel-conf"}, Data: map[string]string{MR3Site: site}}
	}
	pod := func(limit, heap string) *corev1.Pod {
		c := corev1.Container{Name: "driver"}
		if limit != "" {
			c.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(limit)}
		}
		if heap != "" {
			c.Env = []corev1.EnvVar{{Name: "SPARK_DRIVER_MEMORY_MB", Value: heap}}
		}
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "spark1-0"}, Spec: corev1.PodSpec{Containers: []corev1.Container{c}}}
	}
	tests := []struct {
		name      string
		pod       *corev1.Pod
		am        string
		mode      string
		want      []string
		wantEmpty bool
	}{
		{"too small", pod("4Gi", "3276"), "4096", "local-process", []string{"--localprocess runs the DAGAppMaster inside driver Pod spark1-0",
			"memory limit of 4Gi (4096 MiB)", "SPARK_DRIVER_MEMORY_MB=3276 plus mr3.am.resource.memory.mb=4096 (ConfigMap rel-conf, mr3-site.xml) = 7372 MiB",
			"drivers[].resources", "mr3.amMemoryMb", "leave out --localprocess"}, false},
		{"thread too", pod("4Gi", "3276"), "4096", "local-thread", []string{"--localthread"}, false},
		{"fits", pod("16Gi", "8192"), "4096", "local-process", nil, true},
		{"exactly fits", pod("8Gi", "4096"), "4096", "local-process", nil, true},
		{"no limit", pod("", "8192"), "4096", "local-process", nil, true},
		{"no heap env", pod("1Gi", ""), "4096", "local-process", nil, true},
		{"no AM memory", pod("1Gi", "3276"), "", "local-process", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := localAMMemoryWarning(tc.pod, "driver", conf(tc.am), tc.mode)
			if tc.wantEmpty != (got == "") {
				t.Fatalf("warning %q", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
		})
	}
}

func TestRunSubmitLocalProcessWarnsThroughRun(t *testing.T) {
	cfg, _ := kubeletServer(t, true)
	script := writeScript(t, t.TempDir(), "ok.sh", "exit 0\n")
	p := readyPod("spark1", script)
	p.Spec.Containers[1].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("4Gi")}
	p.Spec.Containers[1].Env = []corev1.EnvVar{{Name: "SPARK_DRIVER_MEMORY_MB", Value: "3276"}}
	objs := releaseObjects("", "spark1")
	objs[2].(*corev1.ConfigMap).Data[MR3Site] = `<configuration><property><name>mr3.am.resource.memory.mb</name><value>4096</value></property></configuration>`
	var errOut bytes.Buffer
	o := &Options{Verb: Submit, Release: testRel, Namespace: testNS, Args: []string{"--localprocess", "app.jar"},
		IO:     genericiooptions.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut},
		Config: cfg, Client: fake.NewClientset(append(objs, p)...)}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "warning: --localprocess runs the DAGAppMaster inside driver Pod spark1-0") {
		t.Fatalf("stderr: %q", errOut.String())
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
