// Package status reports a spark-mr3 release as one view: the Helm release, its driver Pods,
// and the DAGAppMaster and ContainerWorker Pods that MR3 created for it at run time (found by
// plugin/mr3runtime). It never reads or prints the DAGAppMaster token.
package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gosuri/uitable"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/cli/output"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/clock"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3runtime"
)

// ErrNotFound is returned (wrapped) when neither the release nor any of its objects exists.
var ErrNotFound = errors.New("release not found")

// Options say which release to report on and where to look.
type Options struct {
	Namespace string
	Release   string
	Client    kubernetes.Interface
	Helm      *action.Configuration
	Clock     clock.PassiveClock
}

// Report is the status of one release. Its JSON/YAML form is the -o json|yaml output.
type Report struct {
	Release Release `json:"release"`
	// Application is MR3's application ID, application_<ts>_0000, "" when unknown.
	Application string `json:"mr3Application,omitempty"`
	Drivers     []Pod  `json:"drivers"`
	DAGAppMaster
	Workers []Pod `json:"containerWorkers"`
	// MR3Objects are the ConfigMaps and Services MR3 made for the release, as kind/name.
	MR3Objects []string `json:"mr3Objects"`
	// Unattributed are MR3-looking objects in the namespace not tied to this release.
	Unattributed []string `json:"unattributed,omitempty"`
	Notes        []string `json:"notes,omitempty"`
	// Problems are parts of the release's configuration that could not be read (e.g. a broken
	// mr3-site.xml); the rest of the report was found without them.
	Problems []string `json:"problems,omitempty"`
}

// DAGAppMaster is MR3's AM: its Deployment(s) and Pod(s).
type DAGAppMaster struct {
	AMDeployments []string `json:"dagAppMasterDeployments"`
	// StaleAMDeployments are those of AMDeployments left from an earlier token of the release.
	StaleAMDeployments []string `json:"staleDagAppMasterDeployments,omitempty"`
	AMPods             []Pod    `json:"dagAppMasterPods"`
}

// Release is the Helm side.
type Release struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Installed is false when Helm has no record but objects of the release are left.
	Installed  bool       `json:"installed"`
	Revision   int        `json:"revision,omitempty"`
	State      string     `json:"state,omitempty"`
	Chart      string     `json:"chart,omitempty"`
	AppVersion string     `json:"appVersion,omitempty"`
	Updated    *time.Time `json:"updated,omitempty"`
}

// Pod is one row of a Pod table.
type Pod struct {
	Name     string    `json:"name"`
	Phase    string    `json:"phase"`
	Ready    string    `json:"ready"`
	Restarts int32     `json:"restarts"`
	Node     string    `json:"node,omitempty"`
	Created  time.Time `json:"created"`
	Age      string    `json:"age"`
}

