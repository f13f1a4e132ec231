package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
)

// localEnvSh is the release's env.sh (Secret rel-env) in the chart's format.
const localEnvSh = `REMOTE_BASE_DIR='/opt/mr3-run'
SPARK_REMOTE_WORK_DIR='/opt/mr3-run/spark'
DOCKER_SPARK_IMG='mr3project/spark:e2e'
SPARK_MR3_NAMESPACE='%NS%'
MASTER_SERVICE_ACCOUNT='rel-master'
WORKER_SERVICE_ACCOUNT='rel-worker'
SPARK_CONF_DIR_CONFIGMAP='rel-conf'
SPARK_KEYTAB_SECRET='rel-keytab'
SPARK_WORKER_SECRET='rel-worker'
export AWS_SECRET_ACCESS_KEY='e2e-secret-in-env-sh'
`

// localRecorder is MR3's driver script as far as an outside node goes: it sources BASE_DIR/env.sh
// (BASE_DIR = the parent of its folder), records what MR3's script would pass to spark-submit,
// and ends in a `| tee` without pipefail, exiting with DIR/exitcode.
const localRecorder = `DIR="$(cd "$(dirname "$0")" && pwd)"
BASE_DIR=$(readlink -f $DIR/..)
source $BASE_DIR/env.sh
{
  echo "namespace=$SPARK_MR3_NAMESPACE"
  echo "configmap=$SPARK_CONF_DIR_CONFIGMAP"
  echo "master-sa=$MASTER_SERVICE_ACCOUNT"
  echo "spark.driver.cores=$SPARK_DRIVER_CORES"
  echo "spark.driver.memory=${SPARK_DRIVER_MEMORY_MB}m"
  echo "spark.ui.proxyBase=/${DRIVER_NAME}"
  echo "timestamp=$MR3_APPLICATION_ID_TIMESTAMP"
  echo "token-set=${CLIENT_TO_AM_TOKEN_KEY:+yes}"
  for a in "$@"; do echo "arg=$a"; done
} > "$BASE_DIR/record"
code=0; [ -e "$BASE_DIR/exitcode" ] && code=$(cat "$BASE_DIR/exitcode")
{ echo "spark-submit runs"; exit $code; } 2>&1 | tee "$BASE_DIR/out.txt"
`

