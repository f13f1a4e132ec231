package mr3runtime

import (
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Kinds of the objects a Pod can use by name.
const (
	KindServiceAccount = "ServiceAccount"
	KindConfigMap      = "ConfigMap"
	KindSecret         = "Secret"
	KindClaim          = "PersistentVolumeClaim"
)

// Refs is a set of objects, as "Kind/name", that tie a Pod to a release when the Pod uses one
// of them: its ServiceAccount, a mounted or env-referenced ConfigMap or Secret, a claim.
type Refs map[string]bool

func refKey(kind, name string) string { return kind + "/" + name }

// Add puts kind/name in the set (nothing for an empty name).
func (r Refs) Add(kind, name string) {
	if name != "" {
		r[refKey(kind, name)] = true
	}
}

// Has reports whether kind/name is in the set.
func (r Refs) Has(kind, name string) bool { return r[refKey(kind, name)] }

// Merge adds every element of o.
func (r Refs) Merge(o Refs) {
	for k := range o {
		r[k] = true
	}
}

// Sorted lists the set.
func (r Refs) Sorted() []string {
	out := make([]string, 0, len(r))
	for k := range r {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (r Refs) each(fn func(string)) {
	for k := range r {
		fn(k)
	}
}

// DefaultRefs are the objects docs/DESIGN.md names for fullname F that MR3's Pods use: the
// ServiceAccounts F-master and F-worker, the ConfigMap F-conf, the Secrets F-env, F-keytab,
// F-worker and F-token.
func DefaultRefs(fullname string) Refs {
	r := Refs{}
	if fullname == "" {
		return r
	}
	r.Add(KindServiceAccount, fullname+contract.SuffixMaster)
	r.Add(KindServiceAccount, fullname+contract.SuffixWorker)
	r.Add(KindConfigMap, contract.ConfName(fullname))
	for _, s := range []string{contract.SuffixEnv, contract.SuffixKeytab, contract.SuffixWorker, contract.SuffixToken} {
		r.Add(KindSecret, fullname+s)
	}
	return r
}

// SiteRefs are the objects an mr3-site.xml tells MR3 to use for its Pods (conf ConfigMap,
// keytab and worker Secrets). The file is read with plugin/mr3conf's strict parser, as check
// reads it; err says why it cannot be read (r is then empty).
func SiteRefs(site []byte) (Refs, error) {
	_, r, err := readSite(site)
	if r == nil {
		r = Refs{}
	}
	return r, err
}

// PodSpecRefs lists, as Refs keys, the objects a Pod spec uses by name.
func PodSpecRefs(spec *corev1.PodSpec) []string {
	var out []string
	add := func(kind, name string) {
		if name != "" {
			out = append(out, refKey(kind, name))
		}
	}
	add(KindServiceAccount, spec.ServiceAccountName)
	for _, v := range spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			add(KindConfigMap, v.ConfigMap.Name)
		case v.Secret != nil:
			add(KindSecret, v.Secret.SecretName)
		case v.PersistentVolumeClaim != nil:
			add(KindClaim, v.PersistentVolumeClaim.ClaimName)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					add(KindConfigMap, s.ConfigMap.Name)
				}
				if s.Secret != nil {
					add(KindSecret, s.Secret.Name)
				}
			}
		}
	}
	// Image pull Secrets are left out: one is often shared by every workload of a namespace.
	containers := append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...)
	for _, c := range containers {
		for _, e := range c.EnvFrom {
			if e.ConfigMapRef != nil {
				add(KindConfigMap, e.ConfigMapRef.Name)
			}
			if e.SecretRef != nil {
				add(KindSecret, e.SecretRef.Name)
			}
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				continue
			}
			if r := e.ValueFrom.SecretKeyRef; r != nil {
				add(KindSecret, r.Name)
			}
			if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
				add(KindConfigMap, r.Name)
			}
		}
	}
	return out
}
