package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/cli/output"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/spark-mr3/spark-mr3/plugin/driver"
	"github.com/spark-mr3/spark-mr3/plugin/outside"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

func TestSplitOwnFlags(t *testing.T) {
	s := NewSettings(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
	cmd := NewRootCommand(s)
	sub, _, err := cmd.Find([]string{"submit"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.ParseFlags(nil); err != nil { // merges helm's global flags, as Execute does
		t.Fatal(err)
	}
	tests := []struct {
		args      []string
		own, rest string
	}{
		{[]string{"--driver", "d", "--conf", "a=b", "app.jar"}, "--driver d", "--conf a=b app.jar"},
		{[]string{"--timeout=1m", "-i", "--local", "--", "--driver", "x"}, "--timeout=1m -i --local", "--driver x"},
		{[]string{"-n", "ns", "--class", "Main", "app.jar", "--driver", "x"}, "-n ns", "--class Main app.jar --driver x"},
		{[]string{"--driver-java-options", "-Da=1 -Db=2", "app.jar"}, "", "--driver-java-options -Da=1 -Db=2 app.jar"},
		{[]string{"--dry-run"}, "--dry-run", ""},
	}
	for _, tc := range tests {
		own, rest, err := splitOwnFlags(sub.Flags(), tc.args)
		if err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		if strings.Join(own, " ") != tc.own || strings.Join(rest, " ") != tc.rest {
			t.Errorf("%q: own %q rest %q, want %q / %q", tc.args, own, rest, tc.own, tc.rest)
		}
	}
	if _, _, err := splitOwnFlags(sub.Flags(), []string{"--driver"}); err == nil {
		t.Error("a flag without its value should be an error")
	}
}

func TestDriverExitCodes(t *testing.T) {
	tests := []struct {
		err   error
		code  int
		cause error // the verb's context's cause
	}{
		{nil, ExitOK, nil},
		{&driver.CommandExitError{Code: 7}, 7, nil},
		{driver.ErrInterrupted, ExitInterrupted, nil},
		{driver.ErrInterrupted, ExitInterrupted, &signalError{sig: syscall.SIGINT}},
		{driver.ErrInterrupted, 143, &signalError{sig: syscall.SIGTERM}},
		{context.Canceled, 143, &signalError{sig: syscall.SIGTERM}},
		{driver.ErrInterrupted, 129, &signalError{sig: syscall.SIGHUP}},
		{context.Canceled, 129, &signalError{sig: syscall.SIGHUP}},
		// The command's own code wins over the signal that came after it ended.
		{&driver.CommandExitError{Code: 7}, 7, &signalError{sig: syscall.SIGTERM}},
		{&rollout.NotReadyError{Release: "r"}, ExitNotReady, nil},
		{&rollout.UnknownDriverError{Release: "r", Driver: "x"}, ExitUsage, nil},
		// The DAGAppMaster's Pod refused: submit stopped the job (not the user: not 130).
		{&driver.AMStoppedError{Where: "in pod ns/spark1-0", Refusal: &rollout.AMRefusedError{Namespace: "ns", Deployment: "mr3master-spark-1-0"}}, ExitNotReady, nil},
		{errors.New("boom"), ExitError, nil},
	}
	for _, tc := range tests {
		if got := ExitCode(driverExit(tc.err, tc.cause)); got != tc.code {
			t.Errorf("%v: exit %d, want %d", tc.err, got, tc.code)
		}
	}
}

// TestDriverVerbsRefuseMangledArgumentsFirst: an argument MR3's script would re-split is exit 2
// before any cluster access (the kubeconfig here points nowhere).
func TestDriverVerbsRefuseMangledArgumentsFirst(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	for _, tc := range []struct {
		args []string
		want string
	}{
		// The README's old example: own flags end at --conf, so its "--" reached spark-submit.
		{[]string{"submit", "spark", "--driver", "spark2", "--conf", "spark.executor.instances=8", "--", "app.py"}, `Spark argument 3 "--"`},
		{[]string{"submit", "spark", "--", "--conf", "spark.driver.extraJavaOptions=-Da=1 -Db=2", "app.jar"}, "spark.driver.extraJavaOptions"},
		{[]string{"submit", "spark", "--local", "--script", "/x/spark/run.sh", "--", "app.jar", ""}, `Spark argument 2 ""`},
		{[]string{"shell", "spark", "--", "--master", "yarn"}, "drops --master"},
		{[]string{"shell", "spark", "--", "--jars", "/opt/*.jar"}, "glob character '*'"},
	} {
		s, _, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs(tc.args)
		err := root.Execute()
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: exit %d, err %v; want 2 and %q", tc.args, ExitCode(err), err, tc.want)
		}
	}
}

func TestEnvFlagsAreValidatedFirst(t *testing.T) {
	t.Setenv("KUBECONFIG", "/nonexistent/kubeconfig")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"env", "r", "--driver-cores", "0"}, `--driver-cores "0": must be a positive integer`},
		{[]string{"env", "r", "--driver-memory-mb", "4g"}, `--driver-memory-mb "4g"`},
		{[]string{"env", "r", "-o", "xml"}, `invalid argument "xml" for "-o, --output" flag: use one of shell, json, yaml`},
		{[]string{"env", "r", "-o", "table"}, `use one of shell, json, yaml`},
	} {
		s, _, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		root.SetArgs(tc.args)
		err := root.Execute()
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: exit %d, err %v; want 2 and %q", tc.args, ExitCode(err), err, tc.want)
		}
	}
}

