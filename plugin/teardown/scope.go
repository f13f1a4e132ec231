package teardown

import (
	"fmt"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// What teardown deletes is the release's only (docs/DESIGN.md, "Labels" and "Names"):
//   - in the namespace: the release's instance label AND the chart's name label, and, when an
//     object carries Helm's ownership annotations, they must name this release and namespace
//     (objects applied from `helm template` output, as GitOps tools do, carry none; then the
//     labels decide). Pods go with their StatefulSet (ownerReference).
//   - cluster-scoped: the instance and name labels, then Helm's annotations when present;
//     without them, only an object whose exact name the release has (its manifests in every
//     revision Helm kept, else the names the chart gives it) AND whose own content points at
//     this namespace: a ClusterRoleBinding's ServiceAccount subjects, a PersistentVolume's
//     claimRef. A ClusterRole (nothing in it names a namespace) only when no binding from
//     another namespace uses it.

// ownership says whether an object labelled as the release's is owned by it, and why not.
func (r *run) ownership(m metav1.ObjectMeta) (bool, string) {
	if m.Labels[contract.LabelInstance] != r.Release || m.Labels[contract.LabelName] != contract.ChartName {
		return false, "not labelled as the release's"
	}
	name, hasName := m.Annotations[annoReleaseName]
	ns, hasNS := m.Annotations[annoReleaseNamespace]
	if (hasName || hasNS) && (name != r.Release || ns != r.Namespace) {
		return false, fmt.Sprintf("Helm release %q in namespace %q owns it", name, ns)
	}
	return true, ""
}

// ownedPod: a driver Pod whose controller is one of the release's StatefulSets, or an orphan
// (its StatefulSet already gone) labelled as the release's.
func (r *run) ownedPod(p *corev1.Pod, sts map[string]bool) (bool, string) {
	if ok, why := r.ownership(p.ObjectMeta); !ok {
		return false, why
	}
	if c := metav1.GetControllerOf(p); c != nil {
		if c.Kind == "StatefulSet" && sts[string(c.UID)] {
			return true, ""
		}
		return false, fmt.Sprintf("controlled by %s %s, not one of the release's StatefulSets", c.Kind, c.Name)
	}
	return true, ""
}

// clusterNames are the exact names of the release's cluster-scoped objects.
type clusterNames map[string]bool // "kind/name", kind lower case

// chartClusterNames are the names the chart gives fullname F's cluster-scoped objects in
// namespace NS (docs/DESIGN.md, "Names").
func chartClusterNames(ns, fullname string) clusterNames {
	out := clusterNames{}
	if fullname == "" {
		return out
	}
	// NS.F-… today; NS-F-… from chart versions before the dot (ambiguous on its own, so those
	// objects are still held to the subject, claimRef and binding checks of this file).
	for _, name := range []func(ns, fullname, suffix string) string{contract.ClusterName, contract.LegacyClusterName} {
		out["clusterrole/"+name(ns, fullname, contract.SuffixNodeReader)] = true
		out["clusterrolebinding/"+name(ns, fullname, contract.SuffixNodeReaderDriver)] = true
		out["clusterrolebinding/"+name(ns, fullname, contract.SuffixNodeReaderMaster)] = true
		out["persistentvolume/"+name(ns, fullname, contract.SuffixWorkdir)] = true
	}
	return out
}

// manifestClusterNames are the cluster-scoped objects in the release's manifests.
func manifestClusterNames(revisions []*release.Release) clusterNames {
	out := clusterNames{}
	for _, rel := range revisions {
		if rel == nil {
			continue
		}
		for _, doc := range releaseutil.SplitManifests(rel.Manifest) {
			var obj struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if yaml.Unmarshal([]byte(doc), &obj) != nil || obj.Metadata.Name == "" {
				continue
			}
			switch obj.Kind {
			case "ClusterRole", "ClusterRoleBinding", "PersistentVolume":
				out[strings.ToLower(obj.Kind)+"/"+obj.Metadata.Name] = true
			}
		}
	}
	return out
}

// clusterOwned decides for the cluster-scoped objects labelled as the release's; left are
// those refused, as "kind/name: why".
func (r *run) clusterOwned(crbs []rbacv1.ClusterRoleBinding, crs []rbacv1.ClusterRole, pvs []corev1.PersistentVolume) (out []clusterObj, left []string) {
	helmOwned := func(m metav1.ObjectMeta) (decided, owned bool, why string) {
		_, hasName := m.Annotations[annoReleaseName]
		_, hasNS := m.Annotations[annoReleaseNamespace]
		if !hasName && !hasNS {
			return false, false, ""
		}
		ok, why := r.ownership(m)
		return true, ok, why
	}
	refuse := func(kind, name, why string) { left = append(left, kind+"/"+name+": "+why) }
	foreignRoles := map[string]bool{}
	for _, x := range crbs {
		key := "clusterrolebinding/" + x.Name
		if decided, ok, why := helmOwned(x.ObjectMeta); decided {
			if ok {
				out = append(out, clusterObj{kind: "clusterrolebinding", name: x.Name})
			} else {
				refuse("clusterrolebinding", x.Name, why)
			}
			continue
		}
		if other := subjectsElsewhere(x.Subjects, r.Namespace); other != "" {
			foreignRoles[x.RoleRef.Name] = true
			refuse("clusterrolebinding", x.Name, "binds ServiceAccounts of namespace "+other)
			continue
		}
		if !r.clusterNames[key] {
			refuse("clusterrolebinding", x.Name, "not a name this release has")
			continue
		}
		out = append(out, clusterObj{kind: "clusterrolebinding", name: x.Name})
	}
	for _, x := range crs {
		key := "clusterrole/" + x.Name
		if decided, ok, why := helmOwned(x.ObjectMeta); decided {
			if ok {
				out = append(out, clusterObj{kind: "clusterrole", name: x.Name})
			} else {
				refuse("clusterrole", x.Name, why)
			}
			continue
		}
		switch {
		case foreignRoles[x.Name]:
			refuse("clusterrole", x.Name, "bound to ServiceAccounts of another namespace")
		case !r.clusterNames[key]:
			refuse("clusterrole", x.Name, "not a name this release has")
		default:
			out = append(out, clusterObj{kind: "clusterrole", name: x.Name})
		}
	}
	for i := range pvs {
		x := &pvs[i]
		if decided, ok, why := helmOwned(x.ObjectMeta); decided {
			if ok {
				out = append(out, clusterObj{kind: "persistentvolume", name: x.Name, pv: x})
			} else {
				refuse("persistentvolume", x.Name, why)
			}
			continue
		}
		switch {
		case x.Spec.ClaimRef != nil && x.Spec.ClaimRef.Namespace != r.Namespace:
			refuse("persistentvolume", x.Name, "bound to a claim in namespace "+x.Spec.ClaimRef.Namespace)
		case !r.clusterNames["persistentvolume/"+x.Name]:
			refuse("persistentvolume", x.Name, "not a name this release has")
		default:
			out = append(out, clusterObj{kind: "persistentvolume", name: x.Name, pv: x})
		}
	}
	sort.Strings(left)
	return out, left
}

// subjectsElsewhere names a namespace other than ns that a ServiceAccount subject is in, or
// "" when every ServiceAccount subject is in ns.
func subjectsElsewhere(subjects []rbacv1.Subject, ns string) string {
	for _, s := range subjects {
		if s.Kind == rbacv1.ServiceAccountKind && s.Namespace != ns {
			return s.Namespace
		}
	}
	return ""
}

// driverObjects are the release's driver StatefulSets, Pods and Services, and whether every
// object the label selector lists is among them (then one DeleteCollection per kind is safe).
type driverObjects struct {
	sts, pods, svcs []string
	all             bool
}

func (r *run) driverObjects(stsList []appsv1.StatefulSet, podList []corev1.Pod, svcList []corev1.Service) (d driverObjects, left []string) {
	d.all = true
	uids := map[string]bool{}
	for _, s := range stsList {
		if ok, why := r.ownership(s.ObjectMeta); ok {
			d.sts = append(d.sts, s.Name)
			uids[string(s.UID)] = true
		} else {
			d.all = false
			left = append(left, "statefulset/"+s.Name+": "+why)
		}
	}
	for i := range podList {
		if ok, why := r.ownedPod(&podList[i], uids); ok {
			d.pods = append(d.pods, podList[i].Name)
		} else {
			d.all = false
			left = append(left, "pod/"+podList[i].Name+": "+why)
		}
	}
	for _, s := range svcList {
		if ok, why := r.ownership(s.ObjectMeta); ok {
			d.svcs = append(d.svcs, s.Name)
		} else {
			d.all = false
			left = append(left, "service/"+s.Name+": "+why)
		}
	}
	return d, left
}
