package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/token"
	"github.com/spark-mr3/spark-mr3/test/cluster"
	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

const submitToken = "e2e-token-7c1d0f55-do-not-print"

// modelRelease is a release installed through the plugin with the chart as it is, whose
// driver commands are MR3's scripts as test/mr3model runs them: each driver Pod is staged on
// this machine (its mounts, resolved env and writable paths) right after the install, so that
// a job through kwok meets what it would meet in MR3's image.
type modelRelease struct {
	*submitFixture
	root    mr3model.Root
	drivers map[string]*mr3model.Driver
}

// outsideValues make a release serve drivers outside Kubernetes on gold0 (10.1.90.9), with the
// AM Service on 192.0.2.10.
var outsideValues = []string{
	"--set", "outsideDrivers.enabled=true", "--set", "outsideDrivers.apiServerUrl=https://10.1.90.9:6443",
	"--set", "mr3.amService.externalIPs[0]=192.0.2.10", "--set", "outsideDrivers.hosts[0]=gold0",
	"--set", "hostAliases[0].ip=10.1.90.9", "--set", "hostAliases[0].hostnames[0]=gold0",
}

// newModelRelease installs release "rel" with the given drivers (values: more install args,
// e.g. --set k=v) and stages its driver Pods. The release is torn down at the end.
func newModelRelease(t *testing.T, drivers []string, values ...string) *modelRelease {
	t.Helper()
	f := newSubmitFixture(t)
	m := &modelRelease{submitFixture: f, root: mr3model.Root(t.TempDir())}
	args := append([]string{"install", f.rel, "--timeout", "120s"}, m.root.SetValues(drivers...)...)
	t.Cleanup(func() { f.runCLI(nil, "teardown", f.rel, "--yes", "--worker-timeout", "5s") })
	out, errOut, code := f.runCLI(nil, append(args, values...)...)
	if code != 0 {
		t.Fatalf("install: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	ds, err := mr3model.StageRelease(context.Background(), f.cs, f.ns, f.rel, m.root)
	if err != nil {
		t.Fatal(err)
	}
	m.drivers = ds
	return m
}

// lastRun is the newest run of the model's spark-submit in driver d.
func (m *modelRelease) lastRun(d string) *mr3model.Run {
	m.t.Helper()
	r, err := m.drivers[d].LastRun()
	if err != nil {
		m.t.Fatal(err)
	}
	return r
}

// token is the release's token, wherever the plugin keeps it.
func (m *modelRelease) token() token.Token {
	m.t.Helper()
	tok, found, err := token.FindForRelease(context.Background(), m.cs, m.ns, m.rel)
	if err != nil || !found {
		m.t.Fatalf("the token of release %s: found=%v err=%v", m.rel, found, err)
	}
	return tok
}

// runs counts the model's spark-submit runs in driver d.
func (m *modelRelease) runs(d string) int {
	m.t.Helper()
	rs, err := m.drivers[d].Runs()
	if err != nil {
		m.t.Fatal(err)
	}
	return len(rs)
}

// submitStandIn is a driver command that records what it got: its arguments one per line,
// its stdin (when DIR/read-stdin exists), and its start time; it exits with the code in
// DIR/exitcode (default 0). kwok runs it on this machine, so it must not rely on the Pod's env.
const submitStandIn = `#!/bin/sh
d=%q
date +%%s%%N > "$d/start"
: > "$d/args"
for a in "$@"; do printf '%%s\n' "$a" >> "$d/args"; done
if [ -e "$d/read-stdin" ]; then cat > "$d/stdin"; fi
env > "$d/env"
echo "stand-in ran with $# args"
code=0
if [ -e "$d/exitcode" ]; then code=$(cat "$d/exitcode"); fi
exit $code
`

// shellStandIn reports whether it has a terminal and its size, then reads one raw byte (so a
// Ctrl-C typed locally shows up as 03) and exits 3. It leaves canonical mode before saying
// "tty:yes", so the test's Ctrl-C cannot reach its terminal while still cooked.
const shellStandIn = `#!/bin/sh
if [ -t 0 ]; then
  stty -icanon -isig -echo
  i=0; s=$(stty size); while [ "$s" = "0 0" ] && [ $i -lt 100 ]; do sleep 0.05; s=$(stty size); i=$((i+1)); done
  echo "tty:yes size:$s"
else
  echo "tty:no"
fi
c=$(dd bs=1 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
echo "byte:$c"
sleep 0.5 # kwok's TTY tunnel may drop output still in the pty when the command ends
exit 3
`

// submitFixture is a release made directly through the API in the shape of docs/DESIGN.md.
type submitFixture struct {
	t       *testing.T
	c       *cluster.Cluster
	cs      kubernetes.Interface
	ns, rel string
	dir     string // the stand-in's record directory
	script  string // submit stand-in
	shell   string // shell stand-in
}

func newSubmitFixture(t *testing.T) *submitFixture {
	t.Helper()
	c := cluster.Shared(t)
	f := &submitFixture{t: t, c: c, cs: c.Client(t), ns: c.Namespace(t, nil), rel: "rel", dir: t.TempDir()}
	f.script = filepath.Join(f.dir, "run-spark-submit.sh")
	f.shell = filepath.Join(f.dir, "run-spark-shell.sh")
	write(t, f.script, fmt.Sprintf(submitStandIn, f.dir), 0o755)
	write(t, f.shell, shellStandIn, 0o755)
	return f
}

func write(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
}

func (f *submitFixture) labels(component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name": "spark-mr3", "app.kubernetes.io/instance": f.rel,
		"app.kubernetes.io/managed-by": "Helm", "app.kubernetes.io/part-of": "spark-mr3",
		"app.kubernetes.io/component": component,
	}
}

// createShared makes the token Secret, conf ConfigMap (host aliases for gold0) and AM Service.
func (f *submitFixture) createShared() {
	f.t.Helper()
	ctx := context.Background()
	site := `<configuration><property><name>mr3.k8s.host.aliases</name><value>gold0=10.1.90.10</value></property></configuration>`
	_, err := f.cs.CoreV1().Secrets(f.ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: f.rel + "-token", Labels: f.labels("token")},
		Data:       map[string][]byte{contract.KeyToken: []byte(submitToken), contract.KeyTimestamp: []byte("4711")}}, metav1.CreateOptions{})
	must(f.t, err)
	_, err = f.cs.CoreV1().ConfigMaps(f.ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: f.rel + "-conf", Labels: f.labels("conf")},
		Data:       map[string]string{"mr3-site.xml": site, "mr3-site-outside.xml": site}}, metav1.CreateOptions{})
	must(f.t, err)
	_, err = f.cs.CoreV1().Services(f.ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: contract.AMServiceDefault(f.rel), Labels: f.labels("am-service")},
		Spec: corev1.ServiceSpec{Selector: contract.DefaultMasterLabels(f.rel), ExternalIPs: []string{"192.0.2.10"},
			Ports: []corev1.ServicePort{{Port: 9862, TargetPort: intstr.FromInt32(8080)}}}}, metav1.CreateOptions{})
	must(f.t, err)
}

