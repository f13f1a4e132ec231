package e2e

// `helm sparkmr3 doctor` on the real control plane: the API server's own authorizer answers
// the permission questions (as a cluster admin and as a ServiceAccount with a namespace's
// admin role, by impersonation), PodSecurity labels are real, and the externalIPs check is a
// real server-side dry run that leaves nothing behind.

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
	"github.com/spark-mr3/spark-mr3/plugin/doctor"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// doctorReport runs `doctor ARGS -o json` in namespace ns and returns the report by check
// name, the exit code and stderr.
func doctorReport(t *testing.T, f *submitFixture, args ...string) (map[string]doctor.Result, int, string) {
	t.Helper()
	out, errOut, code := f.runCLI(nil, append(append([]string{"doctor"}, args...), "-o", "json")...)
	var rep doctor.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("doctor %v: exit %d, output is not a report (%v):\n%s\nstderr:\n%s", args, code, err, out, errOut)
	}
	byName := map[string]doctor.Result{}
	for _, r := range rep.Checks {
		byName[r.Name] = r
	}
	if (rep.Failed > 0) != (code == cli.ExitError) || (rep.Failed == 0 && code != 0) {
		t.Errorf("doctor %v: %d failed checks but exit %d", args, rep.Failed, code)
	}
	return byName, code, errOut
}

// expect checks one line of a report: its status and parts of its message.
func expect(t *testing.T, rep map[string]doctor.Result, name string, st doctor.Status, parts ...string) {
	t.Helper()
	r, ok := rep[name]
	if !ok {
		t.Errorf("no %s check in the report", name)
		return
	}
	if r.Status != st {
		t.Errorf("%s: %s, want %s: %s", name, r.Status, st, r.Message)
	}
	for _, p := range parts {
		if !strings.Contains(r.Message, p) {
			t.Errorf("%s: message lacks %q:\n%s", name, p, r.Message)
		}
	}
}

