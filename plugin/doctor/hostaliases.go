package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// HostAliases finds host alias names (the values' hostAliases: every driver Pod's
// hostAliases and mr3.k8s.host.aliases for ContainerWorkers) that are also the names of
// Services in the namespace, existing or made by the release. In the Pods that carry the
// alias the name resolves to the alias's address (/etc/hosts wins over DNS); everywhere else
// it resolves to the Service: two meanings for one name.
func HostAliases(ctx context.Context, client kubernetes.Interface, ns string, nsExists bool, release string, rel *check.Release) Result {
	aliases := map[string]string{} // host name -> ip
	for _, d := range rel.Drivers {
		for _, ha := range d.Pod().Spec.HostAliases {
			for _, h := range ha.Hostnames {
				aliases[h] = ha.IP
			}
		}
	}
	if rel.Conf != nil && rel.Conf.Site != nil {
		raw, _ := rel.Conf.Site.Get(contract.SiteHostAliases)
		if list, err := mr3conf.ParseHostAliases(raw); err == nil {
			for _, a := range list {
				aliases[a.Host] = a.IP.String()
			}
		}
	}
	if len(aliases) == 0 {
		return result(CheckHostAliases, OK, "no host aliases (hostAliases is empty): nothing can shadow a Service")
	}
	services := map[string]string{} // name -> where it comes from
	for _, s := range rel.Services {
		services[s.Name] = "made by the release"
	}
	if nsExists {
		list, err := client.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return result(CheckHostAliases, Warn, "cannot list the Services of namespace %s (%v), so host aliases [%s] were checked only against the release's own Services",
				ns, err, strings.Join(sortedKeys(aliases), ", "))
		}
		for _, s := range list.Items {
			if _, ok := services[s.Name]; ok && s.Labels[contract.LabelInstance] == release {
				continue
			}
			services[s.Name] = "in namespace " + ns
		}
	}
	var clashes []string
	for _, h := range sortedKeys(aliases) {
		svc, where := serviceNamed(h, ns, services)
		if svc == "" {
			continue
		}
		clashes = append(clashes, fmt.Sprintf("%s (-> %s) is also Service %s (%s)", h, aliases[h], svc, where))
	}
	if len(clashes) > 0 {
		return result(CheckHostAliases, Warn, "host alias names that are also Services: %s; in the driver and ContainerWorker Pods the name resolves to the alias's address (/etc/hosts wins over DNS), elsewhere to the Service; fix: rename the alias in hostAliases, or the Service",
			strings.Join(clashes, "; "))
	}
	return result(CheckHostAliases, OK, "no host alias name [%s] is a Service in namespace %s", strings.Join(sortedKeys(aliases), ", "), ns)
}

// serviceNamed is the Service a host name names in namespace ns: NAME, NAME.NS, NAME.NS.svc
// or NAME.NS.svc.<cluster domain>.
func serviceNamed(host, ns string, services map[string]string) (string, string) {
	name, rest, _ := strings.Cut(strings.TrimSuffix(host, "."), ".")
	if rest != "" && rest != ns && rest != ns+".svc" && !strings.HasPrefix(rest, ns+".svc.") {
		return "", ""
	}
	if where, ok := services[name]; ok {
		return name, where
	}
	return "", ""
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
