package doctor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// PermissionInput is what decides the permissions install needs.
type PermissionInput struct {
	Namespace string
	// Documents are the rendered manifest's objects.
	Documents []*manifest.Document
	// Installed: the release exists, so its objects are patched (upgrade) as well as created.
	Installed bool
	// CreateNamespace: install will create the namespace.
	CreateNamespace bool
	// HelmDriver is HELM_DRIVER (where Helm keeps the release record).
	HelmDriver string
}

// access is one question for the authorizer: may I do Verb on Resource (of Group), named
// Name ("" any), in Namespace ("" cluster-wide)? What names the objects or the reason.
type access struct {
	Verb, Group, Resource, Namespace, Name string
	What                                   string
}

func (a access) key() string {
	return strings.Join([]string{a.Verb, a.Group, a.Resource, a.Namespace, a.Name}, "\x00")
}

// resource is "roles.rbac.authorization.k8s.io" (or "secrets" for the core group).
func (a access) resource() string {
	if a.Group == "" {
		return a.Resource
	}
	return a.Resource + "." + a.Group
}

// where is "in namespace X" or "cluster-wide".
func (a access) where() string {
	if a.Namespace == "" {
		return "cluster-wide"
	}
	return "in namespace " + a.Namespace
}

// reviewParallelism bounds the SelfSubjectAccessReviews in flight.
const reviewParallelism = 8

// review asks the API server's authorizer (SelfSubjectAccessReview) about asks and returns
// the ones denied. Each distinct question is asked once, and a named one first without its
// name: a grant on every object of the resource answers all names at once (most users), so
// only a refusal costs one question per name.
func review(ctx context.Context, client kubernetes.Interface, asks []access) ([]access, error) {
	broad := func(a access) access { a.Name, a.What = "", ""; return a }
	var first []access
	seen := map[string]bool{}
	for _, a := range asks {
		if b := broad(a); !seen[b.key()] {
			seen[b.key()] = true
			first = append(first, b)
		}
	}
	answers, err := ask(ctx, client, first)
	if err != nil {
		return nil, err
	}
	var second []access
	for _, a := range asks {
		if k := a.key(); a.Name != "" && !answers[broad(a).key()] && !seen[k] {
			seen[k] = true
			second = append(second, access{Verb: a.Verb, Group: a.Group, Resource: a.Resource, Namespace: a.Namespace, Name: a.Name})
		}
	}
	named, err := ask(ctx, client, second)
	if err != nil {
		return nil, err
	}
	var denied []access
	for _, a := range asks {
		allowed := answers[broad(a).key()]
		if a.Name != "" && !allowed {
			allowed = named[access{Verb: a.Verb, Group: a.Group, Resource: a.Resource, Namespace: a.Namespace, Name: a.Name}.key()]
		}
		if !allowed {
			denied = append(denied, a)
		}
	}
	sort.SliceStable(denied, func(i, j int) bool { return denied[i].key() < denied[j].key() })
	return denied, nil
}

// ask puts each question to the authorizer, reviewParallelism at a time, and returns the
// answers by key. The first error ends it.
func ask(ctx context.Context, client kubernetes.Interface, asks []access) (map[string]bool, error) {
	var (
		mu      sync.Mutex
		answers = map[string]bool{}
		first   error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, reviewParallelism)
	for _, a := range asks {
		wg.Add(1)
		sem <- struct{}{}
		go func(a access) {
			defer func() { <-sem; wg.Done() }()
			r, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authzv1.SelfSubjectAccessReview{
				Spec: authzv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authzv1.ResourceAttributes{
					Namespace: a.Namespace, Verb: a.Verb, Group: a.Group, Resource: a.Resource, Name: a.Name}},
			}, metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			answers[a.key()] = r.Status.Allowed
		}(a)
	}
	wg.Wait()
	return answers, first
}

// distinct counts the distinct questions among asks.
func distinct(asks []access) int {
	seen := map[string]bool{}
	for _, a := range asks {
		seen[a.key()] = true
	}
	return len(seen)
}

