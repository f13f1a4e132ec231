package doctor

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
	"github.com/spark-mr3/spark-mr3/plugin/status"
)

func TestAPIServer(t *testing.T) {
	ctx := context.Background()
	withVersion := func(v string) *fake.Clientset {
		c := newClient(nil)
		c.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: v}
		return c
	}
	failing := func(err error) *fake.Clientset {
		c := newClient(nil)
		c.PrependReactor("get", "version", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, err })
		return c
	}
	tests := []struct {
		name       string
		client     *fake.Clientset
		constraint string
		status     Status
		parts      []string
	}{
		{"answers", withVersion("v1.37.2"), ">= 1.29.0-0", OK, []string{"Kubernetes v1.37.2", "https://k:6443", `kube context "ctx1" of kubeconfig /home/u/kc`}},
		{"too old for the chart", withVersion("v1.25.0"), ">= 1.29.0-0", Fail, []string{"runs Kubernetes v1.25.0", "requires >= 1.29.0-0"}},
		{"unreachable", failing(errors.New("dial tcp 127.0.0.1:1: connect: connection refused")), "", Fail,
			[]string{"cannot reach the API server https://k:6443", "connection refused", "--kube-context"}},
		{"credentials rejected", failing(apierrors.NewUnauthorized("token expired")), "", Fail, []string{"rejected the credentials", "refresh the kubeconfig"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, APIServer(ctx, tt.client, nil, APITarget{Server: "https://k:6443", Context: "ctx1", Kubeconfig: "/home/u/kc"}, tt.constraint), tt.status, tt.parts...)
		})
	}
	t.Run("no client", func(t *testing.T) {
		want(t, APIServer(ctx, nil, errors.New("invalid configuration: no configuration has been provided"), APITarget{}, ""), Fail, "no configuration has been provided", "--kubeconfig")
	})
}

func TestSwap(t *testing.T) {
	node := func(name string, swap *int64) *corev1.Node {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
		if swap != nil {
			n.Status.NodeInfo.Swap = &corev1.NodeSwapStatus{Capacity: swap}
		}
		return n
	}
	tests := []struct {
		name   string
		objs   []runtime.Object
		status Status
		parts  []string
	}{
		{"all report none", []runtime.Object{node("a", ptr.To[int64](0)), node("b", ptr.To[int64](0))}, OK, []string{"all 2 node(s) have swap off; 2 report swap capacity 0"}},
		{"one has swap", []runtime.Object{node("a", ptr.To[int64](0)), node("b", ptr.To[int64](1<<30))}, Warn, []string{"1 of 2 node(s) report swap: b (1073741824 bytes)", "swapoff -a"}},
		{"not reported", []runtime.Object{node("a", nil), node("b", ptr.To[int64](0))}, Warn, []string{"1 of 2 node(s) do not report swap", ": a, and their kubelets' configuration was not asked", "cannot be known from the API", "swapon --show"}},
		{"no nodes", nil, Warn, []string{"no nodes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, Swap(context.Background(), newClient(nil, tt.objs...)), tt.status, tt.parts...)
		})
	}
	t.Run("nodes not readable", func(t *testing.T) {
		c := newClient(nil)
		forbidden(c, "list", "nodes")
		want(t, Swap(context.Background(), c), Warn, "cannot list nodes", "cannot be known from the API", "swapon --show")
	})
	t.Run("many nodes are counted, a few named", func(t *testing.T) {
		var objs []runtime.Object
		for _, n := range []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7"} {
			objs = append(objs, node(n, nil))
		}
		want(t, Swap(context.Background(), newClient(nil, objs...)), Warn, "7 of 7", "n1, n2, n3, n4, n5 and 2 more")
	})
}

