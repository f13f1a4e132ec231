package check

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// memoryHeadroom is the share of the container memory limit the driver heap may use; the JVM
// needs the rest for metaspace, threads and direct buffers (MR3's sample uses 80 %).
const memoryHeadroom = 0.9

// DriverResources: the driver heap (SPARK_DRIVER_MEMORY_MB) leaves ~10 % of the container's
// memory limit to the JVM, and SPARK_DRIVER_CORES does not exceed the CPU limit. Requests
// stand in for missing limits.
func DriverResources(r *Release) []Violation {
	var out []Violation
	for _, d := range r.Drivers {
		add := func(key, msg, fix string) { out = append(out, violation(RuleDriverResources, d.Object, key, msg, fix)) }
		res := corev1.ResourceRequirements{}
		if d.Container != nil {
			res = d.Container.Resources
		}
		memRaw, ok := literalEnv(d.Container, EnvDriverMemory)
		if !ok {
			add("env "+EnvDriverMemory, fmt.Sprintf("%s container %s has no literal %s env, which sets spark.driver.memory", d, containerName(d), EnvDriverMemory), "set drivers[].memoryMb")
		} else if mb, err := strconv.ParseInt(strings.TrimSpace(memRaw), 10, 64); err != nil || mb <= 0 {
			add("env "+EnvDriverMemory, fmt.Sprintf("%s container %s env %s=%q is not a positive number of MB", d, containerName(d), EnvDriverMemory, memRaw), "set a whole number of MB, e.g. 13107")
		} else if q, which := limitOrRequest(res, corev1.ResourceMemory); q != nil {
			heap := float64(mb) * (1 << 20)
			limit := float64(q.Value())
			if heap > memoryHeadroom*limit {
				maxMB := int64(memoryHeadroom * limit / (1 << 20))
				add("env "+EnvDriverMemory, fmt.Sprintf("%s container %s env %s=%d is %.0f%% of its memory %s %s; the JVM needs about 10%% more than the heap and would be OOM-killed",
					d, containerName(d), EnvDriverMemory, mb, 100*heap/limit, which, q.String()),
					fmt.Sprintf("lower %s to at most %d or raise the memory %s to at least %dMi", EnvDriverMemory, maxMB, which, int64(float64(mb)/memoryHeadroom)+1))
			}
		}
		coresRaw, ok := literalEnv(d.Container, EnvDriverCores)
		if !ok {
			add("env "+EnvDriverCores, fmt.Sprintf("%s container %s has no literal %s env, which sets spark.driver.cores", d, containerName(d), EnvDriverCores), "set drivers[].cores")
		} else if cores, err := strconv.ParseInt(strings.TrimSpace(coresRaw), 10, 64); err != nil || cores <= 0 {
			add("env "+EnvDriverCores, fmt.Sprintf("%s container %s env %s=%q is not a positive whole number", d, containerName(d), EnvDriverCores, coresRaw), "set a whole number of cores, e.g. 2")
		} else if q, which := limitOrRequest(res, corev1.ResourceCPU); q != nil && cores*1000 > q.MilliValue() {
			add("env "+EnvDriverCores, fmt.Sprintf("%s container %s env %s=%d exceeds its CPU %s %s", d, containerName(d), EnvDriverCores, cores, which, q.String()),
				fmt.Sprintf("lower %s to at most %d or raise the CPU %s to %d", EnvDriverCores, q.MilliValue()/1000, which, cores))
		}
	}
	return out
}

func limitOrRequest(res corev1.ResourceRequirements, name corev1.ResourceName) (*resource.Quantity, string) {
	if q, ok := res.Limits[name]; ok {
		return &q, "limit"
	}
	if q, ok := res.Requests[name]; ok {
		return &q, "request"
	}
	return nil, ""
}
