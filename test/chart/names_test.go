package chart_test

import (
	"fmt"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	"io"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// objectHead is the kind, name and namespace of a rendered object.
type objectHead struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// objectHeads reads the head of every document of a rendering (hooks included).
func objectHeads(t *testing.T, text string) []objectHead {
	t.Helper()
	var out []objectHead
	for _, doc := range strings.Split(text, "\n---\n") {
		var h objectHead
		must(t, yaml.Unmarshal([]byte(doc), &h))
		out = append(out, h)
	}
	return out
}

// clusterScoped returns "Kind/name" of every cluster-scoped object of a rendering.
func clusterScoped(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, head := range objectHeads(t, text) {
		switch head.Kind {
		case "ClusterRole", "ClusterRoleBinding", "PersistentVolume":
			if head.Metadata.Namespace != "" {
				t.Errorf("%s %s has a namespace", head.Kind, head.Metadata.Name)
			}
			out = append(out, head.Kind+"/"+head.Metadata.Name)
		}
	}
	return out
}

// withPV renders the node-reader ClusterRole, both bindings and the work-dir PV.
var withPV = map[string]any{"workDir": map[string]any{"enabled": true, "persistentVolume": map[string]any{
	"create": true, "source": map[string]any{"nfs": map[string]any{"server": "10.0.0.1", "path": "/x"}}}}}

// namedForDottedRelease names the AM Service and drops the drivers, whose names F-mr3 and F-D
// would not be DNS-1035 labels for a release name with a dot or of 53 characters (see
// TestReleaseNameNotAServiceName): the cluster-scoped names are tested on their own.
var namedForDottedRelease = map[string]any{"drivers": []any{}, "mr3": map[string]any{"amService": map[string]any{"name": "mr3"}}}

// TestClusterScopedNamesUnambiguous: namespace a-b with release c and namespace a with release
// b-c both named their cluster-scoped objects a-b-c-… under the old NS-F scheme, so the second
// install failed (or a name-based teardown took the other's). With NS.F every pair gets its
// own names, and each name says its namespace (up to the first dot) and fullname.
func TestClusterScopedNamesUnambiguous(t *testing.T) {
	type pair struct{ ns, release string }
	groups := [][]pair{
		{{"a-b", "c"}, {"a", "b-c"}},
		{{"team", "spark-x"}, {"team-spark", "x"}},
		// A release name may hold dots (Helm allows DNS-1123 subdomains); a namespace never does.
		{{"a", "b.c"}, {"a-b", "c"}, {"a", "b-c"}},
	}
	for _, g := range groups {
		owner := map[string]pair{}
		for _, p := range g {
			if old := p.ns + "-" + p.release; old != g[0].ns+"-"+g[0].release && len(g) == 2 {
				t.Errorf("test data: %v and %v do not collide under the old NS-F names", g[0], p)
			}
			out, err := render(t, renderOpts{release: p.release, namespace: p.ns}, pinnedToken, withPV, namedForDottedRelease)
			if err != nil {
				t.Fatalf("%v: %v", p, err)
			}
			names := clusterScoped(t, out)
			if len(names) != 4 {
				t.Errorf("%v: cluster-scoped objects %q, want a ClusterRole, two bindings and a PV", p, names)
			}
			for _, n := range names {
				if o, dup := owner[n]; dup {
					t.Errorf("%s is rendered by namespace %q release %q and by namespace %q release %q", n, o.ns, o.release, p.ns, p.release)
				}
				owner[n] = p
				_, name, _ := strings.Cut(n, "/")
				ns, rest, ok := strings.Cut(name, ".")
				if !ok || ns != p.ns || !strings.HasPrefix(rest, p.release+"-") {
					t.Errorf("%s: want %s.%s-…", n, p.ns, p.release)
				}
			}
		}
	}
}

// TestClusterScopedNamesValid: at the longest namespace (63) and release name (53) the names
// still pass the API server's rules: a DNS-1123 subdomain for the PV, a path segment for RBAC.
func TestClusterScopedNamesValid(t *testing.T) {
	ns := strings.Repeat("n", 63)
	for _, p := range []struct {
		release string
		extra   map[string]any
	}{
		{strings.Repeat("r", 53), nil},
		{"spark.prod", nil},
		{"x", map[string]any{"fullnameOverride": strings.Repeat("f", 40)}},
	} {
		out, err := render(t, renderOpts{release: p.release, namespace: ns}, pinnedToken, withPV, namedForDottedRelease, p.extra)
		if err != nil {
			t.Fatalf("%s: %v", p.release, err)
		}
		for _, n := range clusterScoped(t, out) {
			kind, name, _ := strings.Cut(n, "/")
			var errs []string
			if kind == "PersistentVolume" {
				errs = validation.IsDNS1123Subdomain(name)
			} else {
				errs = path.IsValidPathSegmentName(name)
			}
			if len(errs) > 0 {
				t.Errorf("%s: %v", n, errs)
			}
		}
	}
}

// TestWorkDirPVNameWithoutCluster: without cluster access (helm template) the PV and the
// claim's volumeName are NS.F-workdir; the lookup that keeps a bound legacy name is exercised
// against a real API server in test/e2e (TestLegacyWorkDirPVNameKept).
func TestWorkDirPVNameWithoutCluster(t *testing.T) {
	r := parseRelease(t, mustRender(t, pinnedToken, withPV))
	want := fmt.Sprintf("%s.%s-workdir", namespace, releaseName)
	if len(r.pvs) != 1 || r.pvs[0].Name != want {
		t.Fatalf("PVs %+v, want one named %s", r.pvs, want)
	}
	if len(r.pvcs) != 1 || r.pvcs[0].Spec.VolumeName != want {
		t.Errorf("claim volumeName %q, want %s", r.pvcs[0].Spec.VolumeName, want)
	}
}

// namespaced lists "Kind/name" of every namespaced object of a rendering (hooks included).
func namespaced(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, head := range objectHeads(t, text) {
		if head.Kind != "" && head.Metadata.Namespace != "" {
			out = append(out, head.Kind+"/"+head.Metadata.Name)
		}
	}
	return out
}

// TestTwoReleasesOneNamespace: two releases with default values in one namespace share no
// object name, and no Service or StatefulSet of one selects the other's Pods: the drivers'
// (labels of their Pod templates) or the DAGAppMaster's (mr3.k8s.master.pod.additional.labels).
func TestTwoReleasesOneNamespace(t *testing.T) {
	type rendered struct {
		r      release
		names  []string
		master labels.Set
	}
	get := func(name string) rendered {
		out, err := render(t, renderOpts{release: name}, pinnedToken)
		if err != nil {
			t.Fatalf("release %s: %v", name, err)
		}
		r := parseRelease(t, out)
		site := xmlProps(t, r.configMaps[name+"-conf"].Data["mr3-site.xml"])
		return rendered{r: r, names: namespaced(t, out), master: labels.Set(splitPairs(site["mr3.k8s.master.pod.additional.labels"]))}
	}
	a, b := get("a"), get("b")
	seen := map[string]bool{}
	for _, n := range a.names {
		seen[n] = true
	}
	for _, n := range b.names {
		if seen[n] {
			t.Errorf("releases a and b both render %s", n)
		}
	}
	if want := (labels.Set{"sparkmr3_app": "a-mr3"}); !labels.Equals(a.master, want) {
		t.Errorf("release a: DAGAppMaster labels %v, want %v", a.master, want)
	}
	for _, pair := range [][2]rendered{{a, b}, {b, a}} {
		mine, other := pair[0], pair[1]
		otherPods := []labels.Set{other.master}
		for _, s := range other.r.statefulSets {
			otherPods = append(otherPods, labels.Set(s.Spec.Template.Labels))
		}
		for _, svc := range mine.r.services {
			for _, pod := range otherPods {
				if len(svc.Spec.Selector) > 0 && labels.SelectorFromSet(svc.Spec.Selector).Matches(pod) {
					t.Errorf("Service %s selects the other release's Pod labels %v", svc.Name, pod)
				}
			}
		}
		for _, s := range mine.r.statefulSets {
			sel, err := metav1.LabelSelectorAsSelector(s.Spec.Selector)
			must(t, err)
			for _, pod := range otherPods {
				if sel.Matches(pod) {
					t.Errorf("StatefulSet %s selects the other release's Pod labels %v", s.Name, pod)
				}
			}
			if !sel.Matches(labels.Set(s.Spec.Template.Labels)) {
				t.Errorf("StatefulSet %s does not select its own Pods", s.Name)
			}
		}
	}
}

// TestDriverNames: a driver entry D makes StatefulSet and Service F-D (Pod F-D-0); D is the
// handle (label sparkmr3.io/driver); DRIVER_NAME, from which MR3's scripts build
// spark.driver.host, is the Service's name, so that host resolves to the Pod.
func TestDriverNames(t *testing.T) {
	r := parseRelease(t, mustRender(t, pinnedToken, map[string]any{"fullnameOverride": "prod"}))
	if len(r.statefulSets) != 1 {
		t.Fatalf("StatefulSets %d, want 1", len(r.statefulSets))
	}
	s := r.statefulSets[0]
	svc, ok := r.services["prod-spark1"]
	if s.Name != "prod-spark1" || s.Spec.ServiceName != "prod-spark1" || !ok {
		t.Fatalf("StatefulSet %s (serviceName %s), Service prod-spark1 found: %v; want both prod-spark1", s.Name, s.Spec.ServiceName, ok)
	}
	if _, ok := r.services["prod-mr3"]; !ok {
		t.Error("no AM Service prod-mr3")
	}
	for what, l := range map[string]map[string]string{"StatefulSet": s.Labels, "Pod template": s.Spec.Template.Labels, "Service": svc.Labels} {
		if l["sparkmr3.io/driver"] != "spark1" || l["app.kubernetes.io/instance"] != releaseName {
			t.Errorf("%s labels %v: want sparkmr3.io/driver=spark1 and the release's instance", what, l)
		}
	}
	for _, e := range s.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "DRIVER_NAME" && e.Value != svc.Name {
			t.Errorf("DRIVER_NAME=%q, want the Service's name %q (spark.driver.host is $DRIVER_NAME.<namespace>.svc.cluster.local)", e.Value, svc.Name)
		}
	}
	if errs := validation.IsDNS1035Label(svc.Name); len(errs) > 0 {
		t.Errorf("Service %s: %v", svc.Name, errs)
	}
}

