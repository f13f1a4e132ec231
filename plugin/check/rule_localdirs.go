package check

import (
	"fmt"
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// LocalDirs: each spark.local.dir entry is a writable volume mount of every driver container
// (a Pod volume or one of the StatefulSet's volumeClaimTemplates), and a worker host path,
// emptyDir or local-dir PersistentVolume (MR3 mounts those at the same path in
// ContainerWorkers).
func LocalDirs(r *Release) []Violation {
	if r.Conf == nil || r.Conf.SparkDefaults == nil {
		return nil
	}
	c := r.Conf
	raw, _ := c.SparkDefaults.Get(KeyLocalDir)
	dirs := mr3conf.SplitList(raw)
	var out []Violation
	for _, dir := range dirs {
		if !path.IsAbs(dir) {
			out = append(out, violation(RuleLocalDirs, c.Object, siteKey(contract.FileSparkDefaults, KeyLocalDir),
				fmt.Sprintf("%s %s=%q has %q, which is not an absolute path", contract.FileSparkDefaults, KeyLocalDir, raw, dir),
				"list absolute directories in sparkDefaults spark.local.dir"))
		}
	}
	for _, d := range r.Drivers {
		var mounts []corev1.VolumeMount
		if d.Container != nil {
			mounts = d.Container.VolumeMounts
		}
		for _, dir := range dirs {
			i := slices.IndexFunc(mounts, func(m corev1.VolumeMount) bool { return path.Clean(m.MountPath) == path.Clean(dir) })
			field := fmt.Sprintf("%s container %s volumeMounts", d, containerName(d))
			if i < 0 {
				out = append(out, violation(RuleLocalDirs, d.Object, siteKey(contract.FileSparkDefaults, KeyLocalDir),
					fmt.Sprintf("%s %s lists %s, but %s has no mount at %s, so Spark writes shuffle and spill files into the container's own file system",
						contract.FileSparkDefaults, KeyLocalDir, dir, field, dir),
					fmt.Sprintf("mount a volume at %s in every driver (the chart does this for each spark.local.dir entry), or remove %s from %s", dir, dir, KeyLocalDir)))
				continue
			}
			m := mounts[i]
			kind, writable, found := volumeOf(d, m.Name)
			switch {
			case !found:
				out = append(out, violation(RuleLocalDirs, d.Object, siteKey(contract.FileSparkDefaults, KeyLocalDir),
					fmt.Sprintf("%s %s lists %s, and %s mounts volume %s there, but %s has neither a Pod volume nor a volumeClaimTemplate called %s, so the API server refuses the StatefulSet",
						contract.FileSparkDefaults, KeyLocalDir, dir, field, m.Name, d, m.Name),
					fmt.Sprintf("add a volume (or volumeClaimTemplate) %s, or mount an existing one at %s", m.Name, dir)))
			case m.ReadOnly || !writable:
				how := "read-only"
				if !m.ReadOnly {
					how = "from a " + kind + " volume, which Kubernetes mounts read-only"
				}
				out = append(out, violation(RuleLocalDirs, d.Object, siteKey(contract.FileSparkDefaults, KeyLocalDir),
					fmt.Sprintf("%s %s lists %s, but %s mounts volume %s there %s", contract.FileSparkDefaults, KeyLocalDir, dir, field, m.Name, how),
					fmt.Sprintf("mount a writable volume at %s (emptyDir, hostPath or a PersistentVolumeClaim)", dir)))
			}
		}
	}
	if c.Site == nil || len(dirs) == 0 {
		return out
	}
	hp, _ := c.Site.Get(contract.SiteWorkerHostPaths)
	ed, _ := c.Site.Get(KeyWorkerEmptyDirs)
	pv, _ := c.Site.Get(KeyWorkerLocalDirPVs)
	worker := map[string]bool{}
	for _, p := range slices.Concat(mr3conf.SplitList(hp), mr3conf.SplitList(ed), mr3conf.SplitList(pv)) {
		worker[path.Clean(p)] = true
	}
	for _, dir := range dirs {
		if !worker[path.Clean(dir)] {
			out = append(out, violation(RuleLocalDirs, c.Object, siteKey(contract.FileMR3Site, contract.SiteWorkerHostPaths),
				fmt.Sprintf("%s %s lists %s, but %s %s=%q, %s=%q and %s=%q do not, so ContainerWorkers write it inside the container",
					contract.FileSparkDefaults, KeyLocalDir, dir, contract.FileMR3Site, contract.SiteWorkerHostPaths, hp, KeyWorkerEmptyDirs, ed, KeyWorkerLocalDirPVs, pv),
				fmt.Sprintf("add %s to %s (host directories), %s or %s (a PersistentVolumeClaim per worker; localDirs.type in the values picks one)", dir, contract.SiteWorkerHostPaths, KeyWorkerEmptyDirs, KeyWorkerLocalDirPVs)))
		}
	}
	return out
}
