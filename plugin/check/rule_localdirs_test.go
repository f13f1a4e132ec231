package check

import (
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestLocalDirs(t *testing.T) {
	runRuleCases(t, RuleLocalDirs, LocalDirs, []ruleCase{
		{name: "pass"},
		{name: "unset spark.local.dir checks nothing",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.SparkDefaults.Delete(KeyLocalDir)
				r.Conf.Site.Set(contract.SiteWorkerHostPaths, "")
			}},
		{name: "driver lacks mount",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark2").Container
				c.VolumeMounts = nil
			},
			want: []string{"StatefulSet/spark2 [spark-defaults.conf spark.local.dir]: spark-defaults.conf spark.local.dir lists /data1/k8s, but StatefulSet/spark2 container driver volumeMounts has no mount at /data1/k8s"}},
		{name: "read-only mount",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Container.VolumeMounts[0].ReadOnly = true },
			want:   []string{"mounts volume local-dir-0 there read-only"}},
		{name: "relative dir and second dir everywhere missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.SparkDefaults.Set(KeyLocalDir, "/data1/k8s,tmp") },
			want: []string{
				`spark-defaults.conf spark.local.dir="/data1/k8s,tmp" has "tmp", which is not an absolute path`,
				"StatefulSet/spark1 container driver volumeMounts has no mount at tmp",
				"StatefulSet/spark2 container driver volumeMounts has no mount at tmp",
				"ConfigMap/rel-conf [mr3-site.xml mr3.k8s.pod.worker.hostpaths]: spark-defaults.conf spark.local.dir lists tmp, but mr3-site.xml mr3.k8s.pod.worker.hostpaths=\"/data1/k8s\"",
			}},
		{name: "workers lack the dir",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(contract.SiteWorkerHostPaths, "/data2/k8s") },
			want:   []string{`spark.local.dir lists /data1/k8s, but mr3-site.xml mr3.k8s.pod.worker.hostpaths="/data2/k8s", mr3.k8s.pod.worker.emptydirs="" and mr3.k8s.worker.local.dir.persistentvolumes="" do not`}},
		{name: "workers use emptyDirs",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(contract.SiteWorkerHostPaths, "")
				r.Conf.Site.Set(KeyWorkerEmptyDirs, "/data1/k8s")
			}},
		{name: "persistentVolumeClaim local dirs: worker PVs and driver volumeClaimTemplates",
			mutate: func(t *testing.T, r *Release) { pvcLocalDirs(t, r) }},
		{name: "persistentVolumeClaim local dirs without the worker key",
			mutate: func(t *testing.T, r *Release) {
				pvcLocalDirs(t, r)
				r.Conf.Site.Delete(KeyWorkerLocalDirPVs)
			},
			want: []string{`mr3.k8s.pod.worker.hostpaths="", mr3.k8s.pod.worker.emptydirs="" and mr3.k8s.worker.local.dir.persistentvolumes="" do not, so ContainerWorkers write it inside the container; fix: add /data1/k8s to mr3.k8s.pod.worker.hostpaths (host directories), mr3.k8s.pod.worker.emptydirs or mr3.k8s.worker.local.dir.persistentvolumes`}},
		{name: "mount of a volume that does not exist",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Container.VolumeMounts[0].Name = "nope" },
			want:   []string{"StatefulSet/spark2 container driver volumeMounts mounts volume nope there, but StatefulSet/spark2 has neither a Pod volume nor a volumeClaimTemplate called nope"}},
		{name: "mount of a configMap volume",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark2").Pod().Spec.Volumes[0].VolumeSource = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "rel-conf"}}}
			},
			want: []string{"mounts volume local-dir-0 there from a configMap volume, which Kubernetes mounts read-only"}},
	})
}

// pvcLocalDirs turns the release into localDirs.type=persistentVolumeClaim as the chart renders
// it: workers get mr3.k8s.worker.local.dir.persistentvolumes, drivers a volumeClaimTemplate
// per dir instead of a Pod volume.
func pvcLocalDirs(t *testing.T, r *Release) {
	t.Helper()
	r.Conf.Site.Set(contract.SiteWorkerHostPaths, "")
	r.Conf.Site.Set(KeyWorkerLocalDirPVs, "/data1/k8s")
	for _, d := range r.Drivers {
		spec := &d.StatefulSet.Spec
		vols := spec.Template.Spec.Volumes
		for i := 0; i < len(vols); i++ {
			if vols[i].Name == "local-dir-0" {
				vols = append(vols[:i], vols[i+1:]...)
				i--
			}
		}
		spec.Template.Spec.Volumes = vols
		spec.VolumeClaimTemplates = append(spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "local-dir-0"}})
	}
}