// Run gathers the report.
func (o *Options) Run(ctx context.Context) (*Report, error) {
	if o.Release == "" || o.Namespace == "" || o.Client == nil || o.Helm == nil {
		return nil, errors.New("status needs a release, a namespace, a Kubernetes client and a helm action configuration")
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	now := o.Clock.Now()
	rep := &Report{Release: Release{Name: o.Release, Namespace: o.Namespace}, Drivers: []Pod{}, Workers: []Pod{}, MR3Objects: []string{}}
	rep.AMDeployments, rep.AMPods = []string{}, []Pod{}

	q := mr3runtime.Query{Namespace: o.Namespace, Release: o.Release}
	// Every revision Helm kept: a DAGAppMaster of a timestamp the release held before a token
	// change (--rotate-token, pinned values, helm rollback) is still the release's.
	hist, err := o.Helm.Releases.History(o.Release)
	switch {
	case err == nil && len(hist) > 0:
		var rel *release.Release
		for _, h := range hist {
			if rel == nil || h.Version > rel.Version {
				rel = h
			}
		}
		r := &rep.Release
		r.Installed, r.Revision = true, rel.Version
		if rel.Info != nil {
			r.State = rel.Info.Status.String()
			if !rel.Info.LastDeployed.IsZero() {
				t := rel.Info.LastDeployed.Time.UTC()
				r.Updated = &t
			}
		}
		if rel.Chart != nil && rel.Chart.Metadata != nil {
			r.Chart = rel.Chart.Metadata.Name + "-" + rel.Chart.Metadata.Version
			r.AppVersion = rel.Chart.Metadata.AppVersion
		}
		h := mr3runtime.HintsFromHistory(o.Namespace, o.Release, hist)
		// The live token Secret decides the current timestamp; the record gives the rest.
		q.Fullname, q.PastTimestamps, q.Refs = h.Fullname, append(h.PastTimestamps, h.Timestamp), h.Refs
	case err == nil || errors.Is(err, driver.ErrReleaseNotFound):
	default:
		return nil, fmt.Errorf("read release %q in namespace %q: %w", o.Release, o.Namespace, err)
	}

	objs, err := mr3runtime.FindQuery(ctx, o.Client, q)
	if err != nil {
		return nil, err
	}
	if objs.Timestamp != "" {
		rep.Application = "application_" + objs.Timestamp + "_0000"
	}
	sel := labels.SelectorFromSet(labels.Set{contract.LabelInstance: o.Release, contract.LabelComponent: contract.ComponentDriver})
	drivers, err := o.Client.CoreV1().Pods(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list driver pods of release %q in namespace %q: %w", o.Release, o.Namespace, err)
	}
	for _, p := range drivers.Items {
		rep.Drivers = append(rep.Drivers, podRow(&p, now))
	}
	sort.Slice(rep.Drivers, func(i, j int) bool { return rep.Drivers[i].Name < rep.Drivers[j].Name })
	for _, d := range objs.AMDeployments {
		rep.AMDeployments = append(rep.AMDeployments, d.Name)
	}
	rep.StaleAMDeployments = objs.Stale()
	for _, p := range objs.AMPods {
		rep.AMPods = append(rep.AMPods, podRow(&p, now))
	}
	for _, p := range objs.WorkerPods {
		rep.Workers = append(rep.Workers, podRow(&p, now))
	}
	for _, c := range objs.ConfigMaps {
		rep.MR3Objects = append(rep.MR3Objects, "configmap/"+c.Name)
	}
	for _, s := range objs.Services {
		rep.MR3Objects = append(rep.MR3Objects, "service/"+s.Name)
	}
	for _, u := range objs.Unattributed {
		rep.Unattributed = append(rep.Unattributed, fmt.Sprintf("%s/%s: %s", strings.ToLower(u.Kind), u.Name, u.Reason))
	}
	rep.Notes = objs.Notes
	rep.Problems = objs.Problems
	if !rep.Release.Installed {
		if len(rep.Drivers) == 0 && objs.Empty() {
			return nil, fmt.Errorf("release %q not found in namespace %q: %w", o.Release, o.Namespace, ErrNotFound)
		}
		rep.Notes = append(rep.Notes, fmt.Sprintf("release %q is not installed but objects of it are left; remove them with: helm sparkmr3 teardown %s -n %s", o.Release, o.Release, o.Namespace))
	}
	return rep, nil
}

func podRow(p *corev1.Pod, now time.Time) Pod {
	ready, total := 0, len(p.Spec.Containers)
	var restarts int32
	for _, c := range p.Status.ContainerStatuses {
		if c.Ready {
			ready++
		}
		restarts += c.RestartCount
	}
	phase := string(p.Status.Phase)
	if phase == "" {
		phase = string(corev1.PodPending)
	}
	if p.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	created := p.CreationTimestamp.Time.UTC()
	return Pod{Name: p.Name, Phase: phase, Ready: fmt.Sprintf("%d/%d", ready, total), Restarts: restarts,
		Node: p.Spec.NodeName, Created: created, Age: duration.HumanDuration(now.Sub(created))}
}

// Write prints the report in one of helm's output formats (pkg/cli/output): a table, JSON or
// YAML, encoded as helm encodes them.
func Write(w io.Writer, r *Report, format output.Format) error {
	return format.Write(w, r)
}

// WriteJSON writes the report as one line of JSON, as helm's -o json.
func (r *Report) WriteJSON(w io.Writer) error { return output.EncodeJSON(w, r) }

// WriteYAML writes the report as YAML, as helm's -o yaml.
func (r *Report) WriteYAML(w io.Writer) error { return output.EncodeYAML(w, r) }

// WriteTable writes the report for people: the release in helm status's "KEY: value" lines,
// then a table per kind of Pod and a list per kind of object, with the column names helm and
// kubectl print (NAME, READY, STATUS, RESTARTS, AGE, NODE).
func (r *Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	rel := r.Release
	fmt.Fprintf(&b, "NAME: %s\n", rel.Name)
	if rel.Installed && rel.Updated != nil {
		fmt.Fprintf(&b, "LAST DEPLOYED: %s\n", rel.Updated.Format(time.RFC3339))
	}
	fmt.Fprintf(&b, "NAMESPACE: %s\n", rel.Namespace)
	if rel.Installed {
		fmt.Fprintf(&b, "STATUS: %s\n", rel.State)
		fmt.Fprintf(&b, "REVISION: %d\n", rel.Revision)
		fmt.Fprintf(&b, "CHART: %s\n", rel.Chart)
	} else {
		fmt.Fprintf(&b, "STATUS: not installed\n")
	}
	app := r.Application
	if app == "" {
		app = "unknown"
	}
	fmt.Fprintf(&b, "MR3 APPLICATION: %s\n", app)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	pods := func(title string, ps []Pod) error {
		if _, err := fmt.Fprintf(w, "\n%s\n", title); err != nil {
			return err
		}
		if len(ps) == 0 {
			_, err := fmt.Fprintln(w, "none")
			return err
		}
		t := uitable.New()
		t.AddRow("NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE")
		for _, p := range ps {
			node := p.Node
			if node == "" {
				node = "<none>"
			}
			t.AddRow(p.Name, p.Ready, p.Phase, p.Restarts, p.Age, node)
		}
		return output.EncodeTable(w, t)
	}
	if err := pods(fmt.Sprintf("DRIVERS (%d)", len(r.Drivers)), r.Drivers); err != nil {
		return err
	}
	am := "DAGAPPMASTER"
	if len(r.AMDeployments) > 0 {
		var ds []string
		for _, d := range r.AMDeployments {
			if slices.Contains(r.StaleAMDeployments, d) {
				d += " of an earlier token"
			}
			ds = append(ds, "deployment/"+d)
		}
		am += " (" + strings.Join(ds, ", ") + ")"
	} else {
		am += " (no deployment)"
	}
	if err := pods(am, r.AMPods); err != nil {
		return err
	}
	if err := pods(fmt.Sprintf("CONTAINERWORKERS (%d)", len(r.Workers)), r.Workers); err != nil {
		return err
	}
	b.Reset()
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		for _, it := range items {
			fmt.Fprintf(&b, "%s\n", it)
		}
	}
	list("MR3 CONFIGMAPS AND SERVICES", r.MR3Objects)
	list("NOT TIED TO THIS RELEASE", r.Unattributed)
	list("NOTES", r.Notes)
	list("PROBLEMS", r.Problems)
	_, err := io.WriteString(w, b.String())
	return err
}