func TestNamespace(t *testing.T) {
	ns := func(phase corev1.NamespacePhase) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS}, Status: corev1.NamespaceStatus{Phase: phase}}
	}
	tests := []struct {
		name   string
		objs   []runtime.Object
		create bool
		exists bool
		status Status
		parts  []string
	}{
		{"exists", []runtime.Object{ns(corev1.NamespaceActive)}, false, true, OK, []string{"exists"}},
		{"missing, will be created", nil, true, false, OK, []string{"--create-namespace creates it"}},
		{"missing", nil, false, false, Fail, []string{"does not exist", "pass --create-namespace"}},
		{"terminating", []runtime.Object{ns(corev1.NamespaceTerminating)}, false, true, Fail, []string{"being deleted"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exists, r := Namespace(context.Background(), newClient(nil, tt.objs...), testNS, tt.create)
			if exists != tt.exists {
				t.Errorf("exists = %v", exists)
			}
			want(t, r, tt.status, tt.parts...)
		})
	}
	t.Run("not readable", func(t *testing.T) {
		c := newClient(nil)
		forbidden(c, "get", "namespaces")
		exists, r := Namespace(context.Background(), c, testNS, false)
		if !exists {
			t.Error("a namespace that cannot be read is assumed to exist")
		}
		want(t, r, Warn, "cannot read namespace ns1")
	})
}

// rbacObjects are a Role, a ClusterRole and their bindings as the chart makes them.
func rbacObjects() []runtime.Object {
	return []runtime.Object{
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "rel-driver", Namespace: testNS},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"create", "delete"}},
				{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}, ResourceNames: []string{"rel-keytab"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rel-driver", Namespace: testNS},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "rel-driver"}},
		&rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "ns1.rel-node-reader"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}}}},
		&rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "ns1.rel-node-reader-driver"},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "ns1.rel-node-reader"}},
	}
}

func TestPermissions(t *testing.T) {
	objs := append(rbacObjects(), driverSet("spark1", "rel-mr3-token"),
		&corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "ns1.rel-workdir"}})
	docs := releaseOf(t, objs...).Documents
	tests := []struct {
		name   string
		in     PermissionInput
		deny   []string
		status Status
		parts  []string
		absent []string
	}{
		{"all granted", PermissionInput{Namespace: testNS, Documents: docs}, nil, OK, []string{"permissions install needs are granted", "namespace ns1 and cluster-wide"}, nil},
		{"namespace admin: no cluster-scoped rights", PermissionInput{Namespace: testNS, Documents: docs},
			[]string{"create clusterroles", "get clusterroles", "create clusterrolebindings", "get clusterrolebindings", "create persistentvolumes", "get persistentvolumes"}, Fail,
			[]string{"missing 6 of the", "create, get clusterroles.rbac.authorization.k8s.io cluster-wide (for ClusterRole/ns1.rel-node-reader)",
				"create, get persistentvolumes cluster-wide (for PersistentVolume/ns1.rel-workdir)", "create, get clusterrolebindings.rbac.authorization.k8s.io cluster-wide", "ask a cluster admin"}, nil},
		{"no statefulsets", PermissionInput{Namespace: testNS, Documents: docs}, []string{"create statefulsets ns1", "watch statefulsets ns1"}, Fail,
			[]string{"create statefulsets.apps in namespace ns1 (for StatefulSet/rel-spark1)", "watch statefulsets.apps in namespace ns1 (for waiting for the rollout)"}, nil},
		{"helm record in configmaps", PermissionInput{Namespace: testNS, Documents: docs, HelmDriver: "configmap"}, []string{"update configmaps ns1"}, Fail,
			[]string{"update configmaps in namespace ns1 (for Helm's release record (HELM_DRIVER=configmap))"}, nil},
		{"create the namespace", PermissionInput{Namespace: testNS, Documents: docs, CreateNamespace: true}, []string{"create namespaces"}, Fail,
			[]string{"create namespaces cluster-wide (for --create-namespace)"}, nil},
		{"namespace exists: creating it is not asked", PermissionInput{Namespace: testNS, Documents: docs}, []string{"create namespaces"}, OK, nil, nil},
		{"an installed release is patched", PermissionInput{Namespace: testNS, Documents: docs, Installed: true}, []string{"patch roles ns1"}, Fail,
			[]string{"patch roles.rbac.authorization.k8s.io in namespace ns1 (for Role/rel-driver)"}, nil},
		{"not installed: no patch", PermissionInput{Namespace: testNS, Documents: docs}, []string{"patch roles ns1"}, OK, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Permissions(context.Background(), newClient(deny(tt.deny...)), tt.in)
			want(t, r, tt.status, tt.parts...)
		})
	}
	t.Run("one refusal names every object that needs it", func(t *testing.T) {
		two := releaseOf(t, append(objs, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rel-master", Namespace: testNS},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "rel-driver"}})...).Documents
		r := Permissions(context.Background(), newClient(deny("create rolebindings ns1", "get rolebindings ns1")), PermissionInput{Namespace: testNS, Documents: two})
		want(t, r, Fail, "missing 3 of the", "create, get rolebindings.rbac.authorization.k8s.io in namespace ns1 (for RoleBinding/rel-driver, RoleBinding/rel-master)")
	})
	t.Run("a kind the server does not serve", func(t *testing.T) {
		extra := releaseOf(t, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "x"}}).Documents
		extra[0].Head.Kind, extra[0].Head.APIVersion = "ServiceMonitor", "monitoring.coreos.com/v1"
		r := Permissions(context.Background(), newClient(nil), PermissionInput{Namespace: testNS, Documents: append(docs, extra...)})
		want(t, r, Fail, "ServiceMonitor/x (monitoring.coreos.com/v1)", "does not serve")
	})
	t.Run("reviews refused", func(t *testing.T) {
		c := newClient(nil)
		c.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, errors.New("the server could not find the requested resource")
		})
		want(t, Permissions(context.Background(), c, PermissionInput{Namespace: testNS, Documents: docs}), Warn, "SelfSubjectAccessReview")
	})
}