// newMapper maps kinds to resources as the API server serves them (discovery).
func newMapper(ctx context.Context, client kubernetes.Interface) (meta.RESTMapper, error) {
	groups, err := restmapper.GetAPIGroupResourcesWithContext(ctx, discovery.ToDiscoveryInterfaceWithContext(client.Discovery()))
	if groups == nil {
		return nil, err
	}
	// A partial answer (one aggregated API down) still maps the built-in kinds.
	return restmapper.NewDiscoveryRESTMapper(groups), nil
}

// Asks lists every permission install needs: create and get on each object of the manifest
// (Helm looks for a conflicting object first; an installed release's objects are patched
// too), Helm's release record, the plugin's token Secret and the timestamps in use, the
// rollout wait's list/watch, and creating the namespace with --create-namespace. Kinds the
// API server does not serve are returned apart: install fails on them whatever the rights.
func Asks(in PermissionInput, mapper meta.RESTMapper) (asks []access, unserved []string) {
	seen := map[string]bool{}
	add := func(a access) {
		// The same question for two objects is kept twice, so that a refusal names both;
		// review asks it once.
		if k := a.key() + "\x00" + a.What; !seen[k] {
			seen[k] = true
			asks = append(asks, a)
		}
	}
	ns := in.Namespace
	for _, d := range in.Documents {
		gv, err := schema.ParseGroupVersion(d.Head.APIVersion)
		if err != nil {
			unserved = append(unserved, fmt.Sprintf("%s (apiVersion %q: %v)", d.Ref(), d.Head.APIVersion, err))
			continue
		}
		m, err := mapper.RESTMapping(schema.GroupKind{Group: gv.Group, Kind: d.Head.Kind}, gv.Version)
		if err != nil {
			unserved = append(unserved, fmt.Sprintf("%s (%s)", d.Ref(), d.Head.APIVersion))
			continue
		}
		objNS := ""
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			objNS = ns
		}
		what := d.Ref()
		add(access{Verb: "create", Group: m.Resource.Group, Resource: m.Resource.Resource, Namespace: objNS, What: what})
		add(access{Verb: "get", Group: m.Resource.Group, Resource: m.Resource.Resource, Namespace: objNS, Name: d.Head.Name(), What: what})
		if in.Installed {
			add(access{Verb: "patch", Group: m.Resource.Group, Resource: m.Resource.Resource, Namespace: objNS, Name: d.Head.Name(), What: what})
		}
	}
	switch strings.ToLower(in.HelmDriver) {
	case "", "secret", "secrets":
		for _, v := range []string{"get", "list", "create", "update"} {
			add(access{Verb: v, Resource: "secrets", Namespace: ns, What: "Helm's release record (HELM_DRIVER=secret)"})
		}
	case "configmap", "configmaps":
		for _, v := range []string{"get", "list", "create", "update"} {
			add(access{Verb: v, Resource: "configmaps", Namespace: ns, What: "Helm's release record (HELM_DRIVER=configmap)"})
		}
	}
	for _, v := range []string{"get", "list", "create"} {
		add(access{Verb: v, Resource: "secrets", Namespace: ns, What: "the plugin's token Secret and the timestamps in use"})
	}
	for _, r := range []struct{ group, resource string }{{"apps", "statefulsets"}, {"", "pods"}, {"", "secrets"}, {"", "configmaps"}, {"", "services"}} {
		for _, v := range []string{"list", "watch"} {
			add(access{Verb: v, Group: r.group, Resource: r.resource, Namespace: ns, What: "waiting for the rollout"})
		}
	}
	if in.CreateNamespace {
		add(access{Verb: "create", Resource: "namespaces", What: "--create-namespace"})
	}
	return asks, unserved
}

// Permissions asks the authorizer, for the credentials in use, every permission install
// needs (Asks) and names each one missing: verb, resource, namespace and the objects that
// need it.
func Permissions(ctx context.Context, client kubernetes.Interface, in PermissionInput) Result {
	mapper, err := newMapper(ctx, client)
	if err != nil {
		return result(CheckPermissions, Warn, "cannot read the API server's resource list (%v), so the permissions install needs were not checked", err)
	}
	asks, unserved := Asks(in, mapper)
	denied, err := review(ctx, client, asks)
	if err != nil {
		return result(CheckPermissions, Warn, "cannot ask the API server whether you may do what install does (SelfSubjectAccessReview: %v)", err)
	}
	if len(unserved) > 0 {
		return result(CheckPermissions, Fail, "the API server does not serve the kind of %s, so install fails on it; fix: install the API (CRD) it needs first, or drop the object from the values or overlay",
			strings.Join(unserved, ", "))
	}
	if len(denied) == 0 {
		return result(CheckPermissions, OK, "all %d permissions install needs are granted (%s)", distinct(asks), scopes(asks))
	}
	return result(CheckPermissions, Fail, "missing %d of the %d permissions install needs: %s; fix: ask a cluster admin to grant them to your user (the namespaced ones e.g. by a RoleBinding to the ClusterRole admin in namespace %s), or run install with credentials that have them",
		distinct(denied), distinct(asks), describeDenied(denied), in.Namespace)
}

