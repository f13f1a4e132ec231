package doctor

import (
	"context"
	"fmt"

	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
)

// PodSecurity judges the namespace's PodSecurity enforce level against the Pods MR3 itself
// creates with the release's settings (plugin/podsecurity): the chart's own Pods meet
// restricted, MR3's DAGAppMaster and ContainerWorkers do not.
func PodSecurity(ctx context.Context, client kubernetes.Interface, ns string, nsExists bool, rel *check.Release) Result {
	var s podsecurity.Settings
	if rel.Conf != nil {
		s = podsecurity.SettingsFromSite(rel.Conf.Site)
	}
	if !nsExists {
		return result(CheckPodSecurity, OK, "namespace %s will be created without a PodSecurity label; MR3's DAGAppMaster and ContainerWorker Pods need %s or more permissive (label %s)",
			ns, s.Needed(), podsecurity.LabelEnforce)
	}
	v, err := podsecurity.Check(ctx, client, ns, s)
	switch {
	case err != nil:
		return result(CheckPodSecurity, Warn, "%v, so whether it admits MR3's DAGAppMaster and ContainerWorker Pods is unknown; they need PodSecurity %s or more permissive (ask an admin for the namespace's label %s)",
			err, v.Needed, podsecurity.LabelEnforce)
	case v.Refused:
		return result(CheckPodSecurity, Fail, "%s", v.Message())
	case v.Label == "":
		return result(CheckPodSecurity, OK, "namespace %s enforces no PodSecurity level; MR3's Pods need %s", ns, v.Needed)
	}
	return result(CheckPodSecurity, OK, "namespace %s enforces PodSecurity %s; MR3's Pods need %s%s", ns, v.Enforced, v.Needed, versionNote(v))
}

func versionNote(v podsecurity.Verdict) string {
	if v.Version == "" {
		return ""
	}
	return fmt.Sprintf(" (%s=%s)", podsecurity.LabelEnforceVersion, v.Version)
}