// TestLocalDriverGetsTheReleasesSettings runs the outside-driver flow against the shared
// cluster: `env --write-dir` writes the node's BASE_DIR from the release's Secret and
// ConfigMap, `submit --local` checks it, creates the staging dir, warns that no DAGAppMaster
// runs yet, and runs the script with the release's token, cores, memory and name; a failing
// spark-submit behind `| tee` is submit's exit code; a BASE_DIR of another release is refused
// (exit 2) without running anything.
func TestLocalDriverGetsTheReleasesSettings(t *testing.T) {
	f := newSubmitFixture(t)
	f.createShared()
	ctx := context.Background()
	staging := filepath.Join(t.TempDir(), "work-dir")
	site := `<configuration><property><name>mr3.k8s.host.aliases</name><value>gold0=10.1.90.10</value></property>` +
		`<property><name>mr3.am.staging-dir</name><value>` + staging + `</value></property></configuration>`
	cm, err := f.cs.CoreV1().ConfigMaps(f.ns).Get(ctx, f.rel+"-conf", metav1.GetOptions{})
	must(t, err)
	cm.Data["mr3-site-outside.xml"] = site
	cm.Data["spark-defaults.conf"] = "spark.executor.cores 1\n"
	_, err = f.cs.CoreV1().ConfigMaps(f.ns).Update(ctx, cm, metav1.UpdateOptions{})
	must(t, err)
	_, err = f.cs.CoreV1().Secrets(f.ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: f.rel + "-env", Labels: f.labels("conf")},
		Data: map[string][]byte{"env.sh": []byte(strings.ReplaceAll(localEnvSh, "%NS%", f.ns))}}, metav1.CreateOptions{})
	must(t, err)
	// A driver inside Kubernetes sized 2 cores / 3276 MiB: the outside driver's default.
	_, err = f.cs.AppsV1().StatefulSets(f.ns).Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "spark1", Labels: f.labels("driver")},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"sparkmr3_app": "spark1"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"sparkmr3_app": "spark1"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "driver", Image: "mr3project/spark:stand-in",
					Env: []corev1.EnvVar{{Name: "SPARK_DRIVER_CORES", Value: "2"}, {Name: "SPARK_DRIVER_MEMORY_MB", Value: "3276"}}}}}}}}, metav1.CreateOptions{})
	must(t, err)

	base := filepath.Join(t.TempDir(), "mr3-run")
	script := filepath.Join(base, "spark", "run-spark-submit.sh")
	must(t, os.MkdirAll(filepath.Dir(script), 0o755))
	write(t, script, "#!/bin/bash\n"+localRecorder, 0o755)
	// MR3's stock env.sh first: namespace sparkmr3 and sample names.
	write(t, filepath.Join(base, "env.sh"), "SPARK_MR3_NAMESPACE=sparkmr3\nSPARK_CONF_DIR_CONFIGMAP=sparkmr3-conf-configmap\n", 0o644)
	must(t, os.MkdirAll(filepath.Join(base, "conf"), 0o755))
	write(t, filepath.Join(base, "conf", "mr3-site.xml"), "<configuration/>\n", 0o644)

	_, errOut, code := f.runCLI(nil, "submit", f.rel, "--local", "--script", script, "--driver-host", "gold0", "--", "app.jar")
	if code != cli.ExitUsage {
		t.Fatalf("stock env.sh: exit %d, want 2\n%s", code, errOut)
	}
	for _, want := range []string{`SPARK_MR3_NAMESPACE is 'sparkmr3' on this machine`, `'` + f.ns + `' for the release (its namespace)`,
		`SPARK_CONF_DIR_CONFIGMAP is 'sparkmr3-conf-configmap'`, "helm sparkmr3 env rel -n " + f.ns + " --write-dir " + base} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "record")); err == nil {
		t.Fatal("the script ran for a refused BASE_DIR")
	}

	// env --write-dir: the release's env.sh (0600) and conf/ with the outside mr3-site.xml.
	out, errOut, code := f.runCLI(nil, "env", f.rel, "--write-dir", base, "--driver-host", "gold0")
	if code != 0 {
		t.Fatalf("env --write-dir: exit %d\n%s", code, errOut)
	}
	if !strings.Contains(out, "export DRIVER_NAME='gold0'\nexport SPARK_DRIVER_CORES='2'\nexport SPARK_DRIVER_MEMORY_MB='3276'\n") {
		t.Errorf("env exports:\n%s", out)
	}
	if strings.Contains(errOut, submitToken) || strings.Contains(errOut, "e2e-secret-in-env-sh") {
		t.Fatalf("env printed a secret on stderr:\n%s", errOut)
	}
	if fi, err := os.Stat(filepath.Join(base, "env.sh")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("env.sh: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(base, "conf", "mr3-site.xml")); string(b) != site {
		t.Fatalf("conf/mr3-site.xml is not the release's mr3-site-outside.xml:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(base, "conf", "mr3-site-outside.xml")); err == nil {
		t.Error("conf/ holds mr3-site-outside.xml, which MR3 does not read")
	}

	// submit --local: a failing spark-submit behind tee is submit's exit code.
	write(t, filepath.Join(base, "exitcode"), "3\n", 0o644)
	out, errOut, code = f.runCLI(nil, "submit", f.rel, "--local", "--script", script, "--driver-host", "gold0",
		"--driver-memory-mb", "2048", "--", "--class", "org.example.Main", "app.jar")
	if code != 3 {
		t.Fatalf("a failing job through `| tee`: exit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, submitToken) {
		t.Fatal("submit --local printed the token")
	}
	if !strings.Contains(errOut, `warning: no DAGAppMaster runs for release "rel" yet`) {
		t.Errorf("no first-DAGAppMaster warning:\n%s", errOut)
	}
	rec := lines(readLocalFile(t, filepath.Join(base, "record")))
	for _, want := range []string{"namespace=" + f.ns, "configmap=rel-conf", "master-sa=rel-master", "spark.driver.cores=2",
		"spark.driver.memory=2048m", "spark.ui.proxyBase=/gold0", "timestamp=4711", "token-set=yes",
		"arg=spark.driver.host=gold0", "arg=spark.mr3.k8s.am.service.host=192.0.2.10", "arg=org.example.Main", "arg=app.jar"} {
		if !slices.Contains(rec, want) {
			t.Errorf("the script lacks %q; it recorded:\n%s", want, strings.Join(rec, "\n"))
		}
	}
	if fi, err := os.Stat(staging); err != nil || !fi.IsDir() {
		t.Errorf("mr3.am.staging-dir %s was not created: %v", staging, err)
	}

	// Once the release's DAGAppMaster exists, no warning; a successful job is exit 0.
	_, err = f.cs.AppsV1().Deployments(f.ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "mr3master-spark-4711-0"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"sparkmr3_app": "mr3"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"sparkmr3_app": "mr3"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "am", Image: "mr3project/spark:stand-in"}}}}}}, metav1.CreateOptions{})
	must(t, err)
	must(t, os.Remove(filepath.Join(base, "exitcode")))
	_, errOut, code = f.runCLI(nil, "submit", f.rel, "--local", "--script", script, "--driver-host", "gold0", "--", "app.jar")
	if code != 0 || strings.Contains(errOut, "DAGAppMaster") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if env := readLocalFile(t, filepath.Join(base, "record")); !strings.Contains(env, "timestamp=4711") {
		t.Fatalf("record:\n%s", env)
	}
}

func readLocalFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
