package check

import (
	"fmt"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// DAGRecovery: MR3 turns DAG recovery on when mr3.dag.recovery.enabled is absent, so the key
// must be explicit; when true the DAGAppMaster needs a PVC mounted at (or above)
// mr3.am.staging-dir, given by mr3.k8s.master.persistentvolumeclaim.mounts or env.sh
// WORK_DIR_PERSISTENT_VOLUME_CLAIM(_MOUNT_DIR).
func DAGRecovery(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil {
		return nil
	}
	c := r.Conf
	key := siteKey(contract.FileMR3Site, KeyDAGRecovery)
	raw, ok := c.Site.Get(KeyDAGRecovery)
	if !ok {
		return []Violation{violation(RuleDAGRecovery, c.Object, key,
			fmt.Sprintf("%s does not set %s, and MR3 then enables DAG recovery, which needs a work-dir PVC for the DAGAppMaster", contract.FileMR3Site, KeyDAGRecovery),
			fmt.Sprintf("set %s explicitly: false, or true together with a work-dir PVC (workDir in the values)", KeyDAGRecovery))}
	}
	on, err := mr3conf.ParseBool(raw)
	if err != nil {
		return []Violation{violation(RuleDAGRecovery, c.Object, key, fmt.Sprintf("%s %s: %v", contract.FileMR3Site, KeyDAGRecovery, err), "set it to true or false")}
	}
	if !on {
		return nil
	}
	staging, ok := c.Site.Get(contract.SiteStagingDir)
	staging = strings.TrimSpace(staging)
	if !ok || staging == "" {
		return []Violation{violation(RuleDAGRecovery, c.Object, siteKey(contract.FileMR3Site, contract.SiteStagingDir),
			fmt.Sprintf("%s %s=true, but %s is not set, so recovery data has no place on the work-dir PVC", contract.FileMR3Site, KeyDAGRecovery, contract.SiteStagingDir),
			fmt.Sprintf("set %s to the work-dir mount, e.g. /opt/mr3-run/work-dir", contract.SiteStagingDir))}
	}
	// The effective mr3-site.xml holds env.sh's -Dmr3.k8s.master.persistentvolumeclaim.mounts
	// (WORK_DIR_PERSISTENT_VOLUME_CLAIM=…_MOUNT_DIR) when env.sh sets a claim.
	type mount struct{ claim, dir, from string }
	var mounts []mount
	if p, ok := c.Site.Property(contract.SiteMasterPVCMounts); ok {
		from := fmt.Sprintf("%s %s", contract.FileMR3Site, contract.SiteMasterPVCMounts)
		if p.Override != nil {
			from = fmt.Sprintf("%s %s/%s via -D%s", contract.FileEnvSh, EnvWorkDirClaim, EnvWorkDirClaimMount, contract.SiteMasterPVCMounts)
		}
		for _, m := range mr3conf.SplitList(p.Value) {
			claim, dir, _ := strings.Cut(m, "=")
			mounts = append(mounts, mount{strings.TrimSpace(claim), strings.TrimSpace(dir), from})
		}
	}
	if len(mounts) == 0 {
		return []Violation{violation(RuleDAGRecovery, c.Object, key,
			fmt.Sprintf("%s %s=true with %s=%s, but no PVC is mounted in the DAGAppMaster (neither %s nor %s %s is set), so recovery data dies with the Pod",
				contract.FileMR3Site, KeyDAGRecovery, contract.SiteStagingDir, staging, contract.SiteMasterPVCMounts, contract.FileEnvSh, EnvWorkDirClaim),
			fmt.Sprintf("enable the work-dir PVC (workDir in the values) mounted at %s, or set %s to false", staging, KeyDAGRecovery))}
	}
	var out []Violation
	covered := false
	var seen []string
	for _, m := range mounts {
		if m.claim == "" || m.dir == "" {
			out = append(out, violation(RuleDAGRecovery, c.Object, key,
				fmt.Sprintf("%s names claim %q at %q; both are needed", m.from, m.claim, m.dir),
				"give the PVC name and its mount directory"))
			continue
		}
		seen = append(seen, fmt.Sprintf("%s at %s (%s)", m.claim, m.dir, m.from))
		if under(staging, m.dir) {
			covered = true
		}
	}
	if !covered && len(out) == 0 {
		out = append(out, violation(RuleDAGRecovery, c.Object, siteKey(contract.FileMR3Site, contract.SiteStagingDir),
			fmt.Sprintf("%s %s=true with %s=%s, but the DAGAppMaster mounts %s, which does not hold %s",
				contract.FileMR3Site, KeyDAGRecovery, contract.SiteStagingDir, staging, strings.Join(seen, ", "), staging),
			fmt.Sprintf("mount the work-dir PVC at %s, or set %s under the PVC mount", staging, contract.SiteStagingDir)))
	}
	return out
}
