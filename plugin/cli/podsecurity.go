package cli

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
)

// warnPodSecurity warns when the namespace's PodSecurity enforce level refuses the Pods MR3
// itself creates (the DAGAppMaster and ContainerWorkers carry no security context), read from
// the effective MR3 settings of a release's manifest. It only warns: the release's own Pods
// may be admitted, and the label may change before the first job.
func warnPodSecurity(ctx context.Context, s *Settings, client kubernetes.Interface, releaseManifest string) {
	rel, err := check.ReadRelease(strings.NewReader(releaseManifest), manifest.Limits{})
	if err != nil || rel.Conf == nil || rel.Conf.Site == nil {
		return
	}
	if w := podsecurity.Warning(ctx, client, s.Namespace(), podsecurity.SettingsFromSite(rel.Conf.Site)); w != "" {
		fmt.Fprintf(s.IO.ErrOut, "WARNING: %s\n", w)
	}
}
