package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	"k8s.io/client-go/util/exec"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

func restrictedSC() (*corev1.PodSecurityContext, *corev1.SecurityContext) {
	return &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](1000),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		&corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false),
			Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
}

// waitPodsReady watches until n pods matching selector are Running and Ready.
func waitPodsReady(t *testing.T, cs kubernetes.Interface, ns, selector string, n int) []corev1.Pod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ready := map[string]corev1.Pod{}
	for ev := range w.ResultChan() {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok {
			continue
		}
		delete(ready, p.Name)
		if p.Status.Phase == corev1.PodRunning && podReady(p) && p.DeletionTimestamp == nil {
			ready[p.Name] = *p
		}
		if len(ready) >= n {
			out := make([]corev1.Pod, 0, n)
			for _, p := range ready {
				out = append(out, p)
			}
			return out
		}
	}
	t.Fatalf("pods %q in %s: only %d of %d Ready before the timeout", selector, ns, len(ready), n)
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestClusterSchedulesDeploymentPods(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, nil)
	psc, sc := restrictedSC()
	labels := map[string]string{"app": "web"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{SecurityContext: psc, Containers: []corev1.Container{{
					Name: "web", Image: "example.invalid/web:1", SecurityContext: sc}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(context.Background(), dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := waitPodsReady(t, cs, ns, "app=web", 2)
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.Status.PodIP == "" {
			t.Errorf("pod %s: node %q ip %q: want scheduled with an IP", p.Name, p.Spec.NodeName, p.Status.PodIP)
		}
	}
}

func TestClusterBindsHostPathVolume(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, nil)
	ctx := context.Background()
	pvName := ns + "-pv"
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "",
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: t.TempDir()}},
		},
	}
	if _, err := cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().PersistentVolumes().Delete(context.Background(), pvName, metav1.DeleteOptions{})
	})
	pvc := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "claim"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: ptr.To(""),
			VolumeName:       pvName,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	if _, err := cs.CoreV1().PersistentVolumeClaims(ns).Create(ctx, pvc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w, err := cs.CoreV1().PersistentVolumeClaims(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=claim"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			if p, ok := ev.Object.(*corev1.PersistentVolumeClaim); ok && p.Status.Phase == corev1.ClaimBound {
				return
			}
		case <-timeout:
			t.Fatal("PVC claim did not bind to the hostPath PV within 60s (is kube-controller-manager running?)")
		}
	}
}

func TestClusterRBACDeniesUngrantedVerbs(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, nil)
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "reader"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}}}}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "pod-reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "pod-reader"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "reader", Namespace: ns}}}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(c.RESTConfig(t))
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + ns + ":reader"}
	as := kubernetes.NewForConfigOrDie(cfg)
	// RBAC caches are eventually consistent: allow a moment for the binding to apply.
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := as.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the Role grants list pods, but the ServiceAccount could not list them: %v", err)
	}
	if _, err := as.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("list secrets as a ServiceAccount without that grant: got %v, want Forbidden", err)
	}
	if err := as.CoreV1().Pods(ns).Delete(ctx, "any", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("delete pods without that verb: got %v, want Forbidden", err)
	}
}

func TestClusterPodSecurityRestrictedRejectsPrivileged(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	ctx := context.Background()
	priv := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "priv"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{
		Name: "c", Image: "example.invalid/x:1", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}}
	_, err := cs.CoreV1().Pods(ns).Create(ctx, priv, metav1.CreateOptions{})
	if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
		t.Fatalf("privileged pod in a restricted namespace: got %v, want a PodSecurity violation", err)
	}
	psc, sc := restrictedSC()
	ok := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "ok"}, Spec: corev1.PodSpec{SecurityContext: psc,
		Containers: []corev1.Container{{Name: "c", Image: "example.invalid/x:1", SecurityContext: sc}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, ok, metav1.CreateOptions{}); err != nil {
		t.Fatalf("a restricted-compliant pod was refused: %v", err)
	}
}

func execIn(t *testing.T, cfg *rest.Config, cs kubernetes.Interface, ns, pod string, cmd []string, stdin []byte) (string, error) {
	t.Helper()
	req := cs.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: "c", Command: cmd, Stdin: stdin != nil, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	ws, err := remotecommand.NewWebSocketExecutor(cfg, http.MethodGet, req.URL().String())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	opts := remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut}
	if stdin != nil {
		opts.Stdin = bytes.NewReader(stdin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = ws.StreamWithContext(ctx, opts)
	return out.String() + errOut.String(), err
}

// TestClusterExecRunsCommandWithStdinAndExitCode tests kwok's exec itself (arguments, stdin to
// EOF, exit codes: test/cluster/tools/kwok-exec.patch), so its command is a minimal script, not
// the model of MR3's driver scripts.
func TestClusterExecRunsCommandWithStdinAndExitCode(t *testing.T) {
	c := cluster.Shared(t)
	cs := c.Client(t)
	ns := c.Namespace(t, nil)
	psc, sc := restrictedSC()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "box", Labels: map[string]string{"app": "box"}}, Spec: corev1.PodSpec{SecurityContext: psc,
		Containers: []corev1.Container{{Name: "c", Image: "example.invalid/x:1", SecurityContext: sc}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPodsReady(t, cs, ns, "app=box", 1)
	cfg := c.RESTConfig(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "echo.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"args:$#:$1|$2\"\ncat\nexit ${3:-0}\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := execIn(t, cfg, cs, ns, "box", []string{script, "a b", "it's"}, []byte("from stdin\n"))
	if err != nil {
		t.Fatalf("exec: %v (output %q)", err, out)
	}
	if want := "args:2:a b|it's\nfrom stdin\n"; out != want {
		t.Fatalf("exec output %q, want %q (arguments and stdin must round-trip, stdin EOF must arrive)", out, want)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	out, err = execIn(t, cfg, cs, ns, "box", []string{"/bin/sh", "-c", "cat | sha256sum"}, big)
	if err != nil {
		t.Fatalf("exec with 1 MiB stdin: %v", err)
	}
	sum := sha256.Sum256(big)
	if want := hex.EncodeToString(sum[:]); !strings.HasPrefix(out, want) {
		t.Fatalf("1 MiB stdin round-trip: remote sha256 %q, want %s", out, want)
	}
	_, err = execIn(t, cfg, cs, ns, "box", []string{script, "x", "y", "7"}, nil)
	var codeErr exec.ExitError
	if !errors.As(err, &codeErr) || codeErr.ExitStatus() != 7 {
		t.Fatalf("exec of a command exiting 7: got %v, want exit code 7 (patched kwok)", err)
	}
}
