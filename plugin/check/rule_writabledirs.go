package check

import (
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Directories MR3's driver scripts write below BASE_DIR (kubernetes/spark/Dockerfile creates
// and chowns them; the scripts make one output dir per run in them).
const (
	SubmitResultDir = "spark/spark-submit-result"
	ShellResultDir  = "spark/spark-shell-result"
)

// WritableDirs: a driver with a read-only root file system needs a writable volume at (or
// above) every path MR3's scripts write: mr3.am.staging-dir of the effective mr3-site.xml
// (the MR3 client creates .mr3/application_<ts>_0000 there) and the spark-submit-result /
// spark-shell-result dirs below the scripts' BASE_DIR (each run makes its output dir there).
func WritableDirs(r *Release) []Violation {
	staging := ""
	if r.Conf != nil && r.Conf.Site != nil {
		v, _ := r.Conf.Site.Get(contract.SiteStagingDir)
		staging = strings.TrimSpace(v)
	}
	var out []Violation
	for _, d := range r.Drivers {
		if d.Container == nil {
			continue
		}
		if sc := d.Container.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			continue
		}
		shellBase := baseDirOf(d)
		if cmd := d.Pod().Annotations[contract.AnnotationShellCommand]; path.IsAbs(cmd) {
			shellBase = path.Dir(path.Dir(path.Clean(cmd)))
		}
		paths := []struct{ dir, what string }{
			{staging, fmt.Sprintf("%s in %s, where the MR3 client creates .mr3/application_<ts>_0000", contract.SiteStagingDir, contract.FileMR3Site)},
			{path.Join(baseDirOf(d), SubmitResultDir), "where run-spark-submit.sh makes each run's output dir"},
			{path.Join(shellBase, ShellResultDir), "where run-spark-shell.sh makes each run's output dir"},
		}
		for _, p := range paths {
			if !path.IsAbs(p.dir) {
				continue
			}
			head := fmt.Sprintf("%s container %s has readOnlyRootFilesystem: true", d, containerName(d))
			fix := fmt.Sprintf("set containerSecurityContext.readOnlyRootFilesystem: false (PodSecurity restricted does not require it), or mount a writable volume at %s (drivers[].writableDirs; workDir.enabled with mountOnDrivers for the staging dir)", p.dir)
			m, ok := coveringMount(d, p.dir)
			if !ok {
				out = append(out, violation(RuleWritableDirs, d.Object, "securityContext.readOnlyRootFilesystem",
					fmt.Sprintf("%s, but no volume is mounted at or above %s (%s), so the driver cannot write there and the job fails", head, p.dir, p.what), fix))
				continue
			}
			if kind, writable, _ := volumeOf(d, m.Name); m.ReadOnly || !writable {
				how := "read-only"
				if !m.ReadOnly {
					how = "from a " + kind + " volume, which Kubernetes mounts read-only"
				}
				out = append(out, violation(RuleWritableDirs, d.Object, "securityContext.readOnlyRootFilesystem",
					fmt.Sprintf("%s, and %s (%s) is on volume %s mounted at %s %s, so the driver cannot write there and the job fails", head, p.dir, p.what, m.Name, m.MountPath, how), fix))
			}
		}
	}
	return out
}

// coveringMount is the deepest mount of d's container at or above dir.
func coveringMount(d *Driver, dir string) (corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	found := false
	for _, m := range d.Container.VolumeMounts {
		if under(dir, m.MountPath) && (!found || len(path.Clean(m.MountPath)) > len(path.Clean(best.MountPath))) {
			best, found = m, true
		}
	}
	return best, found
}
