package chart_test

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// perm is what a role may do with one "apiGroup/resource": verbs on any object (only where
// MR3 picks the names at run time, or where the API server cannot check a name, as for create)
// and verbs on named objects only (the rule must list resourceNames, each one of these). Names
// may start with "F-", the release's fullname.
type perm struct {
	any    []string
	byName map[string][]string // verb → names
}

// rbacAllowed is every permission the chart may grant: role (the Role/ClusterRole name
// without the release prefix) → "apiGroup/resource" → perm. Anything else a rendered role
// grants fails TestRBACAudit. Each entry says why MR3 needs it.
var rbacAllowed = map[string]map[string]perm{
	// The driver's MR3 client (and, in LocalProcess mode, the in-driver DAGAppMaster).
	"driver": {
		// creates the DAGAppMaster Pod (LocalProcess: the worker Pods), watches it, deletes it.
		"/pods": {any: []string{"get", "watch", "list", "create", "delete"}},
		// the DAGAppMaster Deployment mr3master-spark-<ts>-0: created, found again by later
		// drivers (shared AM), deleted on close.
		"apps/deployments": {any: []string{"get", "watch", "list", "create", "delete"}},
		// MR3 versions that run the DAGAppMaster under a ReplicationController (MR3's spark-role).
		"/replicationcontrollers": {any: []string{"get", "watch", "list", "create", "delete"}},
		// mr3conf-configmap-master: written, read back when the AM is reused, removed when stale
		// (in LocalThread/LocalProcess mode the in-driver DAGAppMaster does the same with
		// mr3conf-configmap-worker); the conf ConfigMap (mr3.k8s.conf.dir.configmap) read. No
		// list/watch: MR3 knows the names.
		"/configmaps": {any: []string{"create"}, byName: map[string][]string{
			"get":    {"mr3conf-configmap-master", "mr3conf-configmap-worker", "F-conf"},
			"update": {"mr3conf-configmap-master", "mr3conf-configmap-worker"},
			"delete": {"mr3conf-configmap-master", "mr3conf-configmap-worker"},
		}},
		// the keytab/worker Secrets named in the AM Pod spec, by name: never the token, env.sh,
		// Helm's release records or another application's Secrets.
		"/secrets": {byName: map[string][]string{"get": {"F-keytab", "F-worker"}}},
		// service-master-<ts>-0: created for the AM, looked up by later drivers, deleted with it.
		"/services": {any: []string{"get", "list", "create", "delete"}},
	},
	// The DAGAppMaster.
	"master": {
		// ContainerWorker Pods mr3executor-*: created, watched and deleted by the AM.
		"/pods": {any: []string{"get", "watch", "list", "create", "delete"}},
		// mr3conf-configmap-worker written and removed; its own and the release's conf read.
		"/configmaps": {any: []string{"create"}, byName: map[string][]string{
			"get":    {"mr3conf-configmap-worker", "mr3conf-configmap-master", "F-conf"},
			"update": {"mr3conf-configmap-worker"},
			"delete": {"mr3conf-configmap-worker"},
		}},
		// the Secrets mounted into worker Pods, by name.
		"/secrets": {byName: map[string][]string{"get": {"F-keytab", "F-worker"}}},
		// service-worker (headless).
		"/services": {any: []string{"get", "list", "create", "delete"}},
	},
	// ContainerWorkers run user code: they read their configuration and Secrets by name, nothing else.
	"worker": {
		"/configmaps": {byName: map[string][]string{"get": {"mr3conf-configmap-worker", "F-conf"}}},
		"/secrets":    {byName: map[string][]string{"get": {"F-keytab", "F-worker"}}},
	},
	// ClusterRole NS.F-node-reader: MR3 reads Node capacity to size and place workers.
	"node-reader": {
		"/nodes": {any: []string{"get", "watch", "list"}},
	},
}

// mustBeNamed are the resources no role may reach without resourceNames, whatever the
// allow-list says: a Secret or ConfigMap of another application (a token, env.sh, a Helm
// release record sh.helm.release.v1.*, MR3's client-am-config) must stay out of reach.
var mustBeNamed = map[string]string{"/secrets": "Secret", "/configmaps": "ConfigMap"}

// roleKey maps a rendered role name to its rbacAllowed entry and the release's fullname:
// F-driver → driver, F; NS.F-node-reader → node-reader, F.
func roleKey(name string) (key, fullname string) {
	for k := range rbacAllowed {
		if base, ok := strings.CutSuffix(name, "-"+k); ok {
			if _, f, dotted := strings.Cut(base, "."); dotted {
				base = f
			}
			return k, base
		}
	}
	return "", ""
}