func TestEscalation(t *testing.T) {
	docs := releaseOf(t, rbacObjects()...).Documents
	tests := []struct {
		name   string
		deny   []string
		status Status
		parts  []string
	}{
		{"holds everything", nil, OK, []string{"you hold every permission the release's 2 Role(s)"}},
		{"namespace admin cannot grant node reading", []string{"list nodes", "watch nodes", "escalate clusterroles", "bind clusterroles"}, Fail,
			[]string{"ClusterRole/ns1.rel-node-reader grants list nodes, watch nodes, which you do not hold cluster-wide, and you may not escalate or bind it (nor create ClusterRoleBinding/ns1.rel-node-reader-driver)",
				"set rbac.create=false"}},
		{"may escalate and bind", []string{"list nodes", "watch nodes"}, OK, nil},
		{"may escalate, not bind", []string{"delete pods ns1", "bind roles ns1"}, Fail,
			[]string{"Role/rel-driver grants delete pods, which you do not hold in namespace ns1, and you may not bind it (nor create RoleBinding/rel-driver)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, Escalation(context.Background(), newClient(deny(tt.deny...)), testNS, docs), tt.status, tt.parts...)
		})
	}
	t.Run("a name is asked only when the resource is refused", func(t *testing.T) {
		var asked []string
		c := newClient(func(a authzv1.ResourceAttributes) bool { return a.Resource != "secrets" || a.Name == "rel-keytab" })
		c.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
			r := a.(k8stesting.CreateAction).GetObject().(*authzv1.SelfSubjectAccessReview)
			if ra := r.Spec.ResourceAttributes; ra.Resource == "secrets" {
				asked = append(asked, ra.Verb+" "+ra.Name)
			}
			return false, nil, nil
		})
		want(t, Escalation(context.Background(), c, testNS, docs), OK)
		if strings.Join(asked, ",") != "get ,get rel-keytab" {
			t.Errorf("asked %q, want the resource, then the name", asked)
		}
	})
	t.Run("no roles", func(t *testing.T) {
		want(t, Escalation(context.Background(), newClient(nil), testNS, releaseOf(t, driverSet("a", "s")).Documents), OK, "rbac.create=false")
	})
}

func TestPodSecurity(t *testing.T) {
	ns := func(labels map[string]string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: labels}}
	}
	rel := releaseOf(t, driverSet("a", "s"))
	tests := []struct {
		name     string
		objs     []runtime.Object
		nsExists bool
		status   Status
		parts    []string
	}{
		{"restricted refuses MR3's Pods", []runtime.Object{ns(map[string]string{podsecurity.LabelEnforce: "restricted"})}, true, Fail,
			[]string{`enforces PodSecurity "restricted"`, "kubectl label namespace ns1 pod-security.kubernetes.io/enforce=baseline"}},
		{"baseline admits them", []runtime.Object{ns(map[string]string{podsecurity.LabelEnforce: "baseline"})}, true, OK, []string{"enforces PodSecurity baseline; MR3's Pods need baseline"}},
		{"no label", []runtime.Object{ns(nil)}, true, OK, []string{"enforces no PodSecurity level"}},
		{"namespace to be created", nil, false, OK, []string{"will be created without a PodSecurity label"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, PodSecurity(context.Background(), newClient(nil, tt.objs...), testNS, tt.nsExists, rel), tt.status, tt.parts...)
		})
	}
	t.Run("labels not readable", func(t *testing.T) {
		c := newClient(nil)
		forbidden(c, "get", "namespaces")
		want(t, PodSecurity(context.Background(), c, testNS, true, rel), Warn, "is unknown", "need PodSecurity baseline")
	})
}

