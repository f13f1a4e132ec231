package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/status"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// ReleaseChecks judge an installed release from plugin/status's report (nil: not installed)
// and its manifest: Helm's record says deployed, every driver Pod is ready, and the token
// Secret the drivers read exists with both keys. The token is never printed.
func ReleaseChecks(ctx context.Context, client kubernetes.Interface, ns, name string, st *status.Report, rel *check.Release) []Result {
	if st == nil {
		return []Result{result(CheckRelease, Warn, "release %s is not installed in namespace %s: the checks above are for installing it (helm sparkmr3 install %s -n %s)", name, ns, name, ns)}
	}
	r := st.Release
	if !r.Installed {
		return []Result{result(CheckRelease, Fail, "release %s is not installed in namespace %s, but objects of it are left (driver Pods or what MR3 made); fix: helm sparkmr3 teardown %s -n %s, then install again", name, ns, name, ns)}
	}
	var out []Result
	if r.State != "deployed" {
		out = append(out, result(CheckRelease, Fail, "release %s (revision %d, chart %s) is %s, not deployed; fix: helm sparkmr3 upgrade %s -n %s with the values it should have, or helm rollback %s -n %s",
			name, r.Revision, r.Chart, r.State, name, ns, name, ns))
	} else {
		out = append(out, result(CheckRelease, OK, "release %s is deployed (revision %d, chart %s)", name, r.Revision, r.Chart))
	}
	return append(out, drivers(name, ns, st, rel), tokenSecret(ctx, client, ns, name, rel))
}

// drivers: each driver Pod of the release (found by labels) is Running and ready, and there
// is one per driver StatefulSet of the manifest.
func drivers(name, ns string, st *status.Report, rel *check.Release) Result {
	var notReady []string
	for _, p := range st.Drivers {
		ready, total, _ := strings.Cut(p.Ready, "/")
		if p.Phase != "Running" || ready != total {
			notReady = append(notReady, fmt.Sprintf("%s (%s, %s ready)", p.Name, p.Phase, p.Ready))
		}
	}
	want := len(rel.Drivers)
	switch {
	case len(notReady) > 0:
		return result(CheckDrivers, Fail, "%d of %d driver Pod(s) not ready: %s; fix: see why with helm sparkmr3 status %s -n %s and kubectl describe pod POD -n %s (scheduling, image pull, unbound claims)",
			len(notReady), len(st.Drivers), strings.Join(notReady, "; "), name, ns, ns)
	case len(st.Drivers) < want:
		return result(CheckDrivers, Fail, "the release has %d driver StatefulSet(s) but %d driver Pod(s); fix: see the StatefulSets' events (kubectl describe statefulset -n %s -l %s=%s)",
			want, len(st.Drivers), ns, contract.LabelInstance, name)
	case want == 0:
		return result(CheckDrivers, OK, "the release has no drivers in Kubernetes (drivers is empty)")
	}
	return result(CheckDrivers, OK, "all %d driver Pod(s) ready", len(st.Drivers))
}

// tokenSecret: the Secret the driver Pods read CLIENT_TO_AM_TOKEN_KEY from (the plugin's,
// the chart's, or token.existingSecret) exists and holds a valid token and timestamp.
func tokenSecret(ctx context.Context, client kubernetes.Interface, ns, name string, rel *check.Release) Result {
	names := map[string]bool{}
	for _, d := range rel.Drivers {
		if d.Container == nil {
			continue
		}
		for _, e := range d.Container.Env {
			if e.Name == contract.KeyToken && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				names[e.ValueFrom.SecretKeyRef.Name] = true
			}
		}
	}
	if len(names) == 0 {
		s, err := token.SecretForRelease(ctx, client, ns, name)
		switch {
		case err != nil:
			return result(CheckToken, Warn, "%v", err)
		case s == nil:
			return result(CheckToken, Fail, "release %s has no token Secret (labelled %s=%s) in namespace %s, so drivers cannot share one DAGAppMaster; fix: helm sparkmr3 upgrade %s -n %s (it keeps or makes the token)",
				name, contract.LabelComponent, contract.ComponentToken, ns, name, ns)
		}
		// The Secret is in hand: no second GET.
		if _, err := token.FromSecret(s); err != nil {
			return result(CheckToken, Fail, "%v", err)
		}
		return result(CheckToken, OK, "token Secret %s present with %s and %s", s.Name, contract.KeyToken, contract.KeyTimestamp)
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	for _, n := range list {
		s, err := client.CoreV1().Secrets(ns).Get(ctx, n, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return result(CheckToken, Fail, "the token Secret %s that the driver Pods read does not exist in namespace %s, so they cannot start; fix: helm sparkmr3 upgrade %s -n %s (it remakes the plugin's Secret), or create token.existingSecret with keys %s and %s",
				n, ns, name, ns, contract.KeyToken, contract.KeyTimestamp)
		case err != nil:
			return result(CheckToken, Warn, "cannot read the token Secret %s in namespace %s (%v); fix: run doctor with credentials that may get secrets in %s", n, ns, err, ns)
		}
		if _, err := token.FromSecret(s); err != nil {
			return result(CheckToken, Fail, "%v", err)
		}
	}
	return result(CheckToken, OK, "token Secret %s present with %s and %s", strings.Join(list, ", "), contract.KeyToken, contract.KeyTimestamp)
}
