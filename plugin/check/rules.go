package check

import (
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Each rule lives in rule_NAME.go, its table test in rule_NAME_test.go (the shared fixtures
// in rules_test.go). This file holds the keys and helpers more than one rule uses.

// Configuration keys the rules read.
const (
	KeyLocalDir          = "spark.local.dir"
	KeyWorkerEmptyDirs   = "mr3.k8s.pod.worker.emptydirs"
	KeyWorkerLocalDirPVs = "mr3.k8s.worker.local.dir.persistentvolumes"
	KeyShuffleEnabled    = "spark.shuffle.service.enabled"
	KeyShufflePort       = "spark.shuffle.service.port"
	KeyDaemonShuffle     = "mr3.use.daemon.shufflehandler"
	KeyShufflePorts      = "mr3.k8s.shuffle.process.ports"
	KeyDAGRecovery       = "mr3.dag.recovery.enabled"
	KeyWorkerPVCMounts   = "mr3.k8s.worker.persistentvolumeclaim.mounts"
	KeyAMServiceHost     = "mr3.k8s.am.service.host"
	KeyAMServicePort     = "mr3.k8s.am.service.port"
	KeyAPIServerURL      = "mr3.k8s.api.server.url"
	KeyClientConfigFile  = "mr3.k8s.client.config.file"
	KeyUseTokenCACert    = "mr3.k8s.service.account.use.token.ca.cert.path"
	EnvWorkDirClaim      = "WORK_DIR_PERSISTENT_VOLUME_CLAIM"
	EnvWorkDirClaimMount = "WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR"
)

func violation(rule string, o Object, key, msg, fix string) Violation {
	return Violation{Rule: rule, Object: o.String(), Source: o.Source, Key: key, Message: msg, Fix: fix}
}

func siteKey(file, key string) string { return file + " " + key }

func envVar(c *corev1.Container, name string) *corev1.EnvVar {
	if c == nil {
		return nil
	}
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// literalEnv returns a literal env value; ok is false when the variable is missing or comes
// from a reference.
func literalEnv(c *corev1.Container, name string) (string, bool) {
	e := envVar(c, name)
	if e == nil || e.ValueFrom != nil {
		return "", false
	}
	return e.Value, true
}

func containerName(d *Driver) string {
	if d.Container == nil {
		return contract.DriverContainer
	}
	return d.Container.Name
}

// volumeOf finds the volume a mount of d names, a Pod volume or a volumeClaimTemplate, and
// tells its kind and whether it can be written at all (Kubernetes mounts configMap, secret,
// downwardAPI and projected volumes read-only).
func volumeOf(d *Driver, name string) (kind string, writable, found bool) {
	for _, v := range d.Pod().Spec.Volumes {
		if v.Name != name {
			continue
		}
		switch {
		case v.ConfigMap != nil:
			return "configMap", false, true
		case v.Secret != nil:
			return "secret", false, true
		case v.DownwardAPI != nil:
			return "downwardAPI", false, true
		case v.Projected != nil:
			return "projected", false, true
		case v.PersistentVolumeClaim != nil:
			return "persistentVolumeClaim", !v.PersistentVolumeClaim.ReadOnly, true
		case v.EmptyDir != nil:
			return "emptyDir", true, true
		case v.HostPath != nil:
			return "hostPath", true, true
		case v.Ephemeral != nil:
			return "ephemeral", true, true
		case v.CSI != nil:
			return "csi", v.CSI.ReadOnly == nil || !*v.CSI.ReadOnly, true
		case v.NFS != nil:
			return "nfs", !v.NFS.ReadOnly, true
		}
		return "volume", true, true
	}
	for _, t := range d.StatefulSet.Spec.VolumeClaimTemplates {
		if t.Name == name {
			return "volumeClaimTemplate", true, true
		}
	}
	return "", false, false
}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// formatLabels writes labels as k=v,k2=v2 in key order.
func formatLabels(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// selects reports whether a non-empty selector matches labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if lv, ok := labels[k]; !ok || lv != v {
			return false
		}
	}
	return true
}
