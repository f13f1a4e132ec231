package rollout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// KindDeployment is how users see the DAGAppMaster's Deployment.
const KindDeployment = "deployment"

// AMRefusedError says that the DAGAppMaster's ReplicaSet cannot create the DAGAppMaster's Pod:
// the API server refused it (PodSecurity, a ResourceQuota, a LimitRange, an admission webhook).
// MR3's client would wait for that Pod until mr3.k8s.pod.creation.timeout.ms.
type AMRefusedError struct {
	Namespace  string
	Deployment string
	// Reason and Message are those of the Deployment's ReplicaFailure condition (the
	// ReplicaSet's FailedCreate, copied by the Deployment controller).
	Reason  string
	Message string
}

func (e *AMRefusedError) Error() string {
	return fmt.Sprintf("the DAGAppMaster cannot start: the API server refuses the Pod of Deployment %s/%s (%s: %s); %s",
		e.Namespace, e.Deployment, e.Reason, e.Message, e.fix())
}

// PodSecurity reports whether the refusal is PodSecurity admission's.
func (e *AMRefusedError) PodSecurity() bool {
	return strings.Contains(e.Message, "violates PodSecurity")
}

func (e *AMRefusedError) fix() string {
	switch {
	case e.PodSecurity():
		return fmt.Sprintf("MR3 creates the DAGAppMaster and ContainerWorker Pods without a security context, which PodSecurity restricted refuses; "+
			"fix: label the namespace for MR3's Pods (kubectl label namespace %s pod-security.kubernetes.io/enforce=baseline --overwrite, "+
			"or privileged with hostPath local dirs or worker sysctls; `helm sparkmr3 check` names the level) or use a namespace of its own with that label, "+
			"then delete Deployment %s and submit again", e.Namespace, e.Deployment)
	case strings.Contains(e.Message, "exceeded quota"):
		return fmt.Sprintf("fix: raise the ResourceQuota of namespace %s or lower the DAGAppMaster's size (mr3.amMemoryMb, mr3.amCpuCores), then delete Deployment %s and submit again",
			e.Namespace, e.Deployment)
	}
	return fmt.Sprintf("fix the cause above (kubectl -n %s describe deployment %s), then delete Deployment %s and submit again", e.Namespace, e.Deployment, e.Deployment)
}

// amRefusal returns the refusal a Deployment reports, nil when it reports none.
func amRefusal(d *appsv1.Deployment) *AMRefusedError {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			return &AMRefusedError{Namespace: d.Namespace, Deployment: d.Name, Reason: nonEmpty(c.Reason, "FailedCreate"), Message: strings.TrimSpace(c.Message)}
		}
	}
	return nil
}

// WatchDAGAppMaster watches the DAGAppMaster Deployment of timestamp ts in namespace (MR3's
// names mr3master-spark-<ts>-0 and mr3master-<ts>-0, docs/DESIGN.md) for as long as ctx lasts,
// and returns an *AMRefusedError as soon as the Deployment reports that its ReplicaSet cannot
// create the DAGAppMaster's Pod (condition ReplicaFailure, reason FailedCreate: e.g. "violates
// PodSecurity"), whether that was so at the first look or happens later. It returns nil when ctx
// ends first, and another error when it cannot list or watch Deployments (e.g. no RBAC to): the
// job can then go on unwatched.
//
// Run it beside a job that may create the DAGAppMaster (submit): one LIST of the namespace's
// Deployments, then one WATCH from that list (resumed if the server ends it, listed again when it
// expires), not a poll.
func WatchDAGAppMaster(ctx context.Context, client kubernetes.Interface, namespace, ts string) error {
	names := contract.AMDeploymentNames(ts)
	deps := client.AppsV1().Deployments(namespace)
	k := typedKind(KindDeployment, "", deps.List, func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items }, deps.Watch)
	objs, rv, err := k.list(ctx, metav1.ListOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("list Deployments of namespace %s to watch the DAGAppMaster %s: %w", namespace, names[0], err)
	}
	ours := func(obj runtime.Object) *appsv1.Deployment {
		if d, ok := obj.(*appsv1.Deployment); ok && slices.Contains(names, d.Name) {
			return d
		}
		return nil
	}
	for _, o := range objs {
		if d := ours(o); d != nil {
			if r := amRefusal(d); r != nil {
				return r
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	updates := make(chan update)
	go follow(ctx, k, rv, nil, updates)
	for {
		select {
		case <-ctx.Done():
			return nil
		case u := <-updates:
			if u.err != nil {
				return fmt.Errorf("watch Deployments of namespace %s for the DAGAppMaster %s: %w", namespace, names[0], u.err)
			}
			seen := u.objects
			if !u.relist && u.typ != watch.Deleted {
				seen = []runtime.Object{u.obj}
			}
			for _, o := range seen {
				if d := ours(o); d != nil {
					if r := amRefusal(d); r != nil {
						return r
					}
				}
			}
		}
	}
}

// IsAMRefused reports whether err is (or wraps) an *AMRefusedError.
func IsAMRefused(err error) bool {
	var r *AMRefusedError
	return errors.As(err, &r)
}
