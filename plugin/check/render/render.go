// Package render produces the manifest the checker reads: a chart rendered client-side the
// way `helm template` does, or the manifest helm stored for a deployed release. It is kept
// apart from package check so that the post-renderer does not link helm's actions.
package render

import (
	"fmt"
	"io"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// DefaultKubeVersion is the Kubernetes version assumed when rendering without a cluster.
// helm's own default (from its build flags) is v1.20 in a plain `go build`, below the
// chart's kubeVersion constraint.
const DefaultKubeVersion = "v1.37.0"

// ChartOptions name the release being rendered.
type ChartOptions struct {
	ReleaseName string
	Namespace   string
	// KubeVersion is the cluster version templates see; "" means DefaultKubeVersion.
	KubeVersion string
	// PostRenderer, when set, runs on the rendered manifests as in `helm template --post-renderer`.
	PostRenderer postrender.PostRenderer
}

// Chart renders ch with vals client-side (no cluster access: lookup returns nothing) and
// returns the manifest, hooks excluded.
func Chart(ch *chart.Chart, vals map[string]any, o ChartOptions) (string, error) {
	kv := o.KubeVersion
	if kv == "" {
		kv = DefaultKubeVersion
	}
	parsed, err := chartutil.ParseKubeVersion(kv)
	if err != nil {
		return "", fmt.Errorf("kube version %q: %w", kv, err)
	}
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &fake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities,
		Log:          func(string, ...any) {},
	}
	inst := action.NewInstall(cfg)
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace, inst.KubeVersion = o.ReleaseName, o.Namespace, parsed
	inst.PostRenderer = o.PostRenderer
	rel, err := inst.Run(ch, vals)
	if err != nil {
		return "", fmt.Errorf("render chart %s for release %s: %w", ch.Name(), o.ReleaseName, err)
	}
	return rel.Manifest, nil
}

// Deployed returns the manifest of the deployed release name (its current revision).
func Deployed(cfg *action.Configuration, name string) (string, error) {
	rel, err := action.NewGet(cfg).Run(name)
	if err != nil {
		return "", fmt.Errorf("get release %s: %w (is it installed in this namespace? try helm list -n <namespace>)", name, err)
	}
	return rel.Manifest, nil
}