// TestReleaseNameNotAServiceName: a release name that cannot begin a Service name (a leading
// digit, a dot) fails with every message naming the fix; fullnameOverride is that fix.
func TestReleaseNameNotAServiceName(t *testing.T) {
	for _, rel := range []string{"1abc", "spark.prod"} {
		_, err := render(t, renderOpts{release: rel}, pinnedToken)
		if err == nil {
			t.Fatalf("release %s rendered", rel)
		}
		for _, w := range []string{"mr3.amService.name", rel + "-mr3", "drivers[0].name", rel + "-spark1", "fullnameOverride"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("release %s: error does not name %q:\n%v", rel, w, err)
			}
		}
		if _, err := render(t, renderOpts{release: rel}, pinnedToken, map[string]any{"fullnameOverride": "spark"}); err != nil {
			t.Errorf("release %s with fullnameOverride: %v", rel, err)
		}
	}
}

// TestSubchart: the chart renders as a dependency of a parent chart, which passes it the
// parent's global values (values.schema.json must admit global).
func TestSubchart(t *testing.T) {
	parent := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: chart.APIVersionV2, Name: "platform", Version: "1.0.0", KubeVersion: ">=1.28.0-0",
			Dependencies: []*chart.Dependency{{Name: "spark-mr3", Version: "*"}}},
		Values: map[string]any{"global": map[string]any{"imageRegistry": "registry.example.com", "storageClass": "fast"}},
	}
	parent.AddDependency(loadChart(t))
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities.Copy(),
		Log:          func(string, ...any) {},
	}
	inst := action.NewInstall(cfg)
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = "platform", namespace
	inst.KubeVersion = &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	rel, err := inst.Run(parent, map[string]any{"global": map[string]any{"team": "data"}, "spark-mr3": deepCopy(t, pinnedToken)})
	if err != nil {
		t.Fatalf("render as a subchart: %v", err)
	}
	r := parseRelease(t, rel.Manifest)
	if _, ok := r.services["platform-mr3"]; !ok || len(r.statefulSets) != 1 || r.statefulSets[0].Name != "platform-spark1" {
		t.Errorf("subchart render: %d Services, %d StatefulSets; want platform-mr3 and StatefulSet platform-spark1", len(r.services), len(r.statefulSets))
	}
}

