package doctor

import (
	"context"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"

	"github.com/spark-mr3/spark-mr3/plugin/check"
)

// ExternalIPs checks, when the AM Service has externalIPs (mr3.amService.externalIPs, for
// drivers outside Kubernetes), that the API server admits them: the DenyServiceExternalIPs
// admission plugin, or a policy webhook, refuses such a Service. It creates the Service with
// a server-side dry run (dryRun=All), which runs validation and admission and stores nothing.
func ExternalIPs(ctx context.Context, client kubernetes.Interface, ns string, nsExists bool, rel *check.Release) Result {
	am := rel.AMService
	if am == nil || len(am.Spec.ExternalIPs) == 0 {
		return result(CheckExternalIPs, OK, "the AM Service has no externalIPs (mr3.amService.externalIPs is empty): nothing to admit")
	}
	ips := strings.Join(am.Spec.ExternalIPs, ", ")
	if !nsExists {
		return result(CheckExternalIPs, Warn, "the AM Service %s has externalIPs [%s] (mr3.amService.externalIPs); whether the API server admits them (DenyServiceExternalIPs) can be tested only once namespace %s exists: run doctor again after creating it",
			am.Name, ips, ns)
	}
	svc := am.Service.DeepCopy()
	// A generated name never meets the release's own Service (an upgrade's doctor).
	svc.GenerateName, svc.Name = am.Name+"-doctor-", ""
	svc.Namespace, svc.ResourceVersion = ns, ""
	warned, err := dryRunCreate(ctx, client, ns, svc)
	switch {
	case err == nil && len(warned) > 0:
		return result(CheckExternalIPs, Warn, "the API server admits the AM Service %s with externalIPs [%s] (server-side dry run), but warns: %s; "+
			"fix: plan for drivers outside Kubernetes to reach the DAGAppMaster another way (mr3.amService.type=LoadBalancer or NodePort)",
			am.Name, ips, strings.Join(warned, "; "))
	case err == nil:
		return result(CheckExternalIPs, OK, "the API server admits the AM Service %s with externalIPs [%s] (server-side dry run)", am.Name, ips)
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "cannot create resource"):
		return result(CheckExternalIPs, Warn, "cannot test whether the API server admits the AM Service's externalIPs [%s]: you may not create Services in namespace %s (%v)", ips, ns, err)
	case apierrors.IsForbidden(err), apierrors.IsInvalid(err):
		// Admission refuses with Forbidden (DenyServiceExternalIPs, webhooks) or, for a
		// ValidatingAdmissionPolicy, Invalid; validation with Invalid.
		return result(CheckExternalIPs, Fail, "the API server refuses the AM Service %s with externalIPs [%s] (mr3.amService.externalIPs): %v; "+
			"fix: if an address is wrong, correct mr3.amService.externalIPs; if a policy refuses externalIPs (the DenyServiceExternalIPs admission plugin, a ValidatingAdmissionPolicy or a webhook), "+
			"ask a cluster admin to allow them, or reach the DAGAppMaster another way: mr3.amService.type=LoadBalancer or NodePort with mr3.amService.externalIPs empty",
			am.Name, ips, err)
	}
	return result(CheckExternalIPs, Warn, "cannot test the AM Service %s with externalIPs [%s] (server-side dry run: %v)", am.Name, ips, err)
}

// dryRunCreate creates svc with dryRun=All and returns the API server's warnings about it
// (e.g. that externalIPs are deprecated), which client-go would otherwise print to stderr.
// client-go's in-memory fake (a nil REST client) gets a plain typed create.
func dryRunCreate(ctx context.Context, client kubernetes.Interface, ns string, svc *corev1.Service) ([]string, error) {
	opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	rc, ok := client.CoreV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil {
		_, err := client.CoreV1().Services(ns).Create(ctx, svc, opts)
		return nil, err
	}
	w := &warningList{}
	err := rc.Post().Namespace(ns).Resource("services").VersionedParams(&opts, scheme.ParameterCodec).
		Body(svc).WarningHandler(w).Do(ctx).Into(&corev1.Service{})
	return w.list, err
}

// warningList keeps the API server's warnings (HTTP Warning headers with code 299).
type warningList struct {
	mu   sync.Mutex
	list []string
}

func (w *warningList) HandleWarningHeader(code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}
