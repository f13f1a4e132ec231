// Package outside gathers what a Spark driver running outside Kubernetes needs from a
// release: the shared token and timestamp, and the address of the DAGAppMaster Service.
package outside

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// Env is the environment of an outside driver.
type Env struct {
	Namespace string
	Release   string
	Token     token.Token
	// AMHost/AMPort is where an outside driver reaches the DAGAppMaster (externalIP, load
	// balancer, node port or, for in-cluster use, the ClusterIP). Empty when the release
	// has no AM Service.
	AMHost string
	AMPort int32
	// AMExposure says how AMHost was found: externalIP, loadBalancer, nodePort or clusterIP.
	AMExposure string
}

// Var is one exported variable.
type Var struct{ Name, Value string }

// Vars lists the variables in the order they are printed.
func (e Env) Vars() []Var {
	vs := []Var{
		{token.KeyToken, e.Token.Key},
		{token.KeyTimestamp, strconv.FormatInt(e.Token.Timestamp, 10)},
		{"SPARK_MR3_NAMESPACE", e.Namespace},
	}
	if e.AMHost != "" {
		vs = append(vs, Var{"SPARKMR3_AM_SERVICE_HOST", e.AMHost}, Var{"SPARKMR3_AM_SERVICE_PORT", strconv.Itoa(int(e.AMPort))})
	}
	return vs
}

// Lookup reads the token Secret and the AM Service of a release (two LISTs).
func Lookup(ctx context.Context, client kubernetes.Interface, ns, rel string) (*Env, error) {
	tok, found, err := token.FindForRelease(ctx, client, ns, rel)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("release %q has no token Secret in namespace %q: check the release name and -n NAMESPACE ('helm list -n %s'), or install it with 'helm sparkmr3 install %s'", rel, ns, ns, rel)
	}
	env := &Env{Namespace: ns, Release: rel, Token: tok}
	svcs, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + rel + ",app.kubernetes.io/component=am-service",
	})
	if err != nil {
		return nil, fmt.Errorf("find the AM Service of release %q in namespace %q: %w", rel, ns, err)
	}
	if len(svcs.Items) > 0 {
		env.AMHost, env.AMPort, env.AMExposure = AMAddress(&svcs.Items[0])
	}
	return env, nil
}

// AMAddress is the address of the AM Service as a client outside the cluster should use it.
func AMAddress(svc *corev1.Service) (host string, port int32, exposure string) {
	if len(svc.Spec.Ports) > 0 {
		port = svc.Spec.Ports[0].Port
	}
	switch {
	case len(svc.Spec.ExternalIPs) > 0:
		return svc.Spec.ExternalIPs[0], port, "externalIP"
	case svc.Spec.Type == corev1.ServiceTypeLoadBalancer && len(svc.Status.LoadBalancer.Ingress) > 0:
		ing := svc.Status.LoadBalancer.Ingress[0]
		if ing.IP != "" {
			return ing.IP, port, "loadBalancer"
		}
		return ing.Hostname, port, "loadBalancer"
	case svc.Spec.Type == corev1.ServiceTypeNodePort && len(svc.Spec.Ports) > 0:
		return "<any node address>", svc.Spec.Ports[0].NodePort, "nodePort"
	}
	return svc.Spec.ClusterIP, port, "clusterIP"
}