// TestNamesAgreeWithContract: the names and DAGAppMaster labels the chart renders by default
// are those plugin/contract computes (the plugin's fallbacks and the e2e tests use these).
func TestNamesAgreeWithContract(t *testing.T) {
	for _, rel := range []string{"a", "spark-prod", strings.Repeat("r", 45)} {
		out, err := render(t, renderOpts{release: rel}, pinnedToken)
		if err != nil {
			t.Fatalf("release %s: %v", rel, err)
		}
		r := parseRelease(t, out)
		am, ok := r.services[contract.AMServiceDefault(rel)]
		if !ok {
			t.Errorf("release %s: no Service %s", rel, contract.AMServiceDefault(rel))
		} else if fmt.Sprint(am.Spec.Selector) != fmt.Sprint(contract.DefaultMasterLabels(rel)) {
			t.Errorf("release %s: AM Service selector %v, contract.DefaultMasterLabels %v", rel, am.Spec.Selector, contract.DefaultMasterLabels(rel))
		}
		site := xmlProps(t, r.configMaps[contract.ConfName(rel)].Data[contract.FileMR3Site])
		if got := splitPairs(site[contract.SiteMasterLabels]); fmt.Sprint(got) != fmt.Sprint(contract.DefaultMasterLabels(rel)) {
			t.Errorf("release %s: %s=%v, contract.DefaultMasterLabels %v", rel, contract.SiteMasterLabels, got, contract.DefaultMasterLabels(rel))
		}
		if len(r.statefulSets) != 1 || r.statefulSets[0].Name != contract.DriverObjectName(rel, "spark1") {
			t.Errorf("release %s: StatefulSets %d, want %s", rel, len(r.statefulSets), contract.DriverObjectName(rel, "spark1"))
		}
	}
}
