package rollout

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// podSecurityRefusal is the ReplicaFailure message a ReplicaSet copies from the API server
// when PodSecurity restricted refuses the DAGAppMaster's Pod.
const podSecurityRefusal = `pods "mr3master-spark-4242-0-6d9f7c-x2x4q" is forbidden: violates PodSecurity "restricted:latest": ` +
	`allowPrivilegeEscalation != false (container "master" must set securityContext.allowPrivilegeEscalation=false)`

func amDeployment(name, rv string, failure string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: rv}}
	if failure != "" {
		d.Status.Conditions = []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetCreated"},
			{Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Reason: "FailedCreate", Message: failure},
		}
	}
	return d
}

// watchAM runs WatchDAGAppMaster for timestamp 4242 in the background.
func watchAM(client *fake.Clientset, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- WatchDAGAppMaster(ctx, client, ns, "4242") }()
	return done
}

func TestWatchDAGAppMasterRefusedAtFirstLook(t *testing.T) {
	client := fake.NewClientset(amDeployment("mr3master-spark-4242-0", "1", podSecurityRefusal))
	err := WatchDAGAppMaster(context.Background(), client, ns, "4242")
	var r *AMRefusedError
	if !errors.As(err, &r) || !r.PodSecurity() || !IsAMRefused(err) {
		t.Fatalf("want a PodSecurity AMRefusedError, got %v", err)
	}
	for _, want := range []string{"Deployment spark/mr3master-spark-4242-0", "FailedCreate", `violates PodSecurity "restricted:latest"`,
		"without a security context", "kubectl label namespace spark pod-security.kubernetes.io/enforce=baseline --overwrite", "submit again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if got := countVerbs(client.Actions()); got["list"] != 1 || got["watch"] != 0 {
		t.Errorf("requests %v, want one list and no watch", got)
	}
}

func TestWatchDAGAppMasterRefusedLater(t *testing.T) {
	client := fake.NewClientset()
	done := watchAM(client, context.Background())
	waitForWatch(t, client, "deployments")
	ctx := context.Background()
	// MR3's client creates the Deployment; the ReplicaSet's refusal shows up on a later update.
	d := amDeployment("mr3master-4242-0", "2", "")
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("returned before any refusal: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := client.AppsV1().Deployments(ns).UpdateStatus(ctx, amDeployment("mr3master-4242-0", "3", podSecurityRefusal), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !IsAMRefused(err) || !strings.Contains(err.Error(), "mr3master-4242-0") {
			t.Fatalf("want the refusal of mr3master-4242-0, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the refusal was not reported")
	}
}

func TestWatchDAGAppMasterIgnoresOtherDeployments(t *testing.T) {
	client := fake.NewClientset(
		amDeployment("mr3master-spark-1111-0", "1", podSecurityRefusal), // another timestamp: another application
		amDeployment("web", "1", "exceeded quota"),
		amDeployment("mr3master-spark-4242-0", "1", ""), // ours, healthy
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := watchAM(client, ctx)
	waitForWatch(t, client, "deployments")
	if _, err := client.AppsV1().Deployments(ns).UpdateStatus(context.Background(), amDeployment("mr3master-spark-1111-0", "2", podSecurityRefusal+" again"), metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := client.AppsV1().Deployments(ns).Delete(context.Background(), "mr3master-spark-4242-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Fatalf("returned for another Deployment: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ctx ended: want nil, got %v", err)
	}
}

func TestWatchDAGAppMasterQuotaAndOtherCauses(t *testing.T) {
	cases := []struct{ msg, want string }{
		{`pods "x" is forbidden: exceeded quota: q, requested: memory=4Gi, used: memory=0, limited: memory=1Gi`, "mr3.amMemoryMb"},
		{`admission webhook "deny.example.com" denied the request`, "kubectl -n spark describe deployment mr3master-spark-4242-0"},
	}
	for _, tc := range cases {
		client := fake.NewClientset(amDeployment("mr3master-spark-4242-0", "1", tc.msg))
		err := WatchDAGAppMaster(context.Background(), client, ns, "4242")
		var r *AMRefusedError
		if !errors.As(err, &r) || r.PodSecurity() || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want a refusal naming %q", tc.msg, err, tc.want)
		}
	}
}

func TestWatchDAGAppMasterCannotList(t *testing.T) {
	client := fake.NewClientset()
	client.PrependReactor("list", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", nil)
	})
	err := WatchDAGAppMaster(context.Background(), client, ns, "4242")
	if err == nil || IsAMRefused(err) || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "mr3master-spark-4242-0") {
		t.Fatalf("want a Forbidden error naming the Deployment, got %v", err)
	}
}

func TestWatchDAGAppMasterRelistsWhenWatchExpires(t *testing.T) {
	client := fake.NewClientset()
	expired := watch.NewFake()
	first := true
	client.PrependWatchReactor("deployments", func(k8stesting.Action) (bool, watch.Interface, error) {
		if first {
			first = false
			return true, expired, nil
		}
		return false, nil, nil
	})
	done := watchAM(client, context.Background())
	waitForWatch(t, client, "deployments")
	// Created while the watch is dead: only the new LIST can see it.
	if _, err := client.AppsV1().Deployments(ns).Create(context.Background(), amDeployment("mr3master-spark-4242-0", "5", podSecurityRefusal), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gone := apierrors.NewResourceExpired("too old resource version").ErrStatus
	gone.Code = 410
	expired.Error(&gone)
	select {
	case err := <-done:
		if !IsAMRefused(err) {
			t.Fatalf("want the refusal after the relist, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no relist after the watch expired")
	}
}
