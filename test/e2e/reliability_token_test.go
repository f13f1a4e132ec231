package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/spark-mr3/spark-mr3/plugin/token"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// TestReliabilityTokenSurvivesUpgrades: ten upgrades through the plain helm 3 CLI (with and
// without --reuse-values, with changed values) and ten through the plugin keep
// CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP; only --rotate-token changes them,
// and it restarts the driver Pod. The token never appears in any command's output but env's,
// nor in an Event or an annotation of any object in the namespace.
func TestReliabilityTokenSurvivesUpgrades(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ctx := context.Background()
	ns := c.Namespace(t, nil)
	p := newPluginProc(t, c.Kubeconfig())
	h := newHelmCLI(t, c)
	var outputs []string
	plugin := func(args ...string) string {
		t.Helper()
		out, errOut, code := p.run(t, append(args, "-n", ns)...)
		if code != 0 {
			t.Fatalf("helm sparkmr3 %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		outputs = append(outputs, "sparkmr3 "+strings.Join(args, " ")+"\n"+out+errOut)
		return out + errOut
	}
	helm := func(args ...string) {
		t.Helper()
		outputs = append(outputs, "helm "+strings.Join(args, " ")+"\n"+h.mustRun(t, append(args, "-n", ns)...))
	}
	current := func() token.Token {
		t.Helper()
		tok, found, err := token.FindForRelease(ctx, cs, ns, "tk")
		if err != nil || !found {
			t.Fatalf("token Secret: found=%v err=%v", found, err)
		}
		return tok
	}

	plugin("install", "tk", "--set", "drivers[0].name=spark1", "--timeout", "90s")
	first := current()
	steps := []struct {
		via  string
		args []string
	}{
		{"helm", []string{"upgrade", "tk", chartPath}},
		{"sparkmr3", []string{"upgrade", "tk", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--reuse-values"}},
		{"sparkmr3", []string{"upgrade", "tk", "--reuse-values", "--set", "logging.rootLevel=WARN", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--reuse-values", "--set", "spark.executorCores=2"}},
		{"sparkmr3", []string{"upgrade", "tk", "--set", "drivers[0].name=spark1", "--set", "drivers[1].name=spark2", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--set", "drivers[0].name=spark1", "--set", "logging.rootLevel=DEBUG"}},
		{"sparkmr3", []string{"upgrade", "tk", "--reuse-values", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--reset-values"}},
		{"sparkmr3", []string{"upgrade", "tk", "--set", "driverDefaults.cores=1", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--reuse-values", "--set", "drivers[0].name=spark1", "--set", "drivers[1].name=spark3"}},
		{"sparkmr3", []string{"upgrade", "tk", "--reuse-values", "--set", "logging.rootLevel=INFO", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--reuse-values", "--set", "spark.executorCores=1"}},
		{"sparkmr3", []string{"upgrade", "tk", "--set", "drivers[0].name=spark1", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--set", "drivers[0].name=spark1"}},
		{"sparkmr3", []string{"upgrade", "tk", "--reset-values", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--reuse-values", "--set", "logging.rootLevel=ERROR"}},
		{"sparkmr3", []string{"upgrade", "tk", "--reuse-values", "--set", "logging.rootLevel=WARN", "--wait=false"}},
		{"helm", []string{"upgrade", "tk", chartPath, "--set", "drivers[0].name=spark1", "--set", "drivers[1].name=spark2"}},
		{"sparkmr3", []string{"upgrade", "tk", "--set", "drivers[0].name=spark1", "--wait=false"}},
	}
	for i, s := range steps {
		if s.via == "helm" {
			helm(s.args...)
		} else if out := plugin(s.args...); !strings.Contains(out, "TOKEN: kept") {
			t.Fatalf("step %d (%s): plugin did not keep the token:\n%s", i+1, strings.Join(s.args, " "), out)
		}
		if got := current(); got != first {
			t.Fatalf("step %d (%s %s) changed the token: timestamp %d -> %d", i+1, s.via, strings.Join(s.args, " "), first.Timestamp, got.Timestamp)
		}
	}

	// Plugin upgrades above skip waiting (the token is settled before any wait); the rotation
	// below must see a running driver Pod to prove the restart.
	chartDriversReady(t, cs, ns, "tk", "spark1")
	before, err := cs.CoreV1().Pods(ns).Get(ctx, driverPodName("tk", "spark1"), metav1.GetOptions{})
	must(t, err)
	out := plugin("upgrade", "tk", "--rotate-token", "--timeout", "90s")
	rotated := current()
	if !strings.Contains(out, "TOKEN: rotated") || rotated.Key == first.Key || rotated.Timestamp == first.Timestamp {
		t.Fatalf("--rotate-token: timestamp %d -> %d\n%s", first.Timestamp, rotated.Timestamp, out)
	}
	after, err := cs.CoreV1().Pods(ns).Get(ctx, driverPodName("tk", "spark1"), metav1.GetOptions{})
	if err != nil || after.UID == before.UID {
		t.Fatalf("--rotate-token did not restart driver Pod %s (err %v)", driverPodName("tk", "spark1"), err)
	}

	envOut, errOut, code := p.run(t, "env", "tk", "-n", ns)
	if code != 0 || !strings.Contains(envOut, rotated.Key) {
		t.Fatalf("env: exit %d, token not printed\n%s%s", code, envOut, errOut)
	}
	secrets := []string{first.Key, rotated.Key, base64.StdEncoding.EncodeToString([]byte(first.Key)), base64.StdEncoding.EncodeToString([]byte(rotated.Key))}
	leak := func(where, text string) {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("the token appears in %s", where)
			}
		}
	}
	for _, o := range outputs {
		leak("the output of "+strings.SplitN(o, "\n", 2)[0], o)
	}
	events, err := cs.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	must(t, err)
	for _, e := range events.Items {
		leak("Event "+e.Name, e.Message+" "+e.Reason+" "+fmt.Sprint(e.Annotations))
	}
	scanned := scanAnnotations(t, c, ns, leak)
	t.Logf("%d upgrades kept the token; scanned %d outputs, %d Events, %d objects' annotations", len(steps), len(outputs), len(events.Items), scanned)
}

// scanAnnotations passes the annotations (and labels) of every namespaced object in ns, of
// every listable kind, to leak; it returns how many objects it read.
func scanAnnotations(t *testing.T, c *cluster.Cluster, ns string, leak func(where, text string)) int {
	t.Helper()
	cs := c.Client(t)
	dyn, err := dynamic.NewForConfig(c.RESTConfig(t))
	must(t, err)
	lists, err := cs.Discovery().ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		t.Fatal(err)
	}
	n := 0
	for _, l := range lists {
		gv, _ := schema.ParseGroupVersion(l.GroupVersion)
		for _, r := range l.APIResources {
			if !strings.Contains(strings.Join(r.Verbs, ","), "list") || strings.Contains(r.Name, "/") {
				continue
			}
			items, err := dyn.Resource(gv.WithResource(r.Name)).Namespace(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				continue
			}
			for _, o := range items.Items {
				n++
				leak(fmt.Sprintf("%s/%s annotations or labels", r.Name, o.GetName()), fmt.Sprint(o.GetAnnotations(), o.GetLabels()))
			}
		}
	}
	return n
}
