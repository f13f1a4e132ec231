// Package doctor owns `helm sparkmr3 doctor`: the prerequisites of Spark on MR3 and the
// failures users hit, checked against the cluster before anything is installed (and against
// an installed release). Each check is one small function over a Kubernetes client and the
// manifest the chart renders with the user's values; it returns one line: ok, warn or fail,
// with the fix. Nothing is created: the one write-shaped request (externalIPs) is a
// server-side dry run.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"helm.sh/helm/v3/pkg/cli/output"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
	"github.com/spark-mr3/spark-mr3/plugin/status"
)

// Status is the verdict of one check.
type Status string

// The verdicts: fail makes doctor exit non-zero; warn says what could not be known or what
// may hurt.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// The checks' names, as printed.
const (
	CheckAPIServer   = "api-server"
	CheckSwap        = "swap"
	CheckNamespace   = "namespace"
	CheckPermissions = "permissions"
	CheckEscalation  = "rbac-escalation"
	CheckPodSecurity = "pod-security"
	CheckStorage     = "storage"
	CheckExternalIPs = "external-ips"
	CheckHostAliases = "host-aliases"
	CheckRelease     = "release"
	CheckDrivers     = "drivers"
	CheckToken       = "token"
)

// Result is one line of the report.
type Result struct {
	Name    string `json:"name"`
	Status  Status `json:"status"`
	Message string `json:"message"`
}

func result(name string, st Status, format string, a ...any) Result {
	return Result{Name: name, Status: st, Message: fmt.Sprintf(format, a...)}
}

// Report is every check's result, in order. Its JSON/YAML form is the -o json|yaml output.
type Report struct {
	Namespace string   `json:"namespace"`
	Release   string   `json:"release,omitempty"`
	Checks    []Result `json:"checks"`
	// Failed counts the checks that failed.
	Failed int `json:"failed"`
}

// Options say where to look and what would be installed.
type Options struct {
	// Namespace is where the release is (or would be) installed.
	Namespace string
	// Release is the release name given on the command line ("" when none).
	Release string
	// Client talks to the cluster; nil when ClientErr says why it could not be built.
	Client    kubernetes.Interface
	ClientErr error
	// Target names the API server, kubeconfig context and file for messages.
	Target APITarget
	// KubeVersionConstraint is the chart's kubeVersion ("" = any).
	KubeVersionConstraint string
	// Manifest returns the manifest install would apply (the chart rendered with the values)
	// or, for an installed release without new values, the release's own manifest. It is
	// called once the API server answers; its error ends doctor (bad values are no check).
	Manifest func(ctx context.Context) (string, error)
	// CreateNamespace is install's --create-namespace: the namespace may be missing, and
	// creating it is a permission install needs.
	CreateNamespace bool
	// HelmDriver is HELM_DRIVER: where Helm keeps the release record.
	HelmDriver string
	// Status reads the installed release (plugin/status); nil without RELEASE.
	Status func(ctx context.Context) (*status.Report, error)
}

// Run runs every check. The error is for doctor itself failing (bad values, a manifest that
// cannot be read); a failed check is a Result.
func (o *Options) Run(ctx context.Context) (*Report, error) {
	rep := &Report{Namespace: o.Namespace, Release: o.Release, Checks: []Result{}}
	add := func(rs ...Result) {
		for _, r := range rs {
			rep.Checks = append(rep.Checks, r)
			if r.Status == Fail {
				rep.Failed++
			}
		}
	}
	api := APIServer(ctx, o.Client, o.ClientErr, o.Target, o.KubeVersionConstraint)
	add(api)
	if api.Status == Fail {
		// Every other check asks the API server.
		return rep, nil
	}
	m, err := o.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	rel, err := check.ReadRelease(strings.NewReader(m), manifest.Limits{})
	if err != nil {
		return nil, fmt.Errorf("read the rendered manifest: %w", err)
	}
	var st *status.Report
	var statusErr error
	installed := false
	if o.Status != nil {
		st, statusErr = o.Status(ctx)
		switch {
		case errors.Is(statusErr, status.ErrNotFound):
			st, statusErr = nil, nil
		case statusErr != nil:
			add(result(CheckRelease, Fail, "cannot read release %s in namespace %s: %v", o.Release, o.Namespace, statusErr))
		default:
			installed = st.Release.Installed
		}
	}
	c := o.Client
	add(Swap(ctx, c))
	nsExists, nsResult := Namespace(ctx, c, o.Namespace, o.CreateNamespace)
	add(nsResult)
	add(Permissions(ctx, c, PermissionInput{Namespace: o.Namespace, Documents: rel.Documents, Installed: installed,
		CreateNamespace: o.CreateNamespace && !nsExists, HelmDriver: o.HelmDriver}))
	add(Escalation(ctx, c, o.Namespace, rel.Documents))
	add(PodSecurity(ctx, c, o.Namespace, nsExists, rel))
	add(Storage(ctx, c, o.Namespace, nsExists, rel))
	add(ExternalIPs(ctx, c, o.Namespace, nsExists, rel))
	add(HostAliases(ctx, c, o.Namespace, nsExists, o.Release, rel))
	if o.Status != nil && statusErr == nil {
		add(ReleaseChecks(ctx, c, o.Namespace, o.Release, st, rel)...)
	}
	return rep, nil
}

// WriteJSON writes the report as helm's -o json.
func (r *Report) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, r) }

// WriteYAML writes the report as helm's -o yaml.
func (r *Report) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, r) }

// WriteTable writes one line per check: status, name, message (with the fix).
func (r *Report) WriteTable(w io.Writer) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "%-4s  %-*s  %s\n", c.Status, width, c.Name, c.Message)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