// TestDoctorBeforeInstall: as a cluster admin in a baseline namespace every prerequisite
// holds (swap is unknown: kwok's nodes report none, and the line says so), exit 0; a
// restricted namespace fails pod-security; a missing namespace fails unless
// --create-namespace; values with externalIPs are admitted by a dry run that leaves no
// Service (with the API server's deprecation warning); a host alias named like a Service of the namespace warns; local-dir claims with no
// StorageClass in the cluster fail.
func TestDoctorBeforeInstall(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	f := &submitFixture{t: t, c: c, cs: cs, rel: "rel", ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "baseline"})}

	rep, code, _ := doctorReport(t, f)
	if code != 0 {
		t.Errorf("admin, baseline namespace: exit %d: %+v", code, rep)
	}
	expect(t, rep, doctor.CheckAPIServer, doctor.OK, "Kubernetes v1.", c.Kubeconfig())
	// kwok's nodes report no swap, and the API server does not proxy to their kubelets.
	expect(t, rep, doctor.CheckSwap, doctor.Warn, "do not report swap", "their kubelets' configuration (configz through the node proxy) does not tell",
		"cannot be known from the API", "swapon --show")
	expect(t, rep, doctor.CheckNamespace, doctor.OK, "namespace "+f.ns+" exists")
	expect(t, rep, doctor.CheckPermissions, doctor.OK, "permissions install needs are granted", "namespace "+f.ns+" and cluster-wide")
	expect(t, rep, doctor.CheckEscalation, doctor.OK)
	expect(t, rep, doctor.CheckPodSecurity, doctor.OK, "enforces PodSecurity baseline")
	expect(t, rep, doctor.CheckStorage, doctor.OK)
	expect(t, rep, doctor.CheckExternalIPs, doctor.OK, "no externalIPs")
	expect(t, rep, doctor.CheckHostAliases, doctor.OK)
	if _, ok := rep[doctor.CheckRelease]; ok {
		t.Error("a release check without RELEASE")
	}

	restricted := &submitFixture{t: t, c: c, cs: cs, rel: "rel", ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "restricted"})}
	rep, code, _ = doctorReport(t, restricted)
	if code != cli.ExitError {
		t.Errorf("restricted namespace: exit %d", code)
	}
	expect(t, rep, doctor.CheckPodSecurity, doctor.Fail, `enforces PodSecurity "restricted"`, "kubectl label namespace "+restricted.ns+" "+podsecurity.LabelEnforce+"=baseline")

	missing := &submitFixture{t: t, c: c, cs: cs, rel: "rel", ns: f.ns + "-none"}
	rep, code, _ = doctorReport(t, missing)
	if code != cli.ExitError {
		t.Errorf("missing namespace: exit %d", code)
	}
	expect(t, rep, doctor.CheckNamespace, doctor.Fail, "does not exist", "--create-namespace")
	rep, code, _ = doctorReport(t, missing, "--create-namespace")
	if code != 0 {
		t.Errorf("missing namespace with --create-namespace: exit %d: %+v", code, rep)
	}
	expect(t, rep, doctor.CheckNamespace, doctor.OK, "--create-namespace creates it")
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), missing.ns, metav1.GetOptions{}); err == nil {
		t.Errorf("doctor created namespace %s", missing.ns)
	}

	ctx := context.Background()
	_, err := cs.CoreV1().Services(f.ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hdfs-nn"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 8020}}}}, metav1.CreateOptions{})
	must(t, err)
	rep, _, stderr := doctorReport(t, f, "--set", "mr3.amService.externalIPs[0]=192.0.2.50",
		"--set", "hostAliases[0].ip=10.1.90.9", "--set", "hostAliases[0].hostnames[0]=hdfs-nn",
		"--set", "localDirs.type=persistentVolumeClaim")
	// Kubernetes 1.37 admits externalIPs but warns that they are deprecated: the warning is
	// the line's, not client-go's stderr.
	expect(t, rep, doctor.CheckExternalIPs, doctor.Warn, "admits the AM Service", "192.0.2.50", "dry run", "but warns: ", "deprecated")
	if strings.Contains(stderr, "externalIPs") {
		t.Errorf("the API server's warning went to stderr:\n%s", stderr)
	}
	expect(t, rep, doctor.CheckHostAliases, doctor.Warn, "hdfs-nn (-> 10.1.90.9) is also Service hdfs-nn (in namespace "+f.ns+")")
	classes, err := cs.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	must(t, err)
	if len(classes.Items) == 0 {
		expect(t, rep, doctor.CheckStorage, doctor.Fail, "localDirs.storageClassName is empty", "no StorageClass at all")
	}
	svcs, err := cs.CoreV1().Services(f.ns).List(ctx, metav1.ListOptions{})
	must(t, err)
	if len(svcs.Items) != 1 {
		t.Errorf("the dry run left Services behind: %d in the namespace", len(svcs.Items))
	}
}

