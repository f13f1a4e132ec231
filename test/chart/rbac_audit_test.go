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

// rbacAllowed is every permission the chart may grant: role (the Role/ClusterRole name
// without the release prefix) → "apiGroup/resource" → verbs. Anything else a rendered role
// grants fails TestRBACAudit. Each entry says why MR3 needs it.
var rbacAllowed = map[string]map[string][]string{
	// The driver's MR3 client (and, in LocalProcess mode, the in-driver DAGAppMaster).
	"driver": {
		// creates the DAGAppMaster Pod (LocalProcess: the worker Pods), watches it, deletes it.
		"/pods": {"get", "watch", "list", "create", "delete"},
		// the DAGAppMaster Deployment mr3master-spark-<ts>-0: created, found again by later
		// drivers (shared AM), deleted on close.
		"apps/deployments": {"get", "watch", "list", "create", "delete"},
		// MR3 versions that run the DAGAppMaster under a ReplicationController (MR3's spark-role).
		"/replicationcontrollers": {"get", "watch", "list", "create", "delete"},
		// mr3conf-configmap-master: written, read back when the AM is reused, removed when stale.
		// No list/watch: the client knows the name.
		"/configmaps": {"get", "create", "update", "delete"},
		// the keytab/worker Secrets named in the AM Pod spec; get only (no list: it must not be
		// able to read every Secret of the namespace, such as the token or env.sh of another release).
		"/secrets": {"get"},
		// service-master-<ts>-0: created for the AM, looked up by later drivers, deleted with it.
		"/services": {"get", "list", "create", "delete"},
	},
	// The DAGAppMaster.
	"master": {
		// ContainerWorker Pods mr3executor-*: created, watched and deleted by the AM.
		"/pods": {"get", "watch", "list", "create", "delete"},
		// mr3conf-configmap-worker.
		"/configmaps": {"get", "create", "update", "delete"},
		// the Secrets mounted into worker Pods, by name.
		"/secrets": {"get"},
		// service-worker (headless).
		"/services": {"get", "list", "create", "delete"},
	},
	// ContainerWorkers: read their configuration and Secrets by name, nothing else.
	"worker": {
		"/configmaps": {"get"},
		"/secrets":    {"get"},
	},
	// ClusterRole NS-F-node-reader: MR3 reads Node capacity to size and place workers.
	"node-reader": {
		"/nodes": {"get", "watch", "list"},
	},
}

// roleKey maps a rendered role name to its rbacAllowed entry: F-driver → driver,
// NS-F-node-reader → node-reader.
func roleKey(name string) string {
	for k := range rbacAllowed {
		if strings.HasSuffix(name, "-"+k) {
			return k
		}
	}
	return ""
}

// auditRules returns one finding per permission outside the allow-list (wildcards included).
func auditRules(what, key string, rules []rbacv1.PolicyRule) []string {
	var bad []string
	allowed, ok := rbacAllowed[key]
	if !ok {
		return []string{fmt.Sprintf("%s: no allow-list entry; add one with a reason to rbacAllowed", what)}
	}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 {
			bad = append(bad, fmt.Sprintf("%s: non-resource URLs %v", what, r.NonResourceURLs))
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					gr := g + "/" + res
					switch {
					case strings.Contains(g+res+v, "*"):
						bad = append(bad, fmt.Sprintf("%s: wildcard in apiGroup %q resource %q verb %q", what, g, res, v))
					case !slices.Contains(allowed[gr], v):
						bad = append(bad, fmt.Sprintf("%s: %s %s is not in the allow-list", what, v, gr))
					}
				}
			}
		}
	}
	return bad
}

// TestRBACAudit walks every Role and ClusterRole of every ci/*-values.yaml rendering (and of
// rbac.create=false) and fails on a wildcard or a verb outside rbacAllowed.
func TestRBACAudit(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range scenarios {
		r := parseRelease(t, mustRender(t, ciValues(t, name), pinnedToken))
		if len(r.roles) != 3 || len(r.clusterRoles) != 1 {
			t.Errorf("%s: %d Roles and %d ClusterRoles, want 3 and 1 (a new role needs an allow-list entry)", name, len(r.roles), len(r.clusterRoles))
		}
		for _, role := range r.roles {
			seen[roleKey(role.Name)] = true
			for _, b := range auditRules(name+": Role "+role.Name, roleKey(role.Name), role.Rules) {
				t.Error(b)
			}
		}
		for _, role := range r.clusterRoles {
			seen[roleKey(role.Name)] = true
			for _, b := range auditRules(name+": ClusterRole "+role.Name, roleKey(role.Name), role.Rules) {
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
	off := parseRelease(t, mustRender(t, map[string]any{"rbac": map[string]any{"create": false}}, pinnedToken))
	if len(off.roles)+len(off.clusterRoles) != 0 {
		t.Errorf("rbac.create=false still renders %d roles", len(off.roles)+len(off.clusterRoles))
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
		{"worker", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}}, "list /secrets is not in the allow-list"},
		{"master", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}}, "create /pods/exec"},
		{"node-reader", rbacv1.PolicyRule{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"clusterroles"}, Verbs: []string{"escalate"}}, "escalate"},
		{"nope", rbacv1.PolicyRule{}, "no allow-list entry"},
	}
	for _, tc := range cases {
		bad := auditRules("test", tc.key, []rbacv1.PolicyRule{tc.rule})
		if len(bad) != 1 || !strings.Contains(bad[0], tc.want) {
			t.Errorf("%+v: findings %q, want one naming %q", tc.rule, bad, tc.want)
		}
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
