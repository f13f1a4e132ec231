package check

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// DriverIdentity: StatefulSet name = serviceName = DRIVER_NAME = Service name = the
// sparkmr3_app selector value; a DNS-1123 label short enough for the Pod's revision label;
// unique; not the DAGAppMaster Service's name or MR3's.
func DriverIdentity(r *Release) []Violation {
	var out []Violation
	seen := map[string]Object{}
	am := contract.DefaultAMServiceName
	if r.AMService != nil {
		am = r.AMService.Name
	}
	const fix = "use one name per driver: the chart derives the StatefulSet, Service, DRIVER_NAME and labels from drivers[].name; an overlay must rename all of them"
	for _, d := range r.Drivers {
		n := d.Name
		add := func(key, msg, fix string) { out = append(out, violation(RuleDriverIdentity, d.Object, key, msg, fix)) }
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			add("metadata.name", fmt.Sprintf("driver name %q is not a DNS-1123 label (%s); it becomes host name %s.<namespace>.svc.cluster.local", n, strings.Join(errs, "; "), n),
				"use lower-case letters, digits and '-', starting and ending with a letter or digit")
		} else if len(n) > 52 {
			add("metadata.name", fmt.Sprintf("driver name %q is %d characters; a StatefulSet's Pods get label controller-revision-hash=%s-<10 chars>, which must fit in 63", n, len(n), n),
				"use a driver name of at most 52 characters")
		}
		if n == am || n == contract.DefaultAMServiceName {
			add("metadata.name", fmt.Sprintf("driver name %q is the DAGAppMaster Service's name", n), "rename the driver; mr3 is reserved")
		}
		for _, p := range []string{contract.ServiceMasterPrefix, contract.ServiceWorker} { // MR3's run-time Services
			if strings.HasPrefix(n, p) {
				add("metadata.name", fmt.Sprintf("driver name %q collides with Services MR3 creates at run time (%s…)", n, p), "rename the driver")
			}
		}
		if prev, dup := seen[n]; dup {
			add("metadata.name", fmt.Sprintf("driver name %q is used twice (%s and %s)", n, prev.Source, d.Source), "give every driver its own name")
		}
		seen[n] = d.Object
		if sn := d.StatefulSet.Spec.ServiceName; sn != n {
			add("spec.serviceName", fmt.Sprintf("%s spec.serviceName=%q differs from its name, so %s-0 gets no DNS name under Service %s", d, sn, n, n), fix)
		}
		if rp := d.StatefulSet.Spec.Replicas; rp != nil && *rp != 1 {
			add("spec.replicas", fmt.Sprintf("%s spec.replicas=%d, but a Spark driver is one Pod (DRIVER_NAME %s names one host)", d, *rp, n), "set replicas to 1; add drivers as separate entries in drivers[]")
		}
		switch e := envVar(d.Container, EnvDriverName); {
		case e == nil:
			add("env "+EnvDriverName, fmt.Sprintf("%s container %s has no %s env, which run-spark-submit.sh uses for spark.driver.host", d, containerName(d), EnvDriverName), fix)
		case e.ValueFrom != nil || e.Value != n:
			add("env "+EnvDriverName, fmt.Sprintf("%s container %s env %s=%q differs from the StatefulSet name %q, so spark.driver.host %s.<namespace>.svc.cluster.local names another host", d, containerName(d), EnvDriverName, e.Value, n, e.Value), fix)
		}
		if v := d.Pod().Labels[contract.LabelApp]; v != n {
			add("spec.template.metadata.labels "+contract.LabelApp, fmt.Sprintf("%s Pod label %s=%q differs from the driver name %q", d, contract.LabelApp, v, n), fix)
		}
		if d.Service == nil {
			add("Service/"+n, fmt.Sprintf("%s has no Service named %s, so executors cannot resolve spark.driver.host %s.<namespace>.svc.cluster.local", d, n, n),
				"render the driver Service (the chart makes one per driver)")
			continue
		}
		if v := d.Service.Spec.Selector[contract.LabelApp]; v != n {
			add("Service/"+n+" spec.selector", fmt.Sprintf("%s spec.selector %s=%q differs from the driver name %q", d.Service, contract.LabelApp, v, n), fix)
		} else if !selects(d.Service.Spec.Selector, d.Pod().Labels) {
			add("Service/"+n+" spec.selector", fmt.Sprintf("%s spec.selector %s does not match %s Pod labels %s", d.Service, formatLabels(d.Service.Spec.Selector), d, formatLabels(d.Pod().Labels)), fix)
		}
	}
	return out
}
