package e2e

// Security and tenancy on the real control plane: what PodSecurity does to MR3's own Pods
// (plugin/podsecurity, rollout.WatchDAGAppMaster), which Secrets and ConfigMaps the chart's
// roles reach (RBAC, asked of the API server's authorizer), and the work-dir PV's name.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authzv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/cli"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
	"github.com/spark-mr3/spark-mr3/plugin/token"
	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// amLikeDeployment is a Deployment shaped as MR3's client makes the DAGAppMaster's
// (docs/DESIGN.md "What MR3 makes at run time"): name mr3master-spark-<ts>-0, Pod labels
// sparkmr3_app=mr3 and mr3-pod-role=master-role, and no security context anywhere.
func amLikeDeployment(ns, ts string) *appsv1.Deployment {
	labels := map[string]string{"sparkmr3_app": "mr3", "mr3-pod-role": "master-role"}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "mr3master-spark-" + ts + "-0", Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "master", Image: "mr3project/spark3:3.5.2",
					Command: []string{"/opt/mr3-run/spark/run-master.sh"}}}},
			},
		},
	}
}

// TestDAGAppMasterRefusedByPodSecurity: in a namespace enforcing restricted, the DAGAppMaster
// Deployment's ReplicaSet cannot create its Pod; WatchDAGAppMaster, started before the
// Deployment exists (as beside a first submit), reports that refusal within seconds instead of
// MR3's 300 s creation timeout, and podsecurity.Check predicted it from the namespace's label.
func TestDAGAppMasterRefusedByPodSecurity(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "restricted"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	v, err := podsecurity.Check(ctx, cs, ns, podsecurity.Settings{})
	must(t, err)
	if !v.Refused || v.Enforced != podsecurity.Restricted || !v.AMRefused || !strings.Contains(v.Message(), "enforce=baseline") {
		t.Fatalf("verdict %+v\n%s", v, v.Message())
	}

	const ts = "31337"
	done := make(chan error, 1)
	go func() { done <- rollout.WatchDAGAppMaster(ctx, cs, ns, ts) }()
	start := time.Now()
	_, err = cs.AppsV1().Deployments(ns).Create(ctx, amLikeDeployment(ns, ts), metav1.CreateOptions{})
	must(t, err) // PodSecurity does not refuse the Deployment itself, only its Pods
	err = <-done
	var r *rollout.AMRefusedError
	if !errors.As(err, &r) || !r.PodSecurity() {
		t.Fatalf("want a PodSecurity refusal, got %v", err)
	}
	t.Logf("reported after %s: %v", time.Since(start).Round(time.Millisecond), err)
	for _, want := range []string{"mr3master-spark-" + ts + "-0", `violates PodSecurity "restricted`, "kubectl label namespace " + ns} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	// A watch started after the refusal reports it at its first look.
	if err := rollout.WatchDAGAppMaster(ctx, cs, ns, ts); !rollout.IsAMRefused(err) {
		t.Errorf("second watch: %v", err)
	}
	// Another timestamp's watch is not fooled by it.
	short, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	if err := rollout.WatchDAGAppMaster(short, cs, ns, "1"); err != nil {
		t.Errorf("watch of another timestamp: %v", err)
	}
}

// TestDAGAppMasterAdmittedUnderBaseline: the same Deployment in a baseline namespace gets its
// Pod, and the watch reports nothing.
func TestDAGAppMasterAdmittedUnderBaseline(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "baseline"})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if v, err := podsecurity.Check(ctx, cs, ns, podsecurity.Settings{}); err != nil || v.Refused {
		t.Fatalf("baseline: %+v %v", v, err)
	}
	watchCtx, stopWatch := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rollout.WatchDAGAppMaster(watchCtx, cs, ns, "7") }()
	_, err := cs.AppsV1().Deployments(ns).Create(ctx, amLikeDeployment(ns, "7"), metav1.CreateOptions{})
	must(t, err)
	waitPodsReady(t, cs, ns, "sparkmr3_app=mr3", 1)
	stopWatch()
	if err := <-done; err != nil {
		t.Fatalf("watch reported %v for an admitted DAGAppMaster", err)
	}
}

