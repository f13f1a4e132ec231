// Package outside gathers what a Spark driver running outside Kubernetes needs from a
// release: the shared token and timestamp, the address of the DAGAppMaster Service, the
// driver's cores, memory and name (which MR3's driver script reads from the environment), and
// the files of MR3's BASE_DIR on the outside node (env.sh and conf/, written by WriteBaseDir
// and checked against the release by BaseDir.Check).
package outside

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
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
	// Driver is what MR3's driver script reads from the environment besides env.sh; printed
	// when set.
	Driver Driver
}

// Variables an outside driver's environment must hold: env.sh does not assign them (the
// driver Pod's env does inside Kubernetes).
const (
	VarDriverName     = "DRIVER_NAME"
	VarDriverCores    = "SPARK_DRIVER_CORES"
	VarDriverMemoryMB = "SPARK_DRIVER_MEMORY_MB"
)

// Driver is the part of MR3's driver script input that comes from the environment: it
// passes --conf spark.driver.cores=$SPARK_DRIVER_CORES, spark.driver.memory=${SPARK_DRIVER_MEMORY_MB}m,
// spark.ui.proxyBase=$PROXY_BASE/$DRIVER_NAME and spark.driver.host=$DRIVER_NAME.NS.svc.cluster.local
// (which submit --local overrides with --conf spark.driver.host).
type Driver struct {
	Name     string
	Cores    int
	MemoryMB int
}

// Vars lists the driver variables that are set, in the order they are printed.
func (d Driver) Vars() []Var {
	var vs []Var
	if d.Name != "" {
		vs = append(vs, Var{VarDriverName, d.Name})
	}
	if d.Cores > 0 {
		vs = append(vs, Var{VarDriverCores, strconv.Itoa(d.Cores)})
	}
	if d.MemoryMB > 0 {
		vs = append(vs, Var{VarDriverMemoryMB, strconv.Itoa(d.MemoryMB)})
	}
	return vs
}

// Defaults of SPARK_DRIVER_CORES / SPARK_DRIVER_MEMORY_MB when the release has no driver
// inside Kubernetes to copy them from.
const (
	DefaultDriverCores    = 1
	DefaultDriverMemoryMB = 1024
)

// Var is one exported variable.
type Var struct{ Name, Value string }

// Vars lists the variables in the order they are printed.
func (e Env) Vars() []Var {
	vs := []Var{
		{contract.KeyToken, e.Token.Key},
		{contract.KeyTimestamp, strconv.FormatInt(e.Token.Timestamp, 10)},
		{"SPARK_MR3_NAMESPACE", e.Namespace},
	}
	if e.AMHost != "" {
		vs = append(vs, Var{"SPARKMR3_AM_SERVICE_HOST", e.AMHost}, Var{"SPARKMR3_AM_SERVICE_PORT", strconv.Itoa(int(e.AMPort))})
	}
	return append(vs, e.Driver.Vars()...)
}

// DriverDefaults returns SPARK_DRIVER_CORES and SPARK_DRIVER_MEMORY_MB of the release's first
// driver StatefulSet (by name) that sets them in its driver container, so that an outside
// driver is sized like the inside ones; DefaultDriverCores and DefaultDriverMemoryMB when no
// driver sets them. from says where the values came from, for messages.
func DriverDefaults(ctx context.Context, client kubernetes.Interface, ns, rel string) (cores, memoryMB int, from string, err error) {
	sets, err := client.AppsV1().StatefulSets(ns).List(ctx, metav1.ListOptions{
		LabelSelector: contract.LabelInstance + "=" + rel + "," + contract.LabelComponent + "=" + contract.ComponentDriver,
	})
	if err != nil {
		return 0, 0, "", fmt.Errorf("read the drivers of release %q in namespace %q for SPARK_DRIVER_CORES / SPARK_DRIVER_MEMORY_MB (or pass --driver-cores and --driver-memory-mb): %w", rel, ns, err)
	}
	items := sets.Items
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	for _, st := range items {
		cs := st.Spec.Template.Spec.Containers
		for _, c := range cs {
			if c.Name != "driver" && len(cs) > 1 {
				continue
			}
			cores, memoryMB = envInt(c.Env, VarDriverCores), envInt(c.Env, VarDriverMemoryMB)
			if cores > 0 && memoryMB > 0 {
				return cores, memoryMB, "driver " + st.Name + " of the release", nil
			}
		}
	}
	return DefaultDriverCores, DefaultDriverMemoryMB, "defaults (the release has no driver inside Kubernetes)", nil
}

func envInt(env []corev1.EnvVar, name string) int {
	for _, e := range env {
		if e.Name == name {
			n, err := strconv.Atoi(e.Value)
			if err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// ParseDriverSize reads a --driver-cores or --driver-memory-mb value: a positive integer.
func ParseDriverSize(flag, value string) (int, error) {
	n, err := strconv.Atoi(value)
	if err != nil || n <= 0 {
		example := "2"
		if flag == "--driver-memory-mb" {
			example = "4096 (MiB)"
		}
		return 0, fmt.Errorf("%s %q: must be a positive integer, e.g. %s", flag, value, example)
	}
	return n, nil
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
		LabelSelector: contract.LabelInstance + "=" + rel + "," + contract.LabelComponent + "=" + contract.ComponentAMService,
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