// auditRules returns one finding per permission outside the allow-list (wildcards included)
// and per rule that reaches Secrets or ConfigMaps (other than create) without resourceNames.
func auditRules(what, key, fullname string, rules []rbacv1.PolicyRule) []string {
	var bad []string
	allowed, ok := rbacAllowed[key]
	if !ok {
		return []string{fmt.Sprintf("%s: no allow-list entry; add one with a reason to rbacAllowed", what)}
	}
	expand := func(names []string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			if rest, ok := strings.CutPrefix(n, "F-"); ok {
				n = fullname + "-" + rest
			}
			out[i] = n
		}
		return out
	}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 {
			bad = append(bad, fmt.Sprintf("%s: non-resource URLs %v", what, r.NonResourceURLs))
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					gr := g + "/" + res
					p := allowed[gr]
					switch {
					case strings.Contains(g+res+v+strings.Join(r.ResourceNames, ""), "*"):
						bad = append(bad, fmt.Sprintf("%s: wildcard in apiGroup %q resource %q verb %q names %q", what, g, res, v, r.ResourceNames))
					case len(r.ResourceNames) == 0 && mustBeNamed[gr] != "" && v != "create":
						bad = append(bad, fmt.Sprintf("%s: %s on every %s of the namespace (no resourceNames); name the objects MR3 reads", what, v, mustBeNamed[gr]))
					case len(r.ResourceNames) == 0 && !slices.Contains(p.any, v):
						bad = append(bad, fmt.Sprintf("%s: %s %s is not in the allow-list", what, v, gr))
					case len(r.ResourceNames) > 0 && !slices.Contains(p.any, v):
						names := expand(p.byName[v])
						for _, n := range r.ResourceNames {
							if !slices.Contains(names, n) {
								bad = append(bad, fmt.Sprintf("%s: %s %s %q is not in the allow-list (allowed names: %q)", what, v, gr, n, names))
							}
						}
					}
				}
			}
		}
	}
	return bad
}

// TestRBACAudit walks every Role and ClusterRole of every ci/*-values.yaml rendering (and of
// rbac.create=false) and fails on a wildcard, a verb or name outside rbacAllowed, or a Secret
// or ConfigMap rule without resourceNames.
func TestRBACAudit(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range scenarios {
		r := parseRelease(t, mustRender(t, ciValues(t, name), pinnedToken))
		if len(r.roles) != 3 || len(r.clusterRoles) != 1 {
			t.Errorf("%s: %d Roles and %d ClusterRoles, want 3 and 1 (a new role needs an allow-list entry)", name, len(r.roles), len(r.clusterRoles))
		}
		for _, role := range r.roles {
			key, f := roleKey(role.Name)
			seen[key] = true
			for _, b := range auditRules(name+": Role "+role.Name, key, f, role.Rules) {
				t.Error(b)
			}
		}
		for _, role := range r.clusterRoles {
			key, f := roleKey(role.Name)
			seen[key] = true
			for _, b := range auditRules(name+": ClusterRole "+role.Name, key, f, role.Rules) {
				t.Error(b)
			}
			if role.AggregationRule != nil {
				t.Errorf("%s: ClusterRole %s aggregates other roles", name, role.Name)
			}
		}
	}
	for k := range rbacAllowed {
		if !seen[k] {
			t.Errorf("allow-list entry %q matches no rendered role: remove it", k)
		}
	}
	for role, perms := range rbacAllowed {
		for gr, what := range mustBeNamed {
			if any := perms[gr].any; len(slices.DeleteFunc(slices.Clone(any), func(v string) bool { return v == "create" })) > 0 {
				t.Errorf("allow-list: role %s may %v every %s: only create may go without names", role, any, what)
			}
		}
	}
	off := parseRelease(t, mustRender(t, map[string]any{"rbac": map[string]any{"create": false}}, pinnedToken))
	if len(off.roles)+len(off.clusterRoles) != 0 {
		t.Errorf("rbac.create=false still renders %d roles", len(off.roles)+len(off.clusterRoles))
	}
}

// TestRBACSecretsByName: each role reads exactly the keytab and worker Secrets, never the token
// or env.sh Secrets, whatever the fullname.
func TestRBACSecretsByName(t *testing.T) {
	r := parseRelease(t, mustRender(t, map[string]any{"fullnameOverride": "team"}, pinnedToken))
	for _, role := range r.roles {
		var names []string
		for _, rule := range role.Rules {
			if slices.Contains(rule.Resources, "secrets") {
				names = append(names, rule.ResourceNames...)
			}
		}
		slices.Sort(names)
		if want := []string{"team-keytab", "team-worker"}; !slices.Equal(names, want) {
			t.Errorf("Role %s reads Secrets %q, want %q", role.Name, names, want)
		}
	}
}