// TestPodSecurityVerdictMatchesAdmission holds podsecurity.Evaluate to the API server's own
// PodSecurity admission: for each level and each setting that matters, MR3's model Pods are
// created with a server-side dry run in a namespace of that level, and Evaluate must say
// "refused" exactly when the API server refuses one of them.
func TestPodSecurityVerdictMatchesAdmission(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ctx := context.Background()
	settings := map[string]podsecurity.Settings{
		"defaults":           {},
		"worker hostpaths":   {WorkerHostPaths: "/data1/k8s,/data2/k8s"},
		"master hostpaths":   {MasterHostPaths: "/var/log/mr3"},
		"additional":         {WorkerAdditionalHostPaths: "/scratch"},
		"sysctls":            {WorkerSysctls: "net.core.somaxconn=16384"},
		"hostpaths, sysctls": {WorkerHostPaths: "/d", WorkerSysctls: "kernel.shm_rmid_forced=1"},
	}
	// (An unknown level cannot be set: the API server refuses the label; Evaluate treats one
	// that predates PodSecurity admission as restricted, as admission does.)
	for _, level := range []string{"privileged", "baseline", "restricted"} {
		ns := c.Namespace(t, map[string]string{podsecurity.LabelEnforce: level})
		for name, s := range settings {
			v := podsecurity.Evaluate(ns, map[string]string{podsecurity.LabelEnforce: level}, s)
			var refused []string
			for _, p := range podsecurity.ModelPods(ns, s) {
				_, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				switch {
				case err == nil:
				case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity"):
					refused = append(refused, p.Name)
				default:
					t.Fatalf("%s/%s: dry-run create %s: %v", level, name, p.Name, err)
				}
			}
			if v.Refused != (len(refused) > 0) {
				t.Errorf("level %s, %s: Evaluate says refused=%v, the API server refused %v", level, name, v.Refused, refused)
			}
			if amRefused := len(refused) > 0 && refused[0] == "mr3master-model"; v.AMRefused != amRefused {
				t.Errorf("level %s, %s: Evaluate says AMRefused=%v, the API server refused %v", level, name, v.AMRefused, refused)
			}
		}
	}
}

// TestRolesReachOnlyNamedSecrets installs the chart and asks the API server's authorizer
// (SubjectAccessReview) what each ServiceAccount may do: read the keytab/worker Secrets and
// MR3's ConfigMaps by name, never the token, env.sh, Helm's release record or another
// application's objects; and what a tenant must know: the driver may create Pods.
func TestRolesReachOnlyNamedSecrets(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, nil)
	h := newHelmCLI(t, c)
	h.mustRun(t, "install", "rel", chartPath, "-n", ns)
	// The ClusterRole and its bindings outlive the namespace: uninstall before it goes.
	t.Cleanup(func() { h.mustRun(t, "uninstall", "rel", "-n", ns) })
	ctx := context.Background()
	type ask struct {
		sa, verb, resource, name string
		allowed                  bool
	}
	var asks []ask
	for _, sa := range []string{"driver", "master", "worker"} {
		asks = append(asks,
			ask{sa, "get", "secrets", "rel-keytab", true},
			ask{sa, "get", "secrets", "rel-worker", true},
			ask{sa, "get", "secrets", "rel-token", false},
			ask{sa, "get", "secrets", "rel-env", false},
			ask{sa, "get", "secrets", "sh.helm.release.v1.rel.v1", false},
			ask{sa, "get", "secrets", "other-app-credentials", false},
			ask{sa, "list", "secrets", "", false},
			ask{sa, "get", "configmaps", "rel-conf", true},
			ask{sa, "get", "configmaps", "client-am-config", false},
			ask{sa, "list", "configmaps", "", false},
		)
	}
	asks = append(asks,
		ask{"driver", "create", "configmaps", "", true},
		ask{"driver", "update", "configmaps", "mr3conf-configmap-master", true},
		ask{"driver", "delete", "configmaps", "mr3conf-configmap-worker", true}, // LocalProcess: the AM in the driver
		ask{"driver", "delete", "configmaps", "rel-conf", false},
		ask{"master", "update", "configmaps", "mr3conf-configmap-worker", true},
		ask{"master", "update", "configmaps", "mr3conf-configmap-master", false},
		ask{"worker", "get", "configmaps", "mr3conf-configmap-worker", true},
		ask{"worker", "create", "configmaps", "", false},
		ask{"worker", "create", "pods", "", false},
		// What one namespace per tenant is for: a driver (which runs user code) may create
		// Pods, and a Pod may mount any Secret of its namespace.
		ask{"driver", "create", "pods", "", true},
		ask{"master", "create", "pods", "", true},
	)
	for _, a := range asks {
		got := canI(t, ctx, cs, ns, "rel-"+a.sa, a.verb, a.resource, a.name)
		if got != a.allowed {
			t.Errorf("ServiceAccount rel-%s %s %s %q: allowed=%v, want %v", a.sa, a.verb, a.resource, a.name, got, a.allowed)
		}
	}
}

