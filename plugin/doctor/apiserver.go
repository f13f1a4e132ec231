package doctor

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"

	"helm.sh/helm/v3/pkg/chartutil"
)

// APIServer asks the API server its version: the first thing every verb needs. It fails
// naming the server and the kubeconfig context when the client cannot be built, the server
// cannot be reached or rejects the credentials, or its version is outside the chart's
// kubeVersion.
func APIServer(ctx context.Context, client kubernetes.Interface, clientErr error, target APITarget, constraint string) Result {
	where := fmt.Sprintf("API server %s (kube context %q of kubeconfig %s)", orNone(target.Server, "(none in the kubeconfig)"),
		target.Context, orNone(target.Kubeconfig, "~/.kube/config"))
	if client == nil {
		return result(CheckAPIServer, Fail, "no Kubernetes client for kubeconfig %s: %v; fix: point --kubeconfig (or KUBECONFIG) and --kube-context at your cluster", orNone(target.Kubeconfig, "~/.kube/config"), clientErr)
	}
	v, err := discovery.ToDiscoveryInterfaceWithContext(client.Discovery()).ServerVersionWithContext(ctx)
	switch {
	case apierrors.IsUnauthorized(err):
		return result(CheckAPIServer, Fail, "the %s rejected the credentials (expired or revoked token, unknown client certificate): %v; fix: log in again or refresh the kubeconfig", where, err)
	case err != nil:
		return result(CheckAPIServer, Fail, "cannot reach the %s: %v; fix: check that --kubeconfig (or KUBECONFIG) and --kube-context name a running cluster", where, err)
	}
	if constraint != "" && !chartutil.IsCompatibleRange(constraint, v.GitVersion) {
		return result(CheckAPIServer, Fail, "the %s runs Kubernetes %s, but the chart requires %s; fix: use a cluster of a supported version", where, v.GitVersion, constraint)
	}
	return result(CheckAPIServer, OK, "Kubernetes %s at %s", v.GitVersion, where)
}

// APITarget names where the client points, for messages.
type APITarget struct {
	// Server is the API server's URL; Context the kubeconfig context (--kube-context, else
	// the kubeconfig's current one); Kubeconfig the file (--kubeconfig or KUBECONFIG).
	Server, Context, Kubeconfig string
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// Namespace says whether the namespace exists. A missing one fails unless install will
// create it (--create-namespace); a namespace the user may not read is assumed to exist (a
// namespace admin often cannot get Namespace objects) and said so.
func Namespace(ctx context.Context, client kubernetes.Interface, ns string, create bool) (exists bool, r Result) {
	got, err := client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err) && create:
		return false, result(CheckNamespace, OK, "namespace %s does not exist yet; install --create-namespace creates it", ns)
	case apierrors.IsNotFound(err):
		return false, result(CheckNamespace, Fail, "namespace %s does not exist; fix: pass --create-namespace to install (and to doctor), or create it, or choose another with -n", ns)
	case err != nil:
		return true, result(CheckNamespace, Warn, "cannot read namespace %s (%v); the checks below assume it exists", ns, err)
	case got.Status.Phase == corev1.NamespaceTerminating:
		return true, result(CheckNamespace, Fail, "namespace %s is being deleted (Terminating): nothing can be created in it; fix: wait until it is gone, or choose another with -n", ns)
	}
	return true, result(CheckNamespace, OK, "namespace %s exists", ns)
}
