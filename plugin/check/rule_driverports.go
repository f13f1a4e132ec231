package check

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DriverPorts: SPARK_DRIVER_PORT and SPARK_UI_PORT are ports of the driver Service (reaching
// the same container port) and containerPorts of the driver container.
func DriverPorts(r *Release) []Violation {
	var out []Violation
	for _, d := range r.Drivers {
		add := func(key, msg, fix string) { out = append(out, violation(RuleDriverPorts, d.Object, key, msg, fix)) }
		nums := map[string]int32{}
		for _, env := range []string{EnvDriverPort, EnvUIPort} {
			v, ok := literalEnv(d.Container, env)
			if !ok {
				add("env "+env, fmt.Sprintf("%s container %s has no literal %s env, which run-spark-submit.sh passes to Spark", d, containerName(d), env), "set it (the chart sets 9850 and 4040)")
				continue
			}
			p, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || p < 1 || p > 65535 {
				add("env "+env, fmt.Sprintf("%s container %s env %s=%q is not a port number", d, containerName(d), env, v), "set a port between 1 and 65535")
				continue
			}
			nums[env] = int32(p)
		}
		if len(nums) == 2 && nums[EnvDriverPort] == nums[EnvUIPort] {
			add("env "+EnvUIPort, fmt.Sprintf("%s container %s uses port %d for both %s and %s", d, containerName(d), nums[EnvDriverPort], EnvDriverPort, EnvUIPort), "give the web UI its own port (default 4040)")
		}
		for _, env := range []string{EnvDriverPort, EnvUIPort} {
			p, ok := nums[env]
			if !ok {
				continue
			}
			var cports []corev1.ContainerPort
			if d.Container != nil {
				cports = d.Container.Ports
			}
			if !slices.ContainsFunc(cports, func(cp corev1.ContainerPort) bool { return cp.ContainerPort == p }) {
				add("ports", fmt.Sprintf("%s container %s env %s=%d, but its containerPorts are %s", d, containerName(d), env, p, containerPorts(cports)),
					fmt.Sprintf("add containerPort %d or change %s", p, env))
			}
			if d.Service == nil {
				continue // DriverIdentity reports the missing Service
			}
			if !slices.ContainsFunc(d.Service.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == p && targetsPort(sp, p, cports) }) {
				add("Service/"+d.Name+" spec.ports", fmt.Sprintf("%s container %s env %s=%d, but %s spec.ports are %s", d, containerName(d), env, p, d.Service, servicePorts(d.Service.Spec.Ports)),
					fmt.Sprintf("give %s a port %d with targetPort %d, or change %s", d.Service, p, p, env))
			}
		}
	}
	return out
}

func targetsPort(sp corev1.ServicePort, p int32, cports []corev1.ContainerPort) bool {
	t := sp.TargetPort
	switch {
	case t.Type == intstr.Int && t.IntVal == 0:
		return sp.Port == p
	case t.Type == intstr.Int:
		return t.IntVal == p
	default:
		return slices.ContainsFunc(cports, func(cp corev1.ContainerPort) bool { return cp.Name == t.StrVal && cp.ContainerPort == p })
	}
}

func containerPorts(ps []corev1.ContainerPort) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(int(p.ContainerPort))
	}
	return "[" + strings.Join(s, ",") + "]"
}

func servicePorts(ps []corev1.ServicePort) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("%d→%s", p.Port, p.TargetPort.String())
	}
	return "[" + strings.Join(s, ",") + "]"
}