// TestDoctorNamespaceAdminLacksClusterRights: a ServiceAccount bound to the built-in admin
// ClusterRole in its namespace (a typical tenant) may create everything namespaced, but not
// the chart's node-reader ClusterRole and its bindings, nor grant node reading; doctor, run
// as it by impersonation, names those verbs and resources, says swap cannot be known (it may
// not list nodes), and exits 1. With rbac.create=false it may install.
func TestDoctorNamespaceAdminLacksClusterRights(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	f := &submitFixture{t: t, c: c, cs: cs, rel: "rel", ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "baseline"})}
	ctx := context.Background()
	_, err := cs.CoreV1().ServiceAccounts(f.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tenant"}}, metav1.CreateOptions{})
	must(t, err)
	_, err = cs.RbacV1().RoleBindings(f.ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "tenant-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "tenant", Namespace: f.ns}}}, metav1.CreateOptions{})
	must(t, err)
	user := "system:serviceaccount:" + f.ns + ":tenant"
	waitAllowed(t, cs, user, f.ns)
	as := []string{"--kube-as-user", user, "--kube-as-group", "system:serviceaccounts", "--kube-as-group", "system:authenticated"}

	rep, code, _ := doctorReport(t, f, as...)
	if code != cli.ExitError {
		t.Errorf("exit %d, want 1", code)
	}
	expect(t, rep, doctor.CheckAPIServer, doctor.OK)
	expect(t, rep, doctor.CheckSwap, doctor.Warn, "cannot list nodes", "cannot be known from the API")
	expect(t, rep, doctor.CheckPermissions, doctor.Fail,
		"create, get clusterroles.rbac.authorization.k8s.io cluster-wide (for ClusterRole/"+f.ns+".spark-node-reader)",
		"create, get clusterrolebindings.rbac.authorization.k8s.io cluster-wide (for ClusterRoleBinding/"+f.ns+".spark-node-reader-driver, ClusterRoleBinding/"+f.ns+".spark-node-reader-master)",
		"ask a cluster admin")
	if missing, _, _ := strings.Cut(rep[doctor.CheckPermissions].Message, "; fix:"); strings.Contains(missing, "in namespace "+f.ns) {
		t.Errorf("a namespace admin lacks a namespaced permission:\n%s", rep[doctor.CheckPermissions].Message)
	}
	expect(t, rep, doctor.CheckEscalation, doctor.Fail, "ClusterRole/"+f.ns+".spark-node-reader grants get nodes, list nodes, watch nodes, which you do not hold cluster-wide, and you may not escalate or bind it", "set rbac.create=false")
	// The admin role bound in the namespace may read its own Namespace object (the labels).
	expect(t, rep, doctor.CheckPodSecurity, doctor.OK, "enforces PodSecurity baseline")

	// Without the cluster-scoped RBAC objects the tenant may do everything install does.
	rep, code, _ = doctorReport(t, f, append(as, "--set", "rbac.create=false")...)
	expect(t, rep, doctor.CheckPermissions, doctor.OK)
	expect(t, rep, doctor.CheckEscalation, doctor.OK, "rbac.create=false")
	if code != 0 {
		for _, r := range rep {
			if r.Status == doctor.Fail {
				t.Errorf("rbac.create=false: %s failed: %s", r.Name, r.Message)
			}
		}
	}
}

// waitAllowed waits until RBAC grants user list pods in ns (bindings apply asynchronously).
func waitAllowed(t *testing.T, cs kubernetes.Interface, user, ns string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		return canIUser(ctx, cs, user, ns), nil
	})
	if err != nil {
		t.Fatalf("the RoleBinding did not take effect for %s: %v", user, err)
	}
}

func canIUser(ctx context.Context, cs kubernetes.Interface, user, ns string) bool {
	r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: user, Groups: []string{"system:serviceaccounts", "system:authenticated"},
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: "list", Resource: "pods"}}}, metav1.CreateOptions{})
	return err == nil && r.Status.Allowed
}

