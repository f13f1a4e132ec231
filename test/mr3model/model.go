// Package mr3model is an executable model of MR3's driver scripts (run-spark-submit.sh,
// run-spark-shell.sh and what they source) for spark-mr3's tests, and the stager that lays a
// release's driver Pod out on this machine for it. kwok runs every `exec` into a simulated Pod
// on the test machine, with the machine's environment and filesystem; the stager gives each
// driver a folder ROOT/<driver>/ standing for the Pod's "/", with MR3's image layout under
// opt/mr3-run/, the Pod's mounts filled from the API (env.sh, conf, keys), the Pod's resolved
// environment and its writable paths, so the model runs as MR3's scripts would in that Pod.
//
// The bash files under image/ are written for spark-mr3 from what MR3's scripts do (docs/DESIGN.md,
// "The model of MR3's driver scripts"); nothing is copied from MR3. Test-only: product code
// never imports it.
package mr3model

import (
	"embed"
	"fmt"
	"path/filepath"
)

// image holds the model's files, laid out as in MR3's image under /opt/mr3-run.
//
//go:embed all:image
var image embed.FS

// Paths in MR3's driver image.
const (
	RemoteBase   = "/opt/mr3-run"
	SubmitScript = RemoteBase + "/spark/run-spark-submit.sh"
	ShellScript  = RemoteBase + "/spark/run-spark-shell.sh"
	// ImageWorkDir is the image's WORKDIR, where an exec starts when the container sets none.
	ImageWorkDir = RemoteBase + "/spark"
	// modelDir holds the model's own files (lib.sh, pod-env, pod-mounts, runs/).
	modelDir = RemoteBase + "/.mr3model"
)

// imageDirs are the folders MR3's Dockerfile creates (and partly chowns to the spark user),
// plus /tmp of the base image. `mkdir -p` of an existing one writes nothing, so it succeeds
// even on a read-only root, as in the real image.
var imageDirs = []string{
	"/tmp",
	RemoteBase + "/work-dir",
	RemoteBase + "/work-local-dir",
	RemoteBase + "/key",
	RemoteBase + "/conf",
	RemoteBase + "/lib",
	RemoteBase + "/mr3/mr3lib",
	RemoteBase + "/spark/lib",
	RemoteBase + "/spark/bin",
	RemoteBase + "/spark/sbin",
	RemoteBase + "/spark/jars",
	RemoteBase + "/spark/sparkmr3",
	RemoteBase + "/spark/spark-submit-result",
	RemoteBase + "/spark/spark-shell-result",
}

// Root is the folder under which each driver D gets ROOT/D/ for its Pod's "/".
type Root string

// PodRoot is the host folder standing for driver D's "/".
func (r Root) PodRoot(driver string) string { return filepath.Join(string(r), driver) }

// SubmitCommand is the path to give drivers[i].command.submit so that `helm sparkmr3 submit`
// (through kwok) runs the model staged for driver D.
func (r Root) SubmitCommand(driver string) string { return r.PodRoot(driver) + SubmitScript }

// ShellCommand is the same for drivers[i].command.shell.
func (r Root) ShellCommand(driver string) string { return r.PodRoot(driver) + ShellScript }

// SetValues are `--set` arguments naming the drivers and pointing their commands at the model.
func (r Root) SetValues(drivers ...string) []string {
	var out []string
	for i, d := range drivers {
		out = append(out,
			"--set", fmt.Sprintf("drivers[%d].name=%s", i, d),
			"--set", fmt.Sprintf("drivers[%d].command.submit=%s", i, r.SubmitCommand(d)),
			"--set", fmt.Sprintf("drivers[%d].command.shell=%s", i, r.ShellCommand(d)))
	}
	return out
}

// Values is the same as a values map (for the Helm SDK).
func (r Root) Values(drivers ...string) map[string]any {
	var list []any
	for _, d := range drivers {
		list = append(list, map[string]any{"name": d, "command": map[string]any{
			"submit": r.SubmitCommand(d), "shell": r.ShellCommand(d)}})
	}
	return map[string]any{"drivers": list}
}