// scopes says where the asks apply: "namespace X and cluster-wide".
func scopes(asks []access) string {
	nss, cluster := map[string]bool{}, false
	for _, a := range asks {
		if a.Namespace == "" {
			cluster = true
		} else {
			nss[a.Namespace] = true
		}
	}
	var parts []string
	for ns := range nss {
		parts = append(parts, "namespace "+ns)
	}
	sort.Strings(parts)
	if cluster {
		parts = append(parts, "cluster-wide")
	}
	return strings.Join(parts, " and ")
}

// describeDenied groups the denied asks: the verbs each object or reason lacks, then the
// objects and reasons that lack the same verbs on the same resource, e.g. "create, get
// roles.rbac.authorization.k8s.io in namespace x (for Role/a, Role/b)".
func describeDenied(denied []access) string {
	type byWhat struct{ head, what string }
	verbs := map[byWhat][]string{}
	var whats []byWhat
	for _, a := range denied {
		k := byWhat{a.resource() + " " + a.where(), a.What}
		if _, ok := verbs[k]; !ok {
			whats = append(whats, k)
		}
		if !slices.Contains(verbs[k], a.Verb) {
			verbs[k] = append(verbs[k], a.Verb)
		}
	}
	var order []string
	merged := map[string][]string{}
	head := map[string]string{}
	for _, k := range whats {
		line := strings.Join(verbs[k], ", ") + " " + k.head
		if _, ok := merged[line]; !ok {
			order = append(order, line)
			head[line] = k.head
		}
		merged[line] = append(merged[line], k.what)
	}
	// By resource and scope, so that one resource's lines stand together.
	sort.SliceStable(order, func(i, j int) bool { return head[order[i]] < head[order[j]] })
	var parts []string
	for _, line := range order {
		parts = append(parts, fmt.Sprintf("%s (for %s)", line, strings.Join(merged[line], ", ")))
	}
	return strings.Join(parts, "; ")
}

// role is a Role or ClusterRole of the manifest and the bindings that refer to it.
type role struct {
	ref       string // "Role/x" or "ClusterRole/x"
	name      string
	namespace string // "" for a ClusterRole
	resource  string // roles or clusterroles
	rules     []rbacv1.PolicyRule
	bindings  []string
}