// TestDoctorInstalledRelease: doctor RELEASE on a release installed by the plugin checks it
// with its own manifest: deployed, every driver Pod ready (found by labels), the token Secret
// present; once the token Secret is gone the token check fails naming it, and the token is
// never printed; a viewer who cannot read Helm's record still gets every line.
func TestDoctorInstalledRelease(t *testing.T) {
	f := newSubmitFixture(t)
	t.Cleanup(func() { f.runCLI(nil, "teardown", f.rel, "--yes", "--worker-timeout", "5s") })
	out, errOut, code := f.runCLI(nil, "install", f.rel, "--timeout", "120s", "--set", "drivers[0].name=spark1", "--set", "drivers[1].name=spark2")
	if code != 0 {
		t.Fatalf("install: exit %d\n%s\n%s", code, out, errOut)
	}
	rep, code, _ := doctorReport(t, f, f.rel)
	expect(t, rep, doctor.CheckRelease, doctor.OK, "release rel is deployed (revision 1")
	expect(t, rep, doctor.CheckDrivers, doctor.OK, "all 2 driver Pod(s) ready")
	expect(t, rep, doctor.CheckToken, doctor.OK, "present with CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP")
	expect(t, rep, doctor.CheckPermissions, doctor.OK)
	if code != 0 {
		t.Errorf("healthy release: exit %d: %+v", code, rep)
	}

	ctx := context.Background()
	secrets, err := f.cs.CoreV1().Secrets(f.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=rel,app.kubernetes.io/component=token"})
	must(t, err)
	if len(secrets.Items) != 1 {
		t.Fatalf("%d token Secrets", len(secrets.Items))
	}
	tok := string(secrets.Items[0].Data["CLIENT_TO_AM_TOKEN_KEY"])
	must(t, f.cs.CoreV1().Secrets(f.ns).Delete(ctx, secrets.Items[0].Name, metav1.DeleteOptions{}))
	out, errOut, code = f.runCLI(nil, "doctor", f.rel)
	if code != cli.ExitError {
		t.Errorf("token Secret gone: exit %d\n%s", code, out)
	}
	for _, want := range []string{"fail  token", "token Secret " + secrets.Items[0].Name + " that the driver Pods read does not exist", "helm sparkmr3 upgrade rel"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if tok == "" || strings.Contains(out+errOut, tok) {
		t.Errorf("the token is printed (or was empty)")
	}

	// A viewer of the namespace cannot read Helm's record (Secrets): the release line fails
	// saying so, the checks still run (on the chart's defaults), and the missing rights are
	// named.
	_, err = f.cs.CoreV1().ServiceAccounts(f.ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}, metav1.CreateOptions{})
	must(t, err)
	_, err = f.cs.RbacV1().RoleBindings(f.ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "viewer"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "viewer", Namespace: f.ns}}}, metav1.CreateOptions{})
	must(t, err)
	viewer := "system:serviceaccount:" + f.ns + ":viewer"
	waitAllowed(t, f.cs, viewer, f.ns)
	rep, code, _ = doctorReport(t, f, f.rel, "--kube-as-user", viewer, "--kube-as-group", "system:serviceaccounts", "--kube-as-group", "system:authenticated")
	if code != cli.ExitError {
		t.Errorf("viewer: exit %d", code)
	}
	expect(t, rep, doctor.CheckRelease, doctor.Fail, "cannot read release rel in namespace "+f.ns, "forbidden")
	expect(t, rep, doctor.CheckPermissions, doctor.Fail, "create, get, list, update secrets in namespace "+f.ns, "create statefulsets.apps")

	// A release that is not installed: a warning, the prerequisites checked for installing it.
	rep, code, _ = doctorReport(t, f, "other")
	expect(t, rep, doctor.CheckRelease, doctor.Warn, "release other is not installed", "checks above are for installing it")
	if code != 0 {
		t.Errorf("doctor for a release to install: exit %d", code)
	}
}

