package doctor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check"
)

// Annotations that mark the default StorageClass.
const (
	annotationDefaultClass     = "storageclass.kubernetes.io/is-default-class"
	annotationDefaultClassBeta = "storageclass.beta.kubernetes.io/is-default-class"
)

// claim is one PersistentVolumeClaim the release makes (or a template of them), with the
// value that decides its class.
type claim struct {
	what  string // "PersistentVolumeClaim/x" or "StatefulSet/x volumeClaimTemplates local-dir-0"
	value string // the values key of its StorageClass
	name  string // the claim's name when it is one object ("" for a template)
	spec  corev1.PersistentVolumeClaimSpec
}

// claimsOf lists the release's claims: the work dir's PersistentVolumeClaim (workDir.*) and
// every driver's local-dir volumeClaimTemplates (localDirs.*).
func claimsOf(rel *check.Release) []claim {
	var out []claim
	for _, c := range rel.PVCs {
		out = append(out, claim{what: "PersistentVolumeClaim/" + c.Name, value: "workDir.storageClassName", name: c.Name, spec: c.Spec})
	}
	for _, d := range rel.Drivers {
		for _, t := range d.StatefulSet.Spec.VolumeClaimTemplates {
			out = append(out, claim{what: fmt.Sprintf("%s volumeClaimTemplates %s", d, t.Name), value: "localDirs.storageClassName", spec: t.Spec})
		}
	}
	return out
}