func TestStorage(t *testing.T) {
	withTemplate := func(class *string) *appsv1.StatefulSet {
		s := driverSet("spark1", "s")
		s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "local-dir-0"},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}}}}
		return s
	}
	workClaim := func(class string, volume string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "rel-workdir", Namespace: testNS},
			Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &class, VolumeName: volume, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}}}
	}
	class := func(name string, isDefault bool) *storagev1.StorageClass {
		c := &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Provisioner: "x"}
		if isDefault {
			c.Annotations = map[string]string{annotationDefaultClass: "true"}
		}
		return c
	}
	pv := func(class string, phase corev1.PersistentVolumePhase) *corev1.PersistentVolume {
		return &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv1"},
			Spec:   corev1.PersistentVolumeSpec{StorageClassName: class, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			Status: corev1.PersistentVolumeStatus{Phase: phase}}
	}
	existing := driverSet("spark1", "s")
	existing.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "work-dir", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "shared-work"}}}}
	tests := []struct {
		name    string
		release []runtime.Object
		cluster []runtime.Object
		status  Status
		parts   []string
	}{
		{"no claims", []runtime.Object{driverSet("spark1", "s")}, nil, OK, []string{"no PersistentVolumeClaims"}},
		{"local dirs without a default class", []runtime.Object{withTemplate(nil)}, []runtime.Object{class("fast", false)}, Fail,
			[]string{"StatefulSet/rel-spark1 volumeClaimTemplates local-dir-0 uses the default StorageClass (localDirs.storageClassName is empty), but the cluster has none", "set localDirs.storageClassName to one of [fast]", "is-default-class=true"}},
		{"no StorageClass at all", []runtime.Object{withTemplate(nil)}, nil, Fail, []string{"the cluster has no StorageClass at all", "localDirs.type=emptyDir"}},
		{"local dirs with a default class", []runtime.Object{withTemplate(nil)}, []runtime.Object{class("std", true)}, OK, []string{"uses the default StorageClass std"}},
		{"named class missing", []runtime.Object{withTemplate(ptr.To("gold"))}, []runtime.Object{class("std", true)}, Fail,
			[]string{"asks for StorageClass gold (localDirs.storageClassName), which does not exist", "one of [std]"}},
		{"named class present", []runtime.Object{withTemplate(ptr.To("std"))}, []runtime.Object{class("std", false)}, OK, []string{"uses StorageClass std"}},
		{"work dir bound to the chart's PV", []runtime.Object{workClaim("", "ns1.rel-workdir"), &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "ns1.rel-workdir"}}}, nil, OK,
			[]string{"binds to the release's PersistentVolume ns1.rel-workdir"}},
		{"work dir without a PV", []runtime.Object{workClaim("", "")}, []runtime.Object{pv("std", corev1.VolumeAvailable)}, Warn,
			[]string{`PersistentVolumeClaim/rel-workdir has no StorageClass (workDir.storageClassName is "")`, "workDir.persistentVolume.create=true"}},
		{"work dir with a pre-made PV", []runtime.Object{workClaim("", "")}, []runtime.Object{pv("", corev1.VolumeAvailable)}, OK, []string{"can bind to an Available PersistentVolume"}},
		{"work dir already bound", []runtime.Object{workClaim("", "")}, []runtime.Object{&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "rel-workdir", Namespace: testNS},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound}}}, OK, []string{"PersistentVolumeClaim/rel-workdir is bound"}},
		{"existing claim missing", []runtime.Object{existing}, nil, Fail, []string{"PersistentVolumeClaim shared-work (workDir.existingClaim), which does not exist in namespace ns1"}},
		{"existing claim present", []runtime.Object{existing}, []runtime.Object{&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "shared-work", Namespace: testNS}}}, OK,
			[]string{"shared-work (workDir.existingClaim) exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Storage(context.Background(), newClient(nil, tt.cluster...), testNS, true, releaseOf(t, tt.release...))
			want(t, r, tt.status, tt.parts...)
		})
	}
	t.Run("classes not readable", func(t *testing.T) {
		c := newClient(nil)
		forbidden(c, "list", "storageclasses")
		want(t, Storage(context.Background(), c, testNS, true, releaseOf(t, withTemplate(nil))), Warn, "cannot be listed")
	})
}