// canI asks the authorizer whether ServiceAccount sa of ns may do verb on resource/name.
func canI(t *testing.T, ctx context.Context, cs kubernetes.Interface, ns, sa, verb, resource, name string) bool {
	t.Helper()
	r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User:               fmt.Sprintf("system:serviceaccount:%s:%s", ns, sa),
		Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
		ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: verb, Resource: resource, Name: name},
	}}, metav1.CreateOptions{})
	must(t, err)
	return r.Status.Allowed
}

// TestLegacyWorkDirPVNameKept: a release whose claim is bound to a PV of the older NS-F-workdir
// name keeps that name (a claim's volumeName cannot change); any other release gets NS.F-workdir.
// Rendered by helm's server-side dry run, which runs the chart's lookup against the cluster.
func TestLegacyWorkDirPVNameKept(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, nil)
	h := newHelmCLI(t, c)
	args := []string{"install", "rel", chartPath, "-n", ns, "--dry-run=server",
		"--set", "workDir.enabled=true", "--set", "workDir.persistentVolume.create=true",
		"--set", "workDir.persistentVolume.source.nfs.server=10.0.0.1", "--set", "workDir.persistentVolume.source.nfs.path=/x"}
	pvNames := func(out string) (pv, volumeName string) {
		for _, doc := range strings.Split(out, "\n---\n") {
			if strings.Contains(doc, "kind: PersistentVolume\n") {
				pv = fieldAfter(doc, "\n  name: ")
			}
			if strings.Contains(doc, "kind: PersistentVolumeClaim\n") {
				volumeName = fieldAfter(doc, "volumeName: ")
			}
		}
		return pv, volumeName
	}
	if pv, vn := pvNames(h.mustRun(t, args...)); pv != ns+".rel-workdir" || vn != pv {
		t.Fatalf("new release: PV %q, claim volumeName %q, want %s.rel-workdir", pv, vn, ns)
	}
	legacy := ns + "-rel-workdir"
	_, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(context.Background(), &corev1.PersistentVolumeClaim{
		// The claim as the release installed it before the NS.F names: owned by Helm.
		ObjectMeta: metav1.ObjectMeta{Name: "rel-workdir", Namespace: ns,
			Labels:      map[string]string{"app.kubernetes.io/managed-by": "Helm"},
			Annotations: map[string]string{"meta.helm.sh/release-name": "rel", "meta.helm.sh/release-namespace": ns}},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: ptr.To(""), VolumeName: legacy,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
	}, metav1.CreateOptions{})
	must(t, err)
	if pv, vn := pvNames(h.mustRun(t, args...)); pv != legacy || vn != legacy {
		t.Fatalf("claim bound to %s: PV %q, claim volumeName %q, want the legacy name kept", legacy, pv, vn)
	}
}

func fieldAfter(doc, marker string) string {
	i := strings.Index(doc, marker)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(marker):]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}

