// Package logs shows what a spark-mr3 release's jobs wrote. MR3's driver scripts make one
// result folder per run, spark-mr3-<start time>-<uuid>, under spark-submit-result/ and
// spark-shell-result/ of SPARK_BASE_DIR (BASE_DIR/spark, BASE_DIR being the parent of the
// script's folder), and run-spark-submit.sh tees the job's output into
// <run>/spark-logs/out-spark-submit.txt (run-spark-shell.sh keeps no copy). The runs are listed
// and read inside the driver Pod over exec, with commands MR3's image has (sh, cat, tail); with
// workDir.driverLogs the chart mounts the work-dir claim at those same folders, so the same
// reads reach the claim. The DAGAppMaster's and ContainerWorkers' own Pod logs come from the
// API (pods/log), the Pods found by plugin/mr3runtime.
package logs

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/driver"
)

// Driver is one driver of a release: its entry name (the user's --driver) and its Pod.
type Driver struct {
	// Name is the driver entry's name, the Pod's sparkmr3.io/driver label.
	Name string
	Pod  *corev1.Pod
}

// Running reports whether exec and port-forward can reach the driver's container.
func (d Driver) Running() bool {
	return d.Pod != nil && d.Pod.DeletionTimestamp == nil && d.Pod.Status.Phase == corev1.PodRunning
}

// DriverSelector selects the driver Pods of release (docs/DESIGN.md "Labels").
func DriverSelector(release string) string {
	return labels.SelectorFromSet(labels.Set{contract.LabelInstance: release, contract.LabelComponent: contract.ComponentDriver}).String()
}

// FindDrivers lists the driver Pods of release by their labels, sorted by entry name. The
// entry name is the sparkmr3.io/driver label (else sparkmr3_app, else the Pod's name), never
// derived from the Pod's name, which the chart is free to change.
func FindDrivers(ctx context.Context, client kubernetes.Interface, namespace, release string) ([]Driver, error) {
	pods, err := client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: DriverSelector(release)})
	if err != nil {
		return nil, fmt.Errorf("list the driver Pods of release %q in namespace %q: %w", release, namespace, err)
	}
	var out []Driver
	for i := range pods.Items {
		p := &pods.Items[i]
		name := p.Labels[contract.LabelDriver]
		if name == "" {
			name = p.Labels[contract.LabelApp]
		}
		if name == "" {
			name = p.Name
		}
		out = append(out, Driver{Name: name, Pod: p})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		// A StatefulSet's replacement Pod (same driver) sorts after the one going away.
		return out[i].Running() && !out[j].Running()
	})
	return out, nil
}

// Names lists the drivers' entry names, once each.
func Names(drivers []Driver) []string {
	var names []string
	for _, d := range drivers {
		if len(names) == 0 || names[len(names)-1] != d.Name {
			names = append(names, d.Name)
		}
	}
	return names
}

// PickDriver chooses the driver to read from: the one named, else the only one, else the first
// running one by name, with a note saying which was used and how to choose. The Pod must be
// running (exec and port-forward need its container).
func PickDriver(drivers []Driver, name, release, namespace string) (Driver, string, error) {
	if len(drivers) == 0 {
		return Driver{}, "", fmt.Errorf("release %q has no driver Pod in namespace %q (labels %s): check the release and namespace with 'helm sparkmr3 status %s -n %s'",
			release, namespace, DriverSelector(release), release, namespace)
	}
	names := Names(drivers)
	if name != "" {
		var found *Driver
		for i := range drivers {
			if drivers[i].Name == name && (found == nil || drivers[i].Running()) {
				found = &drivers[i]
			}
		}
		if found == nil {
			return Driver{}, "", fmt.Errorf("release %q has no driver %q; its drivers: %s (choose one with --driver)", release, name, strings.Join(names, ", "))
		}
		if !found.Running() {
			return Driver{}, "", notRunning(*found)
		}
		return *found, "", nil
	}
	for _, d := range drivers {
		if !d.Running() {
			continue
		}
		if len(names) == 1 {
			return d, "", nil
		}
		return d, fmt.Sprintf("using driver %s (drivers: %s; choose with --driver)", d.Name, strings.Join(names, ", ")), nil
	}
	if len(names) == 1 {
		return Driver{}, "", notRunning(drivers[0])
	}
	return Driver{}, "", fmt.Errorf("no driver Pod of release %q is running; drivers: %s (see 'helm sparkmr3 status %s')", release, strings.Join(names, ", "), release)
}

func notRunning(d Driver) error {
	phase := string(d.Pod.Status.Phase)
	if d.Pod.DeletionTimestamp != nil {
		phase = "Terminating"
	}
	return fmt.Errorf("driver %s (Pod %s) is %s, not Running: its files are read inside the running container; wait for it (helm sparkmr3 status) or choose another with --driver", d.Name, d.Pod.Name, phase)
}

// Container is the driver Pod's container that runs the driver command.
func (d Driver) Container() string { return driver.Container(d.Pod) }