func TestExternalIPs(t *testing.T) {
	am := func(ips ...string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "rel-mr3", Namespace: testNS, Labels: map[string]string{contract.LabelComponent: contract.ComponentAMService}},
			Spec: corev1.ServiceSpec{ExternalIPs: ips, Ports: []corev1.ServicePort{{Port: 9862}}}}
	}
	refusing := func(err error) *fake.Clientset {
		c := newClient(nil)
		c.PrependReactor("create", "services", func(a k8stesting.Action) (bool, runtime.Object, error) {
			ca := a.(k8stesting.CreateAction)
			svc := ca.GetObject().(*corev1.Service)
			if svc.Name != "" || svc.GenerateName != "rel-mr3-doctor-" {
				t.Errorf("dry run of %q / %q, want a generated name", svc.Name, svc.GenerateName)
			}
			if opts := a.(k8stesting.CreateActionImpl).CreateOptions; len(opts.DryRun) != 1 || opts.DryRun[0] != metav1.DryRunAll {
				t.Errorf("create options %+v, want dryRun=All", opts)
			}
			return true, svc, err
		})
		return c
	}
	denied := apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "rel-mr3", errors.New("Use of external IPs is denied by admission control"))
	rbac := apierrors.NewForbidden(schema.GroupResource{Resource: "services"}, "", errors.New(`User "alice" cannot create resource "services" in API group "" in the namespace "ns1"`))
	tests := []struct {
		name     string
		svc      *corev1.Service
		client   *fake.Clientset
		nsExists bool
		status   Status
		parts    []string
	}{
		{"no externalIPs", am(), newClient(nil), true, OK, []string{"nothing to admit"}},
		{"admitted", am("10.1.90.10"), refusing(nil), true, OK, []string{"admits the AM Service rel-mr3 with externalIPs [10.1.90.10]"}},
		{"denied by admission", am("10.1.90.10"), refusing(denied), true, Fail,
			[]string{"refuses the AM Service rel-mr3 with externalIPs [10.1.90.10] (mr3.amService.externalIPs)", "denied by admission control", "DenyServiceExternalIPs", "LoadBalancer"}},
		{"refused by a ValidatingAdmissionPolicy (Invalid)", am("10.1.90.10"), refusing(apierrors.NewInvalid(schema.GroupKind{Kind: "Service"}, "rel-mr3-doctor-x", nil)), true, Fail,
			[]string{"refuses the AM Service rel-mr3 with externalIPs [10.1.90.10]", "ValidatingAdmissionPolicy", "correct mr3.amService.externalIPs"}},
		{"no right to create Services", am("10.1.90.10"), refusing(rbac), true, Warn, []string{"you may not create Services"}},
		{"namespace not there yet", am("10.1.90.10"), newClient(nil), false, Warn, []string{"only once namespace ns1 exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want(t, ExternalIPs(context.Background(), tt.client, testNS, tt.nsExists, releaseOf(t, tt.svc)), tt.status, tt.parts...)
		})
	}
}

