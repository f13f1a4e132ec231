package driver

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
	"github.com/spark-mr3/spark-mr3/plugin/outside"
)

// AMMemoryKey is the DAGAppMaster's memory in mr3-site.xml.
const AMMemoryKey = "mr3.am.resource.memory.mb"

// localAMMemoryWarning: with --localthread / --localprocess the DAGAppMaster runs inside the
// driver Pod (mode is MR3's mr3.master.mode), so the container's memory limit must hold the
// driver heap (SPARK_DRIVER_MEMORY_MB of the container) plus mr3.am.resource.memory.mb (conf
// ConfigMap, mr3-site.xml). It returns a warning naming the numbers and the fix, or "" when
// they fit or cannot be told (no limit, no value).
func localAMMemoryWarning(pod *corev1.Pod, container string, conf *corev1.ConfigMap, mode string) string {
	var c *corev1.Container
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == container {
			c = &pod.Spec.Containers[i]
		}
	}
	if c == nil || conf == nil {
		return ""
	}
	limit, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		return ""
	}
	heap := 0
	for _, e := range c.Env {
		if e.Name == outside.VarDriverMemoryMB {
			heap, _ = strconv.Atoi(strings.TrimSpace(e.Value))
		}
	}
	text, ok := conf.Data[contract.FileMR3Site]
	if heap <= 0 || !ok {
		return ""
	}
	site, err := mr3conf.ParseSite(contract.FileMR3Site, []byte(text))
	if err != nil {
		return ""
	}
	v, ok := site.Get(AMMemoryKey)
	if !ok {
		return ""
	}
	am, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || am <= 0 {
		return ""
	}
	limitMiB := limit.Value() >> 20
	if int64(heap+am) <= limitMiB {
		return ""
	}
	flag := "--" + strings.ReplaceAll(mode, "-", "")
	return fmt.Sprintf("%s runs the DAGAppMaster inside driver Pod %s, whose container %s has a memory limit of %s (%d MiB); "+
		"it cannot hold the driver heap %s=%d plus %s=%d (ConfigMap %s, %s) = %d MiB: raise the driver's resources.limits.memory "+
		"(drivers[].resources), lower its memoryMb, or lower mr3.amMemoryMb in the release's values; or leave out %s",
		flag, pod.Name, container, limit.String(), limitMiB, outside.VarDriverMemoryMB, heap, AMMemoryKey, am, conf.Name, contract.FileMR3Site,
		heap+am, flag)
}
