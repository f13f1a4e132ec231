package check

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestDriverPorts(t *testing.T) {
	runRuleCases(t, RuleDriverPorts, DriverPorts, []ruleCase{
		{name: "pass"},
		{name: "env port not on service or container",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvDriverPort, "9851") },
			want: []string{
				"StatefulSet/spark1 [ports]: StatefulSet/spark1 container driver env SPARK_DRIVER_PORT=9851, but its containerPorts are [9850,4040]",
				"StatefulSet/spark1 [Service/spark1 spec.ports]: StatefulSet/spark1 container driver env SPARK_DRIVER_PORT=9851, but Service/spark1 spec.ports are [9850→9850,4040→4040]",
			}},
		{name: "service targets another port",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Service.Spec.Ports[1].TargetPort = intstr.FromInt32(4041)
			},
			want: []string{"env SPARK_UI_PORT=4040, but Service/spark1 spec.ports are [9850→9850,4040→4041]"}},
		{name: "named target port not in container",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark2").Service.Spec.Ports[0].TargetPort = intstr.FromString("rpc")
			},
			want: []string{"env SPARK_DRIVER_PORT=9850, but Service/spark2 spec.ports are [9850→rpc,4040→0]"}},
		{name: "missing and bad env",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				dropEnv(c, EnvDriverPort)
				setEnv(c, EnvUIPort, "http")
			},
			want: []string{"container driver has no literal SPARK_DRIVER_PORT env", `env SPARK_UI_PORT="http" is not a port number`}},
		{name: "same port twice",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvUIPort, "9850") },
			want:   []string{"uses port 9850 for both SPARK_DRIVER_PORT and SPARK_UI_PORT"}},
	})
}