func TestHostAliases(t *testing.T) {
	withAliases := func(hosts ...string) *appsv1.StatefulSet {
		s := driverSet("spark1", "s")
		s.Spec.Template.Spec.HostAliases = []corev1.HostAlias{{IP: "10.1.90.9", Hostnames: hosts}}
		return s
	}
	svc := func(name, instance string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: map[string]string{contract.LabelInstance: instance}}}
	}
	tests := []struct {
		name    string
		release []runtime.Object
		cluster []runtime.Object
		status  Status
		parts   []string
	}{
		{"no aliases", []runtime.Object{driverSet("spark1", "s")}, nil, OK, []string{"nothing can shadow"}},
		{"no clash", []runtime.Object{withAliases("gold0")}, []runtime.Object{svc("other", "x")}, OK, []string{"no host alias name [gold0] is a Service"}},
		{"alias is a Service of the namespace", []runtime.Object{withAliases("gold0", "hdfs-nn")}, []runtime.Object{svc("hdfs-nn", "hdfs")}, Warn,
			[]string{"hdfs-nn (-> 10.1.90.9) is also Service hdfs-nn (in namespace ns1)", "rename the alias"}},
		{"alias is a Service of the release", []runtime.Object{withAliases("rel-mr3"), svc("rel-mr3", "rel")}, nil, Warn, []string{"is also Service rel-mr3 (made by the release)"}},
		{"qualified alias", []runtime.Object{withAliases("hdfs-nn.ns1.svc.cluster.local")}, []runtime.Object{svc("hdfs-nn", "hdfs")}, Warn, []string{"is also Service hdfs-nn"}},
		{"another namespace's name", []runtime.Object{withAliases("hdfs-nn.other")}, []runtime.Object{svc("hdfs-nn", "hdfs")}, OK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := HostAliases(context.Background(), newClient(nil, tt.cluster...), testNS, true, "rel", releaseOf(t, tt.release...))
			want(t, r, tt.status, tt.parts...)
		})
	}
}

func TestReleaseChecks(t *testing.T) {
	rel := releaseOf(t, driverSet("spark1", "rel-mr3-token"))
	tokenSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rel-mr3-token", Namespace: testNS},
		Data: map[string][]byte{contract.KeyToken: []byte("very-secret-token"), contract.KeyTimestamp: []byte("1234")}}
	deployed := func(pods ...status.Pod) *status.Report {
		return &status.Report{Release: status.Release{Name: "rel", Installed: true, State: "deployed", Revision: 2, Chart: "spark-mr3-0.1.0"}, Drivers: pods}
	}
	ready := status.Pod{Name: "p1", Phase: "Running", Ready: "1/1"}
	tests := []struct {
		name  string
		st    *status.Report
		objs  []runtime.Object
		wants []Status
		parts []string
	}{
		{"not installed", nil, nil, []Status{Warn}, []string{"not installed", "checks above are for installing it"}},
		{"left objects", &status.Report{Release: status.Release{Installed: false}}, nil, []Status{Fail}, []string{"helm sparkmr3 teardown rel -n ns1"}},
		{"healthy", deployed(ready), []runtime.Object{tokenSecret}, []Status{OK, OK, OK}, []string{"deployed (revision 2", "all 1 driver Pod(s) ready", "token Secret rel-mr3-token present"}},
		{"failed release", &status.Report{Release: status.Release{Installed: true, State: "failed", Revision: 3}, Drivers: []status.Pod{ready}}, []runtime.Object{tokenSecret},
			[]Status{Fail, OK, OK}, []string{"is failed, not deployed", "helm rollback rel"}},
		{"driver pending", deployed(status.Pod{Name: "p1", Phase: "Pending", Ready: "0/1"}), []runtime.Object{tokenSecret}, []Status{OK, Fail, OK}, []string{"p1 (Pending, 0/1 ready)"}},
		{"driver missing", deployed(), []runtime.Object{tokenSecret}, []Status{OK, Fail, OK}, []string{"1 driver StatefulSet(s) but 0 driver Pod(s)"}},
		{"token Secret gone", deployed(ready), nil, []Status{OK, OK, Fail}, []string{"token Secret rel-mr3-token that the driver Pods read does not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := ReleaseChecks(context.Background(), newClient(nil, tt.objs...), testNS, "rel", tt.st, rel)
			if len(rs) != len(tt.wants) {
				t.Fatalf("%d results, want %d: %+v", len(rs), len(tt.wants), rs)
			}
			all := ""
			for i, r := range rs {
				if r.Status != tt.wants[i] {
					t.Errorf("%s: %s, want %s: %s", r.Name, r.Status, tt.wants[i], r.Message)
				}
				all += r.Message + "\n"
			}
			want(t, Result{Status: tt.wants[0], Message: all}, tt.wants[0], tt.parts...)
			if strings.Contains(all, "very-secret-token") {
				t.Errorf("the token is printed:\n%s", all)
			}
		})
	}
}

