package driver

import (
	"fmt"
	corev1 "k8s.io/api/core/v1"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/rollout"
)

// Select picks the driver to run on: the one named, else the only one, else the first Ready one
// by name, with a note saying which was picked and how to choose. The API has no sign of whether
// a driver is already running a job, so "idle" is not judged: with several drivers, name one.
func Select(drivers []rollout.DriverPod, name string) (d rollout.DriverPod, note string, err error) {
	if len(drivers) == 0 {
		return d, "", fmt.Errorf("the release has no driver")
	}
	names := make([]string, len(drivers))
	for i, x := range drivers {
		names[i] = x.Name
	}
	if name != "" {
		for _, x := range drivers {
			if x.Name == name {
				if !x.Ready() {
					return d, "", fmt.Errorf("driver %s is not ready: %s", name, x.State)
				}
				return x, "", nil
			}
		}
		return d, "", fmt.Errorf("no driver %q; drivers: %s", name, strings.Join(names, ", "))
	}
	for _, x := range drivers {
		if !x.Ready() {
			continue
		}
		if len(drivers) == 1 {
			return x, "", nil
		}
		return x, fmt.Sprintf("using driver %s (drivers: %s; choose with --driver)", x.Name, strings.Join(names, ", ")), nil
	}
	return d, "", fmt.Errorf("no driver is ready; drivers: %s", strings.Join(names, ", "))
}

// command is the Pod's driver command for the verb (PodCommand).
func command(d rollout.DriverPod, v Verb) string { return PodCommand(d.Pod, v) }

// PodCommand is a driver Pod's command for the verb: its sparkmr3.io/submit-command or
// shell-command annotation, else the image default. pod may be nil.
func PodCommand(pod *corev1.Pod, v Verb) string {
	key, def := contract.AnnotationSubmitCommand, DefaultSubmitCommand
	if v == Shell {
		key, def = contract.AnnotationShellCommand, DefaultShellCommand
	}
	if pod != nil {
		if c := strings.TrimSpace(pod.Annotations[key]); c != "" {
			return c
		}
	}
	return def
}