// TestRBACAuditCatchesViolations: the audit itself can fail.
func TestRBACAuditCatchesViolations(t *testing.T) {
	cases := []struct {
		key  string
		rule rbacv1.PolicyRule
		want string
	}{
		{"driver", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"*"}}, "wildcard"},
		{"driver", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"pods"}, Verbs: []string{"get"}}, "wildcard"},
		{"worker", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}, "list on every Secret"},
		{"master", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}}, "create /pods/exec"},
		{"node-reader", rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"escalate"}}, "escalate"},
		{"nope", rbacv1.PolicyRule{}, "no allow-list entry"},
		// The chart before resourceNames: every role could read any Secret by name.
		{"driver", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}, "get on every Secret of the namespace"},
		{"worker", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}}, "get on every ConfigMap"},
		{"driver", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"demo-token"}, Verbs: []string{"get"}}, `"demo-token" is not in the allow-list`},
		{"worker", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"sh.helm.release.v1.demo.v1"}, Verbs: []string{"get"}}, "sh.helm.release.v1.demo.v1"},
		{"master", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, ResourceNames: []string{"mr3conf-configmap-master"}, Verbs: []string{"delete"}}, "delete /configmaps"},
		{"worker", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"*"}, Verbs: []string{"get"}}, "wildcard"},
	}
	for _, tc := range cases {
		bad := auditRules("test", tc.key, "demo", []rbacv1.PolicyRule{tc.rule})
		if len(bad) != 1 || !strings.Contains(bad[0], tc.want) {
			t.Errorf("%+v: findings %q, want one naming %q", tc.rule, bad, tc.want)
		}
	}
	// The same rules pass when they name what MR3 reads.
	ok := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"demo-keytab", "demo-worker"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"create"}},
	}
	if bad := auditRules("test", "driver", "demo", ok); len(bad) != 0 {
		t.Errorf("named rules refused: %q", bad)
	}
}

// podSpecs returns every Pod spec a rendering holds: StatefulSet templates and bare Pods
// (helm test hooks).
func podSpecs(r release) map[string]corev1.PodSpec {
	specs := map[string]corev1.PodSpec{}
	for _, s := range r.statefulSets {
		specs["StatefulSet "+s.Name] = s.Spec.Template.Spec
	}
	for _, p := range r.pods {
		specs["Pod "+p.Name] = p.Spec
	}
	return specs
}

// TestPodsRunRestricted: in every ci scenario every container — init containers too — runs as
// non-root, without privilege escalation or privilege, with ALL capabilities dropped and the
// RuntimeDefault seccomp profile: what PodSecurity `restricted` checks. (It does not require a
// read-only root filesystem; the chart's default leaves it writable because MR3's image writes
// under /opt/mr3-run, see TestWritablePaths.)
func TestPodsRunRestricted(t *testing.T) {
	for _, name := range scenarios {
		r := parseRelease(t, mustRender(t, ciValues(t, name), pinnedToken))
		specs := podSpecs(r)
		if len(specs) == 0 {
			t.Fatalf("%s: no Pods rendered", name)
		}
		for what, spec := range specs {
			what = name + ": " + what
			psc := spec.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser != nil && *psc.RunAsUser == 0 ||
				psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("%s: pod securityContext %+v", what, psc)
			}
			if spec.HostNetwork || spec.HostPID || spec.HostIPC {
				t.Errorf("%s uses a host namespace", what)
			}
			for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
				sc := c.SecurityContext
				switch {
				case sc == nil:
					t.Errorf("%s container %s: no securityContext", what, c.Name)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("%s container %s: allowPrivilegeEscalation not false", what, c.Name)
				case sc.Privileged != nil && *sc.Privileged:
					t.Errorf("%s container %s: privileged", what, c.Name)
				case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
					t.Errorf("%s container %s: capabilities %+v, want drop [ALL] and no add", what, c.Name, sc.Capabilities)
				case sc.RunAsUser != nil && *sc.RunAsUser == 0, sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot:
					t.Errorf("%s container %s: runs as root", what, c.Name)
				}
			}
		}
	}
}

// canaryToken is recognisable anywhere it leaks to, also base64-encoded.
const canaryToken = "CANARY-7d41b0c2-token-must-stay-in-its-secret"

// TestTokenOnlyInTokenSecret renders every ci scenario with a pinned recognisable token and
// scans every object but the token Secret — ConfigMaps, annotations, env literals, the env.sh
// Secret, hooks and NOTES — for it, plain and base64.
func TestTokenOnlyInTokenSecret(t *testing.T) {
	pin := map[string]any{"token": map[string]any{"clientToAMTokenKey": canaryToken, "applicationIdTimestamp": 31337}}
	needles := []string{canaryToken, base64.StdEncoding.EncodeToString([]byte(canaryToken))}
	for _, name := range scenarios {
		out := mustRender(t, ciValues(t, name), pin)
		holders := 0
		for _, doc := range strings.Split(out, "\n---\n") {
			var head struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			_ = yaml.Unmarshal([]byte(doc), &head)
			has := false
			for _, n := range needles {
				has = has || strings.Contains(doc, n)
			}
			if !has {
				continue
			}
			if head.Kind == "Secret" && head.Metadata.Name == releaseName+"-token" {
				holders++
				continue
			}
			what := head.Kind + "/" + head.Metadata.Name
			if head.Kind == "" {
				what = strings.SplitN(strings.TrimSpace(doc), "\n", 2)[0]
			}
			t.Errorf("%s: the token appears in %s", name, what)
		}
		if holders != 1 {
			t.Errorf("%s: the token Secret %s-token holds the token %d times, want 1", name, releaseName, holders)
		}
	}
}