// existingClaims are the claims the driver Pods mount that the release does not make
// (workDir.existingClaim).
func existingClaims(rel *check.Release) []string {
	made := map[string]bool{}
	for _, c := range rel.PVCs {
		made[c.Name] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range rel.Drivers {
		for _, v := range d.Pod().Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			n := v.PersistentVolumeClaim.ClaimName
			if !made[n] && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Storage checks that each claim of the release can bind: a claim without storageClassName
// needs a default StorageClass (localDirs.type=persistentVolumeClaim without
// localDirs.storageClassName), a named class must exist, a claim of class "" binds only to a
// PersistentVolume without a class (the chart's own with workDir.persistentVolume.create, or
// one made beforehand), and workDir.existingClaim must exist in the namespace.
func Storage(ctx context.Context, client kubernetes.Interface, ns string, nsExists bool, rel *check.Release) Result {
	claims := claimsOf(rel)
	existing := existingClaims(rel)
	if len(claims) == 0 && len(existing) == 0 {
		return result(CheckStorage, OK, "the release makes no PersistentVolumeClaims (workDir.enabled=false, localDirs.type is not persistentVolumeClaim): no StorageClass needed")
	}
	var fails, warns, oks []string
	var classes *storagev1.StorageClassList
	var classErr error
	listClasses := func() (*storagev1.StorageClassList, error) {
		if classes == nil && classErr == nil {
			classes, classErr = client.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
		}
		return classes, classErr
	}
	madePVs := map[string]bool{}
	for _, d := range rel.Documents {
		if d.Head.Kind == "PersistentVolume" {
			madePVs[d.Head.Name()] = true
		}
	}
	for _, c := range claims {
		if c.name != "" && nsExists {
			if got, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, c.name, metav1.GetOptions{}); err == nil && got.Status.Phase == corev1.ClaimBound {
				oks = append(oks, c.what+" is bound")
				continue
			}
		}
		sc := c.spec.StorageClassName
		switch {
		case sc == nil:
			list, err := listClasses()
			if err != nil {
				warns = append(warns, fmt.Sprintf("%s uses the default StorageClass (%s is empty), and the StorageClasses cannot be listed (%v) to see whether there is one", c.what, c.value, err))
				continue
			}
			def := defaultClasses(list)
			if len(def) == 0 {
				fix := fmt.Sprintf("set %s to one of [%s], or mark one default (kubectl annotate storageclass NAME %s=true)", c.value, strings.Join(classNames(list), ", "), annotationDefaultClass)
				if len(list.Items) == 0 {
					fix = fmt.Sprintf("the cluster has no StorageClass at all: install a provisioner and its StorageClass (marked default, or named in %s), or use localDirs.type=emptyDir", c.value)
				}
				fails = append(fails, fmt.Sprintf("%s uses the default StorageClass (%s is empty), but the cluster has none (no StorageClass annotated %s=true), so the claims stay Pending and the driver Pods are never scheduled; fix: %s",
					c.what, c.value, annotationDefaultClass, fix))
				continue
			}
			oks = append(oks, fmt.Sprintf("%s uses the default StorageClass %s", c.what, def[len(def)-1]))
		case *sc == "":
			if c.spec.VolumeName != "" && madePVs[c.spec.VolumeName] {
				oks = append(oks, fmt.Sprintf("%s binds to the release's PersistentVolume %s", c.what, c.spec.VolumeName))
				continue
			}
			pvs, err := client.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
			if err != nil {
				warns = append(warns, fmt.Sprintf("%s has no StorageClass (%s is \"\") and binds only to a PersistentVolume without one; the PersistentVolumes cannot be listed (%v) to see whether one is there", c.what, c.value, err))
				continue
			}
			if !availableStaticPV(pvs.Items, c.spec) {
				warns = append(warns, fmt.Sprintf("%s has no StorageClass (%s is \"\") and binds only to a PersistentVolume without one, and none is Available with access modes %v; the claim stays Pending until one is made; fix: set workDir.persistentVolume.create=true with a source, make such a PersistentVolume, or set %s",
					c.what, c.value, c.spec.AccessModes, c.value))
				continue
			}
			oks = append(oks, fmt.Sprintf("%s can bind to an Available PersistentVolume without a class", c.what))
		default:
			_, err := client.StorageV1().StorageClasses().Get(ctx, *sc, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				list, _ := listClasses()
				fails = append(fails, fmt.Sprintf("%s asks for StorageClass %s (%s), which does not exist, so the claims stay Pending; fix: set %s to one of [%s]",
					c.what, *sc, c.value, c.value, strings.Join(classNames(list), ", ")))
			case err != nil:
				warns = append(warns, fmt.Sprintf("%s asks for StorageClass %s (%s), which cannot be read (%v)", c.what, *sc, c.value, err))
			default:
				oks = append(oks, fmt.Sprintf("%s uses StorageClass %s", c.what, *sc))
			}
		}
	}
	for _, n := range existing {
		if !nsExists {
			fails = append(fails, fmt.Sprintf("the driver Pods mount PersistentVolumeClaim %s (workDir.existingClaim), which cannot exist in namespace %s before the namespace does; fix: create the claim first, or unset workDir.existingClaim", n, ns))
			continue
		}
		_, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, n, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			fails = append(fails, fmt.Sprintf("the driver Pods mount PersistentVolumeClaim %s (workDir.existingClaim), which does not exist in namespace %s, so they are never scheduled; fix: create it, or unset workDir.existingClaim to let the chart make one", n, ns))
		case err != nil:
			warns = append(warns, fmt.Sprintf("PersistentVolumeClaim %s (workDir.existingClaim) cannot be read (%v)", n, err))
		default:
			oks = append(oks, fmt.Sprintf("PersistentVolumeClaim %s (workDir.existingClaim) exists", n))
		}
	}
	switch {
	case len(fails) > 0:
		return result(CheckStorage, Fail, "%s", strings.Join(append(fails, warns...), "; "))
	case len(warns) > 0:
		return result(CheckStorage, Warn, "%s", strings.Join(warns, "; "))
	}
	return result(CheckStorage, OK, "%s", strings.Join(oks, "; "))
}

// defaultClasses are the names of the StorageClasses marked default, oldest first (the API
// server's admission picks the newest when there are several).
func defaultClasses(list *storagev1.StorageClassList) []string {
	items := append([]storagev1.StorageClass(nil), list.Items...)
	sort.SliceStable(items, func(i, j int) bool {
		return items[i].CreationTimestamp.Before(&items[j].CreationTimestamp)
	})
	var out []string
	for _, c := range items {
		if c.Annotations[annotationDefaultClass] == "true" || c.Annotations[annotationDefaultClassBeta] == "true" {
			out = append(out, c.Name)
		}
	}
	return out
}

func classNames(list *storagev1.StorageClassList) []string {
	if list == nil {
		return nil
	}
	var out []string
	for _, c := range list.Items {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return out
}

// availableStaticPV: an Available PersistentVolume without a class offers every access mode
// the claim asks for.
func availableStaticPV(pvs []corev1.PersistentVolume, spec corev1.PersistentVolumeClaimSpec) bool {
	for _, pv := range pvs {
		if pv.Status.Phase != corev1.VolumeAvailable || pv.Spec.StorageClassName != "" || pv.Spec.ClaimRef != nil {
			continue
		}
		ok := true
		for _, m := range spec.AccessModes {
			if !slices.Contains(pv.Spec.AccessModes, m) {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}
