package cli

import (
	"errors"

	helmpostrender "helm.sh/helm/v3/pkg/postrender"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/postrender"
)

// overlayFlags are --kustomize and --kustomize-allow-remote, shared by every verb that
// post-renders.
type overlayFlags = postrender.Flags

// newPostRenderer is the in-process post-renderer of install and upgrade: the kustomize
// overlay (if any), then every consistency rule.
func newPostRenderer(s *Settings, kustomize postrender.Flags) (helmpostrender.PostRenderer, error) {
	return newOverlay(s, kustomize)
}

// newOverlay reads the overlay flags (and SPARKMR3_OVERLAY) of check, install and upgrade.
func newOverlay(s *Settings, kustomize postrender.Flags) (*postrender.PostRenderer, error) {
	opts, err := kustomize.Options(s.Getenv)
	if err != nil {
		return nil, UsageError("%v", err)
	}
	pr, err := postrender.New(opts)
	if err != nil {
		return nil, UsageError("%v", err)
	}
	return pr, nil
}

// overlayError makes a refused remote reference a usage error (exit 2: the overlay must
// change, or --kustomize-allow-remote be given).
func overlayError(err error) error {
	if re := (*postrender.RemoteError)(nil); errors.As(err, &re) {
		return UsageError("%v", err)
	}
	return err
}

// isCheckFailure reports whether err lists rule violations.
func isCheckFailure(err error) bool {
	var ce *check.Error
	return errors.As(err, &ce)
}