// Escalation checks the API server's RBAC escalation rule for the chart's Roles and
// ClusterRoles: creating a Role (or binding one) that grants a permission is refused unless
// the creator holds that permission in the same scope, or may `escalate` that Role (`bind`
// for a binding). For each role it asks every permission the role grants and, when some are
// missing, whether escalate/bind is allowed; it names the role, the bindings and the missing
// grants.
func Escalation(ctx context.Context, client kubernetes.Interface, ns string, docs []*manifest.Document) Result {
	roles, err := rolesOf(docs, ns)
	if err != nil {
		return result(CheckEscalation, Warn, "cannot read the chart's Roles: %v", err)
	}
	if len(roles) == 0 {
		return result(CheckEscalation, OK, "the release makes no Roles or ClusterRoles (rbac.create=false): nothing to grant")
	}
	var problems []string
	for _, r := range roles {
		var asks []access
		var nonResource []string
		for _, rule := range r.rules {
			for _, v := range rule.Verbs {
				for _, url := range rule.NonResourceURLs {
					nonResource = append(nonResource, v+" "+url)
				}
				for _, g := range orAll(rule.APIGroups) {
					for _, res := range rule.Resources {
						for _, name := range orAll(rule.ResourceNames) {
							asks = append(asks, access{Verb: v, Group: g, Resource: res, Namespace: r.namespace, Name: name})
						}
					}
				}
			}
		}
		missing, err := review(ctx, client, asks)
		if err != nil {
			return result(CheckEscalation, Warn, "cannot ask the API server what you may grant (SelfSubjectAccessReview: %v)", err)
		}
		if len(missing) == 0 && len(nonResource) == 0 {
			continue
		}
		var grants []string
		for _, m := range missing {
			g := fmt.Sprintf("%s %s", m.Verb, m.resource())
			if m.Name != "" {
				g += " " + m.Name
			}
			grants = append(grants, g)
		}
		grants = append(grants, nonResource...)
		escalate, err := review(ctx, client, []access{
			{Verb: "escalate", Group: rbacv1.GroupName, Resource: r.resource, Namespace: r.namespace, Name: r.name},
			{Verb: "bind", Group: rbacv1.GroupName, Resource: r.resource, Namespace: r.namespace, Name: r.name}})
		if err != nil {
			return result(CheckEscalation, Warn, "cannot ask the API server what you may grant (SelfSubjectAccessReview: %v)", err)
		}
		var lacks []string
		for _, verb := range []string{"escalate", "bind"} {
			for _, e := range escalate {
				if e.Verb == verb && (verb == "escalate" || len(r.bindings) > 0) {
					lacks = append(lacks, verb)
				}
			}
		}
		if len(lacks) == 0 {
			continue
		}
		scope := "in namespace " + ns
		if r.namespace == "" {
			scope = "cluster-wide"
		}
		p := fmt.Sprintf("%s grants %s, which you do not hold %s, and you may not %s it", r.ref, strings.Join(grants, ", "), scope, strings.Join(lacks, " or "))
		if len(r.bindings) > 0 {
			p += fmt.Sprintf(" (nor create %s)", strings.Join(r.bindings, ", "))
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return result(CheckEscalation, Fail, "the API server refuses to create a Role or binding that grants more than its creator holds: %s; fix: install with credentials that hold these permissions, "+
			"or ask an admin to grant you them or the verbs escalate and bind on the roles (clusterroles for a ClusterRole), or set rbac.create=false and have an admin create the RBAC objects",
			strings.Join(problems, "; "))
	}
	return result(CheckEscalation, OK, "you hold every permission the release's %d Role(s) and ClusterRole(s) grant, or may escalate and bind them", len(roles))
}

// orAll is the list, or [""] ("any") when empty.
func orAll(l []string) []string {
	if len(l) == 0 {
		return []string{""}
	}
	out := make([]string, len(l))
	for i, s := range l {
		if s == "*" {
			s = ""
		}
		out[i] = s
	}
	return out
}

// rolesOf decodes the Roles and ClusterRoles of docs and the bindings that refer to them.
func rolesOf(docs []*manifest.Document, ns string) ([]*role, error) {
	var roles []*role
	byRef := map[string]*role{}
	for _, d := range docs {
		switch d.Head.Kind {
		case "Role":
			var r rbacv1.Role
			if err := d.Decode(&r); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Where(), err)
			}
			ro := &role{ref: "Role/" + r.Name, name: r.Name, namespace: ns, resource: "roles", rules: r.Rules}
			roles, byRef[ro.ref] = append(roles, ro), ro
		case "ClusterRole":
			var r rbacv1.ClusterRole
			if err := d.Decode(&r); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Where(), err)
			}
			ro := &role{ref: "ClusterRole/" + r.Name, name: r.Name, resource: "clusterroles", rules: r.Rules}
			roles, byRef[ro.ref] = append(roles, ro), ro
		}
	}
	for _, d := range docs {
		var ref rbacv1.RoleRef
		switch d.Head.Kind {
		case "RoleBinding":
			var b rbacv1.RoleBinding
			if err := d.Decode(&b); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Where(), err)
			}
			ref = b.RoleRef
		case "ClusterRoleBinding":
			var b rbacv1.ClusterRoleBinding
			if err := d.Decode(&b); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Where(), err)
			}
			ref = b.RoleRef
		default:
			continue
		}
		if r := byRef[ref.Kind+"/"+ref.Name]; r != nil {
			r.bindings = append(r.bindings, d.Ref())
		}
	}
	return roles, nil
}
