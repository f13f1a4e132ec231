package cli

import (
	"errors"

	helmpostrender "helm.sh/helm/v3/pkg/postrender"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
)

// newPostRenderer is the in-process post-renderer of install and upgrade: the kustomize
// overlay (if any), then every consistency rule.
func newPostRenderer(kustomize string) (helmpostrender.PostRenderer, error) {
	pr, err := postrender.New(postrender.Options{KustomizeDir: kustomize})
	if err != nil {
		return nil, UsageError("--kustomize %s: %v", kustomize, err)
	}
	return pr, nil
}

func isCheckFailure(err error) bool {
	var ce *check.Error
	return errors.As(err, &ce)
}
