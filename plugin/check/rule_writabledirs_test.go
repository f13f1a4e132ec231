package check

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

func TestWritableDirs(t *testing.T) {
	readOnly := func(d *Driver) {
		d.Container.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(true)}
	}
	const head = "StatefulSet/spark2 [securityContext.readOnlyRootFilesystem]: StatefulSet/spark2 container driver has readOnlyRootFilesystem: true, but no volume is mounted at or above "
	runRuleCases(t, RuleWritableDirs, WritableDirs, []ruleCase{
		{name: "pass"},
		{name: "writable root needs nothing",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.SecurityContext.ReadOnlyRootFilesystem = ptr.To(false)
			}},
		{name: "one writable volume above everything",
			mutate: func(t *testing.T, r *Release) {
				d := drv(t, r, "spark2")
				readOnly(d)
				d.Container.VolumeMounts = append(d.Container.VolumeMounts, corev1.VolumeMount{Name: "local-dir-0", MountPath: "/opt/mr3-run"})
			}},
		{name: "read-only root without writable dirs",
			mutate: func(t *testing.T, r *Release) { readOnly(drv(t, r, "spark2")) },
			want: []string{
				head + "/opt/mr3-run/work-dir (mr3.am.staging-dir in mr3-site.xml, where the MR3 client creates .mr3/application_<ts>_0000), so the driver cannot write there and the job fails; fix: set containerSecurityContext.readOnlyRootFilesystem: false (PodSecurity restricted does not require it), or mount a writable volume at /opt/mr3-run/work-dir",
				head + "/opt/mr3-run/spark/spark-submit-result (where run-spark-submit.sh makes each run's output dir)",
				head + "/opt/mr3-run/spark/spark-shell-result (where run-spark-shell.sh makes each run's output dir)",
			}},
		{name: "result dir missing",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				c.VolumeMounts = c.VolumeMounts[:len(c.VolumeMounts)-1]
			},
			want: []string{"StatefulSet/spark1 container driver has readOnlyRootFilesystem: true, but no volume is mounted at or above /opt/mr3-run/spark/spark-shell-result"}},
		{name: "staging dir mounted read-only",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Container.VolumeMounts[3].ReadOnly = true },
			want:   []string{"and /opt/mr3-run/work-dir (mr3.am.staging-dir in mr3-site.xml, where the MR3 client creates .mr3/application_<ts>_0000) is on volume work-dir mounted at /opt/mr3-run/work-dir read-only"}},
		{name: "staging dir under a Secret volume",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(contract.SiteStagingDir, "/opt/mr3-run/key/staging") },
			want:   []string{"is on volume key mounted at /opt/mr3-run/key read-only"}},
		{name: "staging dir under a configMap volume mounted without readOnly",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(contract.SiteStagingDir, "/opt/mr3-run/conf/staging")
				drv(t, r, "spark1").Container.VolumeMounts[0].ReadOnly = false
			},
			want: []string{"is on volume conf mounted at /opt/mr3-run/conf from a configMap volume, which Kubernetes mounts read-only"}},
		{name: "scripts elsewhere in the image",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Pod().Annotations[contract.AnnotationSubmitCommand] = "/usr/local/mr3/spark/run-spark-submit.sh"
			},
			want: []string{"no volume is mounted at or above /usr/local/mr3/spark/spark-submit-result"}},
		{name: "no staging dir set",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Delete(contract.SiteStagingDir)
				c := drv(t, r, "spark1").Container
				c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "work-dir" })
			}},
	})
}
