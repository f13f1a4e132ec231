package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// chartPath is the chart under test, installed by the real helm 3 CLI.
var chartPath, _ = filepath.Abs("../../charts/spark-mr3")

// helmCLI runs the pinned helm 3 binary against the test cluster with private helm dirs.
type helmCLI struct {
	bin, kubeconfig, home string
}

func newHelmCLI(t *testing.T, c *cluster.Cluster) helmCLI {
	t.Helper()
	return helmCLI{bin: cluster.Tool(t, "helm3"), kubeconfig: c.Kubeconfig(), home: t.TempDir()}
}

func (h helmCLI) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, append(args, "--kubeconfig", h.kubeconfig)...)
	cmd.Env = []string{"HOME=" + h.home, "PATH=/usr/bin:/bin",
		"HELM_CACHE_HOME=" + filepath.Join(h.home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(h.home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(h.home, "data")}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func (h helmCLI) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := h.run(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\n%s\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out + errOut
}

// chartDriversReady waits (watch, not poll) until the Pods of release rel's named driver
// entries are Running and Ready.
func chartDriversReady(t *testing.T, cs kubernetes.Interface, ns, rel string, drivers ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	want := map[string]bool{}
	for _, d := range drivers {
		want[driverPodName(rel, d)] = true
	}
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=driver"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ready := map[string]bool{}
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || !want[p.Name] {
			continue
		}
		ready[p.Name] = p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning && chartPodReady(p)
		n := 0
		for _, r := range ready {
			if r {
				n++
			}
		}
		if n == len(want) {
			return
		}
	}
	pods, _ := cs.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	events, _ := cs.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
	var b strings.Builder
	for _, p := range pods.Items {
		b.WriteString(p.Name + " " + string(p.Status.Phase) + "\n")
	}
	for _, e := range events.Items {
		b.WriteString(e.InvolvedObject.Name + ": " + e.Reason + ": " + e.Message + "\n")
	}
	t.Fatalf("driver Pods %v not all ready in namespace %s (ready: %v)\n%s", drivers, ns, ready, b.String())
}

func chartPodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestChartInstallsUnderRestrictedPodSecurity: `helm install` of the default values into a
// namespace enforcing PodSecurity restricted succeeds without PodSecurity warnings, the driver
// Pod becomes Ready, and `helm test` passes.
func TestChartInstallsUnderRestrictedPodSecurity(t *testing.T) {
	c := cluster.Shared(t)
	ns := c.Namespace(t, map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	})
	h := newHelmCLI(t, c)
	out := h.mustRun(t, "install", "demo", chartPath, "-n", ns, "--wait", "--timeout", "120s")
	if strings.Contains(out, "PodSecurity") {
		t.Errorf("install printed PodSecurity warnings:\n%s", out)
	}
	cs := c.Client(t)
	chartDriversReady(t, cs, ns, "demo", "spark1")
	pod, err := cs.CoreV1().Pods(ns).Get(context.Background(), driverPodName("demo", "spark1"), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Labels["sparkmr3_app"] != driverObjectName("demo", "spark1") || pod.Labels["sparkmr3.io/driver"] != "spark1" || pod.Spec.ServiceAccountName != "demo-driver" {
		t.Errorf("driver Pod labels %v, service account %s", pod.Labels, pod.Spec.ServiceAccountName)
	}
	h.mustRun(t, "test", "demo", "-n", ns, "--timeout", "90s")
}

// TestChartUpgradesKeepToken: upgrades with default, reused and changed values keep the token
// Secret byte for byte; only an explicit pin changes it; an upgrade rendered without cluster
// access fails instead of inventing a token.
func TestChartUpgradesKeepToken(t *testing.T) {
	c := cluster.Shared(t)
	ns := c.Namespace(t, nil)
	cs := c.Client(t)
	h := newHelmCLI(t, c)
	h.mustRun(t, "install", "demo", chartPath, "-n", ns, "--set", "drivers[0].name=spark1", "--wait", "--timeout", "120s")
	token := func() map[string][]byte {
		s, err := cs.CoreV1().Secrets(ns).Get(context.Background(), "demo-token", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Data
	}
	first := token()
	if len(first["CLIENT_TO_AM_TOKEN_KEY"]) == 0 || len(first["MR3_APPLICATION_ID_TIMESTAMP"]) == 0 {
		t.Fatalf("token Secret after install: %v", first)
	}
	upgrades := [][]string{
		{"upgrade", "demo", chartPath, "-n", ns},
		{"upgrade", "demo", chartPath, "-n", ns, "--reuse-values", "--set", "spark.executorCores=2"},
		{"upgrade", "demo", chartPath, "-n", ns, "--set", "logging.rootLevel=DEBUG", "--set", "drivers[0].name=spark1"},
	}
	for i, args := range upgrades {
		h.mustRun(t, args...)
		got := token()
		for k, v := range first {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("upgrade %d (%s) changed %s: %q -> %q", i+1, strings.Join(args[3:], " "), k, v, got[k])
			}
		}
	}

	// A client-side dry-run upgrade cannot look the Secret up: it must fail, not rotate.
	_, errOut, err := h.run(t, "upgrade", "demo", chartPath, "-n", ns, "--dry-run")
	if err == nil || !strings.Contains(errOut, "helm sparkmr3 values demo") {
		t.Errorf("client-side dry-run upgrade without a pinned token: err=%v\n%s", err, errOut)
	}

	// An explicit pin is a deliberate rotation.
	h.mustRun(t, "upgrade", "demo", chartPath, "-n", ns, "--reuse-values",
		"--set-string", "token.clientToAMTokenKey=rotated-key", "--set", "token.applicationIdTimestamp=4242")
	got := token()
	if string(got["CLIENT_TO_AM_TOKEN_KEY"]) != "rotated-key" || string(got["MR3_APPLICATION_ID_TIMESTAMP"]) != "4242" {
		t.Errorf("pinned token not applied: %q/%q", got["CLIENT_TO_AM_TOKEN_KEY"], got["MR3_APPLICATION_ID_TIMESTAMP"])
	}
}