// createDriver makes driver D as the chart names it: its headless Service and StatefulSet
// F-D (driverObjectName; Pod F-D-0), whose Pod template carries the stand-in commands and,
// when given, a nodeSelector.
func (f *submitFixture) createDriver(name string, nodeSelector map[string]string) {
	f.t.Helper()
	ctx := context.Background()
	obj := driverObjectName(f.rel, name)
	sel := map[string]string{"sparkmr3_app": obj, "app.kubernetes.io/instance": f.rel}
	svcLabels := f.labels("driver")
	svcLabels["sparkmr3.io/driver"] = name
	_, err := f.cs.CoreV1().Services(f.ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: obj, Labels: svcLabels},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: sel,
			Ports: []corev1.ServicePort{{Name: "driver", Port: 9850}, {Name: "webui", Port: 4040}}}}, metav1.CreateOptions{})
	must(f.t, err)
	podLabels := f.labels("driver")
	podLabels["sparkmr3_app"], podLabels["sparkmr3.io/driver"], podLabels["mr3-pod-role"] = obj, name, "master-role"
	_, err = f.cs.AppsV1().StatefulSets(f.ns).Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: obj, Labels: svcLabels},
		Spec: appsv1.StatefulSetSpec{
			Replicas: ptr.To[int32](1), ServiceName: obj,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels, Annotations: map[string]string{
					contract.AnnotationSubmitCommand: f.script, contract.AnnotationShellCommand: f.shell}},
				Spec: corev1.PodSpec{
					NodeSelector: nodeSelector,
					Tolerations:  []corev1.Toleration{{Key: "kwok.x-k8s.io/node", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{Name: "driver", Image: "mr3project/spark:stand-in",
						Command: []string{"sleep", "infinity"}}},
				},
			},
		}}, metav1.CreateOptions{})
	must(f.t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// runCLI runs `helm sparkmr3 ARGS` in process against the cluster, as helm would start the
// plugin, and returns stdout, stderr and the exit code.
func (f *submitFixture) runCLI(stdin io.Reader, args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := f.runCLIWith(stdin, &out, &errOut, args...)
	return out.String(), errOut.String(), code
}

func (f *submitFixture) runCLIWith(stdin io.Reader, out, errOut io.Writer, args ...string) int {
	return f.runCLIContext(context.Background(), stdin, out, errOut, args...)
}

// runCLIFor is runCLI bounded to d (then the command sees its context end, as on Ctrl-C).
func (f *submitFixture) runCLIFor(d time.Duration, stdin io.Reader, args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var out, errOut bytes.Buffer
	code := f.runCLIContext(ctx, stdin, &out, &errOut, args...)
	return out.String(), errOut.String(), code
}

func (f *submitFixture) runCLIContext(ctx context.Context, stdin io.Reader, out, errOut io.Writer, args ...string) int {
	s := cli.NewSettings(stdin, out, errOut)
	s.Getenv = func(k string) string { return "" }
	root := cli.NewRootCommand(s)
	root.SetArgs(append([]string{"--kubeconfig", f.c.Kubeconfig(), "-n", f.ns}, args...))
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(errOut, "Error: %v\n", err)
	}
	return cli.ExitCode(err)
}