// TestExternalIPsWarningsOfARealServer: against an HTTP API server (not the in-memory fake)
// the dry run is a POST with dryRun=All, and the server's Warning headers become the line's
// message instead of client-go's stderr.
func TestExternalIPsWarningsOfARealServer(t *testing.T) {
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.Method + " " + r.URL.Path + "?" + r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Warning", `299 - "spec.externalIPs is deprecated and may no longer be implemented in some clusters"`)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"kind":"Service","apiVersion":"v1","metadata":{"name":"rel-mr3-doctor-x"}}`))
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "rel-mr3", Namespace: testNS, Labels: map[string]string{contract.LabelComponent: contract.ComponentAMService}},
		Spec: corev1.ServiceSpec{ExternalIPs: []string{"10.1.90.10"}, Ports: []corev1.ServicePort{{Port: 9862}}}}
	r := ExternalIPs(context.Background(), client, testNS, true, releaseOf(t, svc))
	want(t, r, Warn, "admits the AM Service rel-mr3", "but warns: spec.externalIPs is deprecated", "LoadBalancer or NodePort")
	if query != "POST /api/v1/namespaces/ns1/services?dryRun=All" {
		t.Errorf("request %q", query)
	}
}

// TestSwapAsksTheKubelets: for nodes whose status says nothing about swap, the kubelet's
// configz (through the API server's node proxy) decides: failSwapOn=true (or unset: its
// default) means the kubelet would not run with swap on; failSwapOn=false or no answer stays
// unknown, with the reason.
func TestSwapAsksTheKubelets(t *testing.T) {
	configz := map[string]string{
		"guarded":  `{"kubeletconfig":{"failSwapOn":true}}`,
		"default":  `{"kubeletconfig":{}}`,
		"swapping": `{"kubeletconfig":{"failSwapOn":false,"memorySwap":{"swapBehavior":"LimitedSwap"}}}`,
	}
	serve := func(nodes ...string) kubernetes.Interface {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/api/v1/nodes" {
				var items []string
				for _, n := range nodes {
					items = append(items, `{"metadata":{"name":"`+n+`"}}`)
				}
				_, _ = w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","items":[` + strings.Join(items, ",") + `]}`))
				return
			}
			node, ok := strings.CutPrefix(r.URL.Path, "/api/v1/nodes/")
			node, ok2 := strings.CutSuffix(node, "/proxy/configz")
			if body, known := configz[node]; ok && ok2 && known {
				_, _ = w.Write([]byte(body))
				return
			}
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,"message":"nodes \"` + node + `\" is forbidden: User \"alice\" cannot get resource \"nodes/proxy\""}`))
		}))
		t.Cleanup(srv.Close)
		c, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	want(t, Swap(context.Background(), serve("guarded", "default")), OK,
		"all 2 node(s) have swap off", "2 run a kubelet with failSwapOn=true, which refuses to start with swap on (default, guarded)")
	want(t, Swap(context.Background(), serve("guarded", "swapping", "closed")), Warn,
		"2 of 3 node(s) do not report swap", "closed, swapping", "and 1 more", "cannot be known from the API")
	want(t, Swap(context.Background(), serve("closed")), Warn, `(closed: HTTP 403: nodes "closed" is forbidden: User "alice" cannot get resource "nodes/proxy")`)
	r := Swap(context.Background(), serve("swapping"))
	want(t, r, Warn, `swapping: its kubelet runs with failSwapOn=false (memorySwap.swapBehavior "LimitedSwap")`)
}

// TestDescribeDenied: refusals are grouped by the verbs an object or reason lacks, then by
// resource and scope, in that order.
func TestDescribeDenied(t *testing.T) {
	got := describeDenied([]access{
		{Verb: "watch", Resource: "services", Namespace: "ns1", What: "waiting for the rollout"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "ns1", What: "Role/a"},
		{Verb: "get", Group: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "ns1", Name: "a", What: "Role/a"},
		{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "ns1", What: "Role/b"},
		{Verb: "get", Group: "rbac.authorization.k8s.io", Resource: "roles", Namespace: "ns1", Name: "b", What: "Role/b"},
		{Verb: "create", Resource: "namespaces", What: "--create-namespace"},
	})
	want := "create namespaces cluster-wide (for --create-namespace); " +
		"create, get roles.rbac.authorization.k8s.io in namespace ns1 (for Role/a, Role/b); " +
		"watch services in namespace ns1 (for waiting for the rollout)"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
