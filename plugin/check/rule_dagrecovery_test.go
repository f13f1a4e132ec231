package check

import (
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"testing"
)

func TestDAGRecovery(t *testing.T) {
	noEnvClaim := func(t *testing.T, r *Release) {
		editEnvSh(t, r, "WORK_DIR_PERSISTENT_VOLUME_CLAIM='rel-workdir'", "WORK_DIR_PERSISTENT_VOLUME_CLAIM=''")
	}
	runRuleCases(t, RuleDAGRecovery, DAGRecovery, []ruleCase{
		{name: "pass"},
		{name: "off needs nothing",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) {
					c.SiteFile.Set(KeyDAGRecovery, "false")
					c.SiteFile.Delete(contract.SiteMasterPVCMounts)
				})
				noEnvClaim(t, r)
			}},
		{name: "env.sh claim alone is enough",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Delete(contract.SiteMasterPVCMounts) })
			}},
		{name: "staging dir under the mount",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(contract.SiteStagingDir, "/opt/mr3-run/work-dir/staging")
			}},
		{name: "not explicit",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Delete(KeyDAGRecovery) },
			want:   []string{"mr3-site.xml does not set mr3.dag.recovery.enabled, and MR3 then enables DAG recovery"}},
		{name: "not a boolean",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyDAGRecovery, "on") },
			want:   []string{`mr3.dag.recovery.enabled: "on" is not a boolean`}},
		{name: "no PVC",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Delete(contract.SiteMasterPVCMounts) })
				noEnvClaim(t, r)
			},
			want: []string{"mr3-site.xml mr3.dag.recovery.enabled=true with mr3.am.staging-dir=/opt/mr3-run/work-dir, but no PVC is mounted in the DAGAppMaster"}},
		{name: "staging dir off the PVC",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(contract.SiteStagingDir, "/tmp/staging") },
			want: []string{"mr3.am.staging-dir=/tmp/staging, but the DAGAppMaster mounts " +
				"rel-workdir at /opt/mr3-run/work-dir (env.sh WORK_DIR_PERSISTENT_VOLUME_CLAIM/WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR via -Dmr3.k8s.master.persistentvolumeclaim.mounts), which does not hold /tmp/staging"}},
		{name: "staging dir missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Delete(contract.SiteStagingDir) },
			want:   []string{"mr3.dag.recovery.enabled=true, but mr3.am.staging-dir is not set"}},
		{name: "mount without dir",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set(contract.SiteMasterPVCMounts, "rel-workdir") })
				noEnvClaim(t, r)
			},
			want: []string{`mr3-site.xml mr3.k8s.master.persistentvolumeclaim.mounts names claim "rel-workdir" at ""`}},
	})
}