func (f *submitFixture) record(name string) string {
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		f.t.Fatalf("the stand-in left no %s: %v", name, err)
	}
	return string(b)
}

// untilPod watches the driver Pod until cond holds.
func (f *submitFixture) untilPod(name string, cond func(*corev1.Pod) bool) *corev1.Pod {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := f.cs.CoreV1().Pods(f.ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	must(f.t, err)
	defer w.Stop()
	for ev := range w.ResultChan() {
		if p, ok := ev.Object.(*corev1.Pod); ok && cond(p) {
			return p
		}
	}
	f.t.Fatalf("pod %s: condition not met in time", name)
	return nil
}

// labelNode sets (value != "") or removes a label on one simulated node, undone at cleanup.
func (f *submitFixture) labelNode(key, value string) {
	f.t.Helper()
	ctx := context.Background()
	nodes, err := f.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	must(f.t, err)
	if len(nodes.Items) == 0 {
		f.t.Fatal("the cluster has no nodes")
	}
	name := nodes.Items[0].Name
	patch := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, key, value)
	_, err = f.cs.CoreV1().Nodes().Patch(ctx, name, "application/merge-patch+json", []byte(patch), metav1.PatchOptions{})
	must(f.t, err)
	f.t.Cleanup(func() {
		_, _ = f.cs.CoreV1().Nodes().Patch(context.Background(), name, "application/merge-patch+json",
			[]byte(fmt.Sprintf(`{"metadata":{"labels":{%q:null}}}`, key)), metav1.PatchOptions{})
	})
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// countingConfig counts the API requests made through a copy of cfg.
func countingConfig(cfg *rest.Config, n *atomic.Int64) *rest.Config {
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			n.Add(1)
			return rt.RoundTrip(r)
		})
	})
	return cfg
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// lockedBuffer is a bytes.Buffer safe to write from a command's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
