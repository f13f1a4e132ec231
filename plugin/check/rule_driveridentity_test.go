package check

import (
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

func TestDriverIdentity(t *testing.T) {
	rename := func(t *testing.T, r *Release, name string) {
		d := drv(t, r, "spark2")
		d.Name, d.StatefulSet.Name, d.StatefulSet.Spec.ServiceName = name, name, name
		d.Pod().Labels[contract.LabelApp] = name
		setEnv(d.Container, EnvDriverName, name)
		d.Service.Ref.Name, d.Service.Name = name, name
		d.Service.Spec.Selector[contract.LabelApp] = name
	}
	runRuleCases(t, RuleDriverIdentity, DriverIdentity, []ruleCase{
		{name: "pass"},
		{name: "upper case",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "Spark2") },
			want:   []string{`StatefulSet/Spark2 [metadata.name]: driver name "Spark2" is not a DNS-1123 label`}},
		{name: "too long for revision label",
			mutate: func(t *testing.T, r *Release) { rename(t, r, strings.Repeat("a", 53)) },
			want:   []string{"is 53 characters; a StatefulSet's Pods get label controller-revision-hash"}},
		{name: "named mr3",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "mr3") },
			want:   []string{`driver name "mr3" is the DAGAppMaster Service's name`}},
		{name: "MR3 run-time service name",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "service-worker") },
			want:   []string{"collides with Services MR3 creates at run time"}},
		{name: "duplicate",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "spark1") },
			want:   []string{`driver name "spark1" is used twice`}},
		{name: "serviceName differs",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").StatefulSet.Spec.ServiceName = "other" },
			want:   []string{`StatefulSet/spark1 spec.serviceName="other" differs from its name`}},
		{name: "replicas 2",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").StatefulSet.Spec.Replicas = ptr.To[int32](2) },
			want:   []string{"StatefulSet/spark1 spec.replicas=2"}},
		{name: "DRIVER_NAME differs",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvDriverName, "spark9") },
			want:   []string{`StatefulSet/spark1 [env DRIVER_NAME]: StatefulSet/spark1 container driver env DRIVER_NAME="spark9" differs from the StatefulSet name "spark1"`}},
		{name: "DRIVER_NAME missing",
			mutate: func(t *testing.T, r *Release) { dropEnv(drv(t, r, "spark1").Container, EnvDriverName) },
			want:   []string{"container driver has no DRIVER_NAME env"}},
		{name: "pod label differs",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Pod().Labels[contract.LabelApp] = "x" },
			want: []string{`StatefulSet/spark1 Pod label sparkmr3_app="x" differs from the driver name "spark1"`,
				"Service/spark1 spec.selector {sparkmr3_app=spark1} does not match StatefulSet/spark1 Pod labels {mr3-pod-role=master-role,sparkmr3.io/driver=spark1,sparkmr3_app=x}"}},
		{name: "no service",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Service = nil },
			want:   []string{"StatefulSet/spark1 has no Service named spark1"}},
		{name: "service selector differs",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Service.Spec.Selector[contract.LabelApp] = "spark2"
			},
			want: []string{`Service/spark1 spec.selector sparkmr3_app="spark2" differs from the driver name "spark1"`}},
		{name: "service selector has an extra label",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Service.Spec.Selector["tier"] = "x" },
			want:   []string{"does not match StatefulSet/spark1 Pod labels"}},
	})
}