// TestPodSecurityRestrictedNamespaceWarnsAndSubmitStops: in a namespace enforcing restricted,
// `helm sparkmr3 install` succeeds (the chart's driver Pods carry a restricted security
// context) and warns that MR3's own Pods will be refused, as `check REL` does; a submit whose
// job is running when the DAGAppMaster Deployment of the release's timestamp reports its Pod
// refused ends within seconds with exit 4 and the fix, instead of running until the job ends
// (the driver command here would run 90 s; MR3's client would wait out its creation timeout).
func TestPodSecurityRestrictedNamespaceWarnsAndSubmitStops(t *testing.T) {
	c := cluster.Shared(t)
	f := &submitFixture{t: t, c: c, cs: c.Client(t), rel: "rel", dir: t.TempDir(),
		ns: c.Namespace(t, map[string]string{podsecurity.LabelEnforce: "restricted"})}
	started := filepath.Join(f.dir, "started")
	f.script = filepath.Join(f.dir, "run-spark-submit.sh")
	// kwok runs the driver command on this machine: it says it started, then stands for a job
	// that runs long after the DAGAppMaster was refused.
	write(t, f.script, fmt.Sprintf("#!/bin/bash\n: > %q\nexec sleep 90\n", started), 0o755)
	t.Cleanup(func() { f.runCLI(nil, "teardown", f.rel, "--yes", "--worker-timeout", "5s") })

	out, errOut, code := f.runCLI(nil, "install", f.rel, "--timeout", "120s",
		"--set", "drivers[0].name=spark1", "--set", "drivers[0].command.submit="+f.script)
	if code != 0 {
		t.Fatalf("install into a restricted namespace: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	warning := warningLine(errOut)
	for _, want := range []string{
		fmt.Sprintf(`namespace %q enforces PodSecurity "restricted"`, f.ns), "MR3's own Pods",
		"kubectl label namespace " + f.ns + " " + podsecurity.LabelEnforce + "=baseline",
		"the chart's driver Pods and test Pod carry a restricted security context",
	} {
		if !strings.Contains(warning, want) {
			t.Errorf("install's WARNING lacks %q:\n%s", want, errOut)
		}
	}
	out, errOut, code = f.runCLI(nil, "check", f.rel)
	if code != 0 {
		t.Fatalf("check %s: exit %d\nstdout:\n%s\nstderr:\n%s", f.rel, code, out, errOut)
	}
	if got := warningLine(errOut); got != warning {
		t.Errorf("check's warning differs from install's:\ncheck:   %s\ninstall: %s", got, warning)
	}

	tok, found, err := token.FindForRelease(context.Background(), f.cs, f.ns, f.rel)
	if err != nil || !found {
		t.Fatalf("the release's token: found=%v err=%v", found, err)
	}
	ts := strconv.FormatInt(tok.Timestamp, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	var subOut, subErr lockedBuffer
	done := make(chan int, 1)
	go func() { done <- f.runCLIContext(ctx, nil, &subOut, &subErr, "submit", f.rel, "--", "app.jar") }()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(started); err == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("submit ended (exit %d) before its driver command started:\n%s", code, subErr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the driver command did not start within 60 s:\n%s", subErr.String())
		}
	}
	// MR3's client creates the DAGAppMaster's Deployment; PodSecurity refuses its Pod.
	_, err = f.cs.AppsV1().Deployments(f.ns).Create(ctx, amLikeDeployment(f.ns, ts), metav1.CreateOptions{})
	must(t, err)
	refusedAt := time.Now()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("submit still runs 30 s after the DAGAppMaster's Pod was refused:\n%s", subErr.String())
	}
	t.Logf("submit ended %s after the Deployment was created", time.Since(refusedAt).Round(time.Millisecond))
	if code != cli.ExitNotReady {
		t.Fatalf("submit: exit %d, want %d\nstderr:\n%s", code, cli.ExitNotReady, subErr.String())
	}
	for _, want := range []string{
		"stopped the driver command in pod " + f.ns + "/" + driverPodName(f.rel, "spark1"), "the DAGAppMaster cannot start",
		"Deployment " + f.ns + "/mr3master-spark-" + ts + "-0", `violates PodSecurity "restricted`,
		"kubectl label namespace " + f.ns + " " + podsecurity.LabelEnforce + "=baseline --overwrite", "submit again",
	} {
		if !strings.Contains(subErr.String(), want) {
			t.Errorf("submit's error lacks %q:\n%s", want, subErr.String())
		}
	}
}

// warningLine is the PodSecurity WARNING line of a command's stderr ("" when none).
func warningLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "WARNING: ") && strings.Contains(l, "PodSecurity") {
			return l
		}
	}
	return ""
}