// TestDoctorExternalIPsRefusedByAdmission: a ValidatingAdmissionPolicy that refuses Services
// with externalIPs in one namespace (as a platform team's policy, or the
// DenyServiceExternalIPs plugin, would) makes the external-ips check fail: the dry run goes
// through admission. A StorageClass named in localDirs.storageClassName is found; one that
// does not exist fails storage.
func TestDoctorExternalIPsRefusedByAdmission(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	f := &submitFixture{t: t, c: c, cs: cs, rel: "rel", ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "baseline"})}
	ctx := context.Background()
	name := f.ns + "-no-external-ips"
	policy := &admissionv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionv1.Fail),
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
					Rule: admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"services"}}}}}},
			Validations: []admissionv1.Validation{{Expression: "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
				Message: "externalIPs are not allowed in this cluster"}},
		}}
	_, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: name, ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
			MatchResources: &admissionv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": f.ns}}}}}
	_, err = cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	// The API server loads policies asynchronously: wait until a dry run is refused.
	probe := &corev1.Service{ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-"},
		Spec: corev1.ServiceSpec{ExternalIPs: []string{"192.0.2.51"}, Ports: []corev1.ServicePort{{Port: 1}}}}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Services(f.ns).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err != nil, nil
	})
	if err != nil {
		t.Fatalf("the policy did not take effect: %v", err)
	}

	sc := f.ns + "-standard"
	_, err = cs.StorageV1().StorageClasses().Create(ctx, &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: sc}, Provisioner: "example.com/none"}, metav1.CreateOptions{})
	must(t, err)
	t.Cleanup(func() { _ = cs.StorageV1().StorageClasses().Delete(context.Background(), sc, metav1.DeleteOptions{}) })

	rep, code, _ := doctorReport(t, f, "--set", "mr3.amService.externalIPs[0]=192.0.2.50",
		"--set", "localDirs.type=persistentVolumeClaim", "--set", "localDirs.storageClassName="+sc)
	if code != cli.ExitError {
		t.Errorf("exit %d, want 1", code)
	}
	expect(t, rep, doctor.CheckExternalIPs, doctor.Fail, "refuses the AM Service", "192.0.2.50", "externalIPs are not allowed in this cluster", "LoadBalancer or NodePort")
	expect(t, rep, doctor.CheckStorage, doctor.OK, "uses StorageClass "+sc)

	rep, _, _ = doctorReport(t, f, "--set", "localDirs.type=persistentVolumeClaim", "--set", "localDirs.storageClassName="+sc+"-gone")
	expect(t, rep, doctor.CheckStorage, doctor.Fail, "asks for StorageClass "+sc+"-gone (localDirs.storageClassName), which does not exist", sc)
	expect(t, rep, doctor.CheckExternalIPs, doctor.OK, "no externalIPs")
}

// TestDoctorAppliesTheOverlay: doctor checks what install would apply, the --kustomize
// overlay included: an overlay that gives the AM Service externalIPs makes the external-ips
// check dry-run them.
func TestDoctorAppliesTheOverlay(t *testing.T) {
	c := cluster.Shared(t)
	f := &submitFixture{t: t, c: c, cs: c.Client(t), rel: "rel", ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "baseline"})}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "kustomization.yaml"), `resources:
- helm-output.yaml
patches:
- target:
    kind: Service
    labelSelector: app.kubernetes.io/component=am-service
  patch: |-
    - op: add
      path: /spec/externalIPs
      value: [192.0.2.77]
`, 0o644)
	rep, _, _ := doctorReport(t, f)
	expect(t, rep, doctor.CheckExternalIPs, doctor.OK, "no externalIPs")
	rep, _, _ = doctorReport(t, f, "--kustomize", dir)
	expect(t, rep, doctor.CheckExternalIPs, doctor.Warn, "admits the AM Service", "[192.0.2.77]")
}

// TestDoctorChecksTheGivenChart: `doctor RELEASE CHART` renders CHART (here a copy of the chart
// whose values.yaml gives the AM Service an external IP), not the chart shipped with the plugin.
func TestDoctorChecksTheGivenChart(t *testing.T) {
	c := cluster.Shared(t)
	f := &submitFixture{t: t, c: c, cs: c.Client(t), rel: "rel", ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "baseline"})}
	dir := filepath.Join(t.TempDir(), "spark-mr3")
	if err := os.CopyFS(dir, os.DirFS(chartPath)); err != nil {
		t.Fatal(err)
	}
	vals := filepath.Join(dir, "values.yaml")
	b, err := os.ReadFile(vals)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(b), "externalIPs: []", "externalIPs: [192.0.2.78]", 1)
	if changed == string(b) {
		t.Fatal("the chart's values.yaml has no 'externalIPs: []' to change")
	}
	write(t, vals, changed, 0o644)
	rep, _, _ := doctorReport(t, f, "rel")
	expect(t, rep, doctor.CheckExternalIPs, doctor.OK, "no externalIPs")
	rep, _, _ = doctorReport(t, f, "rel", dir)
	expect(t, rep, doctor.CheckExternalIPs, doctor.Warn, "admits the AM Service", "[192.0.2.78]")
}
