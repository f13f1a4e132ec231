package doctor

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

const testNS = "ns1"

// newClient is a fake clientset whose discovery serves the kinds the chart renders and whose
// authorizer answers SelfSubjectAccessReviews with allow.
func newClient(allow func(authzv1.ResourceAttributes) bool, objs ...runtime.Object) *fake.Clientset {
	c := fake.NewClientset(objs...)
	d := c.Discovery().(*fakediscovery.FakeDiscovery)
	res := func(name, kind string, namespaced bool) metav1.APIResource {
		return metav1.APIResource{Name: name, Kind: kind, Namespaced: namespaced, Verbs: []string{"create", "get", "list", "watch", "patch", "update", "delete"}}
	}
	d.Resources = []*metav1.APIResourceList{
		{GroupVersion: "v1", APIResources: []metav1.APIResource{
			res("pods", "Pod", true), res("services", "Service", true), res("secrets", "Secret", true),
			res("configmaps", "ConfigMap", true), res("serviceaccounts", "ServiceAccount", true),
			res("persistentvolumeclaims", "PersistentVolumeClaim", true), res("persistentvolumes", "PersistentVolume", false),
			res("namespaces", "Namespace", false), res("nodes", "Node", false)}},
		{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{res("statefulsets", "StatefulSet", true)}},
		{GroupVersion: "rbac.authorization.k8s.io/v1", APIResources: []metav1.APIResource{
			res("roles", "Role", true), res("rolebindings", "RoleBinding", true),
			res("clusterroles", "ClusterRole", false), res("clusterrolebindings", "ClusterRoleBinding", false)}},
		{GroupVersion: "storage.k8s.io/v1", APIResources: []metav1.APIResource{res("storageclasses", "StorageClass", false)}},
	}
	c.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview).DeepCopy()
		r.Status.Allowed = allow == nil || allow(*r.Spec.ResourceAttributes)
		return true, r, nil
	})
	return c
}

// deny refuses exactly the listed "verb resource namespace" triples (namespace "" =
// cluster-wide).
func deny(triples ...string) func(authzv1.ResourceAttributes) bool {
	return func(a authzv1.ResourceAttributes) bool {
		for _, t := range triples {
			f := strings.Fields(t + " ")
			ns := ""
			if len(f) > 2 {
				ns = f[2]
			}
			if f[0] == a.Verb && f[1] == a.Resource && ns == a.Namespace {
				return false
			}
		}
		return true
	}
}

// forbidden makes every verb on resource fail with Forbidden.
func forbidden(c *fake.Clientset, verb, resource string) {
	c.PrependReactor(verb, resource, func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "", errForbiddenTest)
	})
}

var errForbiddenTest = &testError{"User \"alice\" cannot list resource"}

type testError struct{ s string }

func (e *testError) Error() string { return e.s }

// releaseOf builds the Release the checks read from typed objects.
func releaseOf(t *testing.T, objs ...runtime.Object) *check.Release {
	t.Helper()
	var b strings.Builder
	for _, o := range objs {
		gvks, _, err := testScheme().ObjectKinds(o)
		if err != nil {
			t.Fatal(err)
		}
		o = o.DeepCopyObject()
		o.GetObjectKind().SetGroupVersionKind(gvks[0])
		y, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	rel, err := check.ReadRelease(strings.NewReader(b.String()), manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = corev1.AddToScheme(s)
	_ = appsv1.AddToScheme(s)
	_ = rbacv1.AddToScheme(s)
	return s
}

// driverSet is a driver StatefulSet as the chart makes one, with the token from secret.
func driverSet(name, secret string) *appsv1.StatefulSet {
	labels := map[string]string{contract.LabelInstance: "rel", contract.LabelComponent: contract.ComponentDriver, contract.LabelDriver: name}
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "rel-" + name, Namespace: testNS, Labels: labels},
		Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: contract.DriverContainer, Image: "x",
				Env: []corev1.EnvVar{{Name: contract.KeyToken, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: contract.KeyToken}}}}}}}}},
	}
}

// want checks a result's status and that its message holds each part.
func want(t *testing.T, r Result, st Status, parts ...string) {
	t.Helper()
	if r.Status != st {
		t.Errorf("%s: status %s, want %s: %s", r.Name, r.Status, st, r.Message)
	}
	for _, p := range parts {
		if !strings.Contains(r.Message, p) {
			t.Errorf("%s: message lacks %q:\n%s", r.Name, p, r.Message)
		}
	}
}