// TestRunEnvFormats: json and yaml carry the same variables as the shell lines, encoded as
// helm's -o json|yaml.
func TestRunEnvFormats(t *testing.T) {
	for _, tt := range []struct {
		format output.Format
		want   string
	}{
		{output.JSON, `{"CLIENT_TO_AM_TOKEN_KEY":"tok","DRIVER_NAME":"gold0","MR3_APPLICATION_ID_TIMESTAMP":"1234","SPARK_DRIVER_CORES":"2","SPARK_DRIVER_MEMORY_MB":"3276","SPARK_MR3_NAMESPACE":"ns"}` + "\n"},
		{output.YAML, "CLIENT_TO_AM_TOKEN_KEY: tok\nDRIVER_NAME: gold0\nMR3_APPLICATION_ID_TIMESTAMP: \"1234\"\nSPARK_DRIVER_CORES: \"2\"\nSPARK_DRIVER_MEMORY_MB: \"3276\"\nSPARK_MR3_NAMESPACE: ns\n"},
	} {
		var out bytes.Buffer
		err := runEnv(context.Background(), envRelease(true), "ns", "r1", &envOptions{output: tt.format}, outside.Driver{Name: "gold0"}, &out, &bytes.Buffer{})
		if err != nil || out.String() != tt.want {
			t.Errorf("-o %s: err %v, stdout:\n%s\nwant:\n%s", tt.format, err, out.String(), tt.want)
		}
	}
}

func envRelease(withOutside bool) *fake.Clientset {
	lbl := func(c string) map[string]string {
		return map[string]string{"app.kubernetes.io/instance": "r1", "app.kubernetes.io/component": c}
	}
	conf := map[string]string{"mr3-site.xml": "<configuration/>\n", "spark-defaults.conf": "spark.executor.cores 1\n"}
	if withOutside {
		conf["mr3-site-outside.xml"] = "<configuration><!-- outside --></configuration>\n"
	}
	return fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "r1-token", Namespace: "ns", Labels: lbl("token")},
			Data: map[string][]byte{"CLIENT_TO_AM_TOKEN_KEY": []byte("tok"), "MR3_APPLICATION_ID_TIMESTAMP": []byte("1234")}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "r1-env", Namespace: "ns", Labels: lbl("conf")},
			Data: map[string][]byte{"env.sh": []byte("SPARK_MR3_NAMESPACE='ns'\n")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "r1-conf", Namespace: "ns", Labels: lbl("conf")}, Data: conf},
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "spark1", Namespace: "ns", Labels: lbl("driver")},
			Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "driver",
				Env: []corev1.EnvVar{{Name: "SPARK_DRIVER_CORES", Value: "2"}, {Name: "SPARK_DRIVER_MEMORY_MB", Value: "3276"}}}}}}}},
	)
}

func TestRunEnvPrintsDriverVarsAndWritesBaseDir(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	o := &envOptions{output: "shell", writeDir: dir}
	err := runEnv(context.Background(), envRelease(true), "ns", "r1", o, outside.Driver{Name: "gold0", MemoryMB: 4096}, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	want := "export CLIENT_TO_AM_TOKEN_KEY='tok'\nexport MR3_APPLICATION_ID_TIMESTAMP='1234'\nexport SPARK_MR3_NAMESPACE='ns'\n" +
		"export DRIVER_NAME='gold0'\nexport SPARK_DRIVER_CORES='2'\nexport SPARK_DRIVER_MEMORY_MB='4096'\n"
	if out.String() != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", out.String(), want)
	}
	if strings.Contains(errOut.String(), "tok'") || !strings.Contains(errOut.String(), "(0600, from Secret r1-env) and 2 file(s) to "+dir+"/conf/: mr3-site.xml, spark-defaults.conf") {
		t.Fatalf("stderr: %q", errOut.String())
	}
	site, _ := os.ReadFile(filepath.Join(dir, "conf", "mr3-site.xml"))
	env, _ := os.ReadFile(filepath.Join(dir, "env.sh"))
	if !strings.Contains(string(site), "outside") || string(env) != "SPARK_MR3_NAMESPACE='ns'\n" {
		t.Fatalf("mr3-site.xml %q, env.sh %q", site, env)
	}

	// Without mr3-site-outside.xml: refused (exit 2), nothing written, nothing printed.
	dir2 := t.TempDir()
	out.Reset()
	o.writeDir = dir2
	err = runEnv(context.Background(), envRelease(false), "ns", "r1", o, outside.Driver{Name: "gold0"}, &out, &bytes.Buffer{})
	var refused *outside.Refusal
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "outsideDrivers.enabled=true") || out.Len() != 0 {
		t.Fatalf("got %v, stdout %q", err, out.String())
	}
	if entries, _ := os.ReadDir(dir2); len(entries) != 0 {
		t.Fatalf("written: %v", entries)
	}
}

// TestSignalContextKeepsTheSignal: the verb's context ends with the signal as its cause (for
// 130 vs 143), and a later signal is swallowed until stop (the job in the Pod is being stopped).
func TestSignalContextKeepsTheSignal(t *testing.T) {
	ctx, stop := signalContext(context.Background())
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()
	var se *signalError
	if !errors.As(context.Cause(ctx), &se) || se.sig != syscall.SIGTERM || se.Error() != "terminated (SIGTERM)" {
		t.Fatalf("cause %v", context.Cause(ctx))
	}
	// A second signal (here SIGINT) must not end the test process.
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if code := ExitCode(driverExit(driver.ErrInterrupted, context.Cause(ctx))); code != 143 {
		t.Fatalf("exit %d, want 143", code)
	}
}
