package chart_test

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// clusterScoped returns "Kind/name" of every cluster-scoped object of a rendering.
func clusterScoped(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, doc := range strings.Split(text, "\n---\n") {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		must(t, yaml.Unmarshal([]byte(doc), &head))
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
			out, err := render(t, renderOpts{release: p.release, namespace: p.ns}, pinnedToken, withPV)
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
		out, err := render(t, renderOpts{release: p.release, namespace: ns}, pinnedToken, withPV, p.extra)
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
