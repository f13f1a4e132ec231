package check

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestDriverResources(t *testing.T) {
	runRuleCases(t, RuleDriverResources, DriverResources, []ruleCase{
		{name: "pass"},
		{name: "no limits or requests checks nothing",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.Resources = corev1.ResourceRequirements{}
			}},
		{name: "heap too close to limit",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark2").Container, EnvDriverMemory, "3687") },
			want:   []string{"StatefulSet/spark2 [env SPARK_DRIVER_MEMORY_MB]: StatefulSet/spark2 container driver env SPARK_DRIVER_MEMORY_MB=3687 is 90% of its memory limit 4Gi; the JVM needs about 10% more than the heap and would be OOM-killed; fix: lower SPARK_DRIVER_MEMORY_MB to at most 3686 or raise the memory limit to at least 4097Mi"}},
		{name: "request stands in for a missing limit",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				c.Resources.Limits = nil
				c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("8Gi")
			},
			want: []string{"SPARK_DRIVER_MEMORY_MB=13107 is 160% of its memory request 8Gi"}},
		{name: "too many cores",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark2").Container, EnvDriverCores, "2") },
			want:   []string{"StatefulSet/spark2 container driver env SPARK_DRIVER_CORES=2 exceeds its CPU limit 1500m; fix: lower SPARK_DRIVER_CORES to at most 1 or raise the CPU limit to 2"}},
		{name: "missing and invalid env",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				dropEnv(c, EnvDriverMemory)
				setEnv(c, EnvDriverCores, "0")
			},
			want: []string{"has no literal SPARK_DRIVER_MEMORY_MB env", `env SPARK_DRIVER_CORES="0" is not a positive whole number`}},
		{name: "memory not a number",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvDriverMemory, "13g") },
			want:   []string{`env SPARK_DRIVER_MEMORY_MB="13g" is not a positive number of MB`}},
	})
}
