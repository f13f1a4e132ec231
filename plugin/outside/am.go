package outside

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// FirstAMWarning returns a warning when no DAGAppMaster Deployment of timestamp ts exists in
// ns yet: the outside driver would then create it from this machine's configuration, while
// MR3 recommends that in mixed mode a driver inside Kubernetes starts it. It returns "" when
// the DAGAppMaster exists, and a note when the check itself failed (e.g. no RBAC to read
// Deployments), so a run is never stopped by it.
func FirstAMWarning(ctx context.Context, client kubernetes.Interface, ns, rel, ts string) string {
	names := contract.AMDeploymentNames(ts)
	for _, name := range names {
		_, err := client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
			return ""
		case apierrors.IsNotFound(err):
			continue
		default:
			return fmt.Sprintf("could not check whether the DAGAppMaster of release %q runs (Deployment %s/%s): %v", rel, ns, name, err)
		}
	}
	return fmt.Sprintf("no DAGAppMaster runs for release %q yet (no Deployment %s in namespace %s): this driver outside Kubernetes would create it "+
		"from this machine's configuration; MR3 recommends that a driver inside Kubernetes starts it first in mixed mode: "+
		"run one job with 'helm sparkmr3 submit %s -n %s -- …' (without --local), then start outside drivers",
		rel, names[0], ns, rel, ns)
}
