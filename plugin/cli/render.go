package cli

import (
	helmpostrender "helm.sh/helm/v3/pkg/postrender"

	"github.com/spark-mr3/spark-mr3/plugin/postrender"
	"github.com/spark-mr3/spark-mr3/plugin/quickcli"
)

// newPostRenderer is the in-process post-renderer of install and upgrade: the kustomize
// overlay (if any), then every consistency rule.
func newPostRenderer(s *Settings, kustomize string) (helmpostrender.PostRenderer, error) {
	only, err := postrender.KustomizeOnlyFromEnv(s.Getenv)
	if err != nil {
		return nil, UsageError("%v", err)
	}
	pr, err := postrender.New(postrender.Options{KustomizeDir: kustomize, KustomizeOnly: only})
	if err != nil {
		return nil, UsageError("--kustomize %s: %v", kustomize, err)
	}
	return pr, nil
}

func isCheckFailure(err error) bool { return quickcli.IsCheckFailure(err) }
