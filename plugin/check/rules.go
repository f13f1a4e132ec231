package check

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// Configuration keys the rules read.
const (
	KeyHostAliases       = "mr3.k8s.host.aliases"
	KeyLocalDir          = "spark.local.dir"
	KeyWorkerHostPaths   = "mr3.k8s.pod.worker.hostpaths"
	KeyWorkerEmptyDirs   = "mr3.k8s.pod.worker.emptydirs"
	KeyWorkerLocalDirPVs = "mr3.k8s.worker.local.dir.persistentvolumes"
	KeyShuffleEnabled    = "spark.shuffle.service.enabled"
	KeyShufflePort       = "spark.shuffle.service.port"
	KeyDaemonShuffle     = "mr3.use.daemon.shufflehandler"
	KeyShufflePorts      = "mr3.k8s.shuffle.process.ports"
	KeyDAGRecovery       = "mr3.dag.recovery.enabled"
	KeyStagingDir        = "mr3.am.staging-dir"
	KeyMasterPVCMounts   = "mr3.k8s.master.persistentvolumeclaim.mounts"
	KeyWorkerPVCMounts   = "mr3.k8s.worker.persistentvolumeclaim.mounts"
	KeyAMServiceHost     = "mr3.k8s.am.service.host"
	KeyAMServicePort     = "mr3.k8s.am.service.port"
	KeyMasterLabels      = "mr3.k8s.master.pod.additional.labels"
	KeyAPIServerURL      = "mr3.k8s.api.server.url"
	KeyClientConfigFile  = "mr3.k8s.client.config.file"
	KeyUseTokenCACert    = "mr3.k8s.service.account.use.token.ca.cert.path"
	EnvWorkDirClaim      = "WORK_DIR_PERSISTENT_VOLUME_CLAIM"
	EnvWorkDirClaimMount = "WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR"
)

// Spark's default external shuffle service port, used when spark.shuffle.service.port is unset.
const defaultShufflePort = 7337

// memoryHeadroom is the share of the container memory limit the driver heap may use; the JVM
// needs the rest for metaspace, threads and direct buffers (MR3's sample uses 80 %).
const memoryHeadroom = 0.9

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
		return DriverContainer
	}
	return d.Container.Name
}

// HostAliases: every host=ip of mr3.k8s.host.aliases (what ContainerWorkers resolve) is in
// each driver Pod's hostAliases with the same IP and vice versa; mr3-site-outside.xml, when
// present, lists the same aliases.
func HostAliases(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil {
		return nil
	}
	c := r.Conf
	const fixOne = "set the alias once in the values list hostAliases (the chart renders mr3.k8s.host.aliases and every driver's hostAliases from it); an overlay must edit both"
	raw, _ := c.Site.Get(KeyHostAliases)
	conf, err := mr3conf.ParseHostAliases(raw)
	if err != nil {
		return []Violation{violation(RuleHostAliases, c.Object, siteKey(FileMR3Site, KeyHostAliases),
			fmt.Sprintf("%s %s=%q: %v", FileMR3Site, KeyHostAliases, raw, err), fixOne)}
	}
	confIP := map[string]netip.Addr{}
	for _, a := range conf {
		confIP[a.Host] = a.IP
	}
	var out []Violation
	if c.Outside != nil {
		rawOut, _ := c.Outside.Get(KeyHostAliases)
		outside, err := mr3conf.ParseHostAliases(rawOut)
		switch {
		case err != nil:
			out = append(out, violation(RuleHostAliases, c.Object, siteKey(FileMR3SiteOutside, KeyHostAliases),
				fmt.Sprintf("%s %s=%q: %v", FileMR3SiteOutside, KeyHostAliases, rawOut, err), fixOne))
		case mr3conf.FormatHostAliases(sortedAliases(outside)) != mr3conf.FormatHostAliases(sortedAliases(conf)):
			out = append(out, violation(RuleHostAliases, c.Object, siteKey(FileMR3SiteOutside, KeyHostAliases),
				fmt.Sprintf("%s %s=%q differs from %s %s=%q; drivers outside and inside Kubernetes share one DAGAppMaster, whose ContainerWorkers get the aliases of whichever driver started it",
					FileMR3SiteOutside, KeyHostAliases, rawOut, FileMR3Site, KeyHostAliases, raw), fixOne))
		}
	}
	for _, h := range r.OutsideHosts {
		if _, ok := confIP[h]; !ok {
			out = append(out, violation(RuleHostAliases, c.Object, siteKey(FileMR3Site, KeyHostAliases),
				fmt.Sprintf("outside driver host %s (annotation %s) is not in %s %s=%q, so executors cannot reach drivers on it (java.net.UnknownHostException)",
					h, AnnotationOutsideHosts, FileMR3Site, KeyHostAliases, raw),
				fmt.Sprintf("add {ip: <address of %s>, hostnames: [%s]} to the values list hostAliases", h, h)))
		}
	}
	for _, d := range r.Drivers {
		field := d.String() + " spec.template.spec.hostAliases"
		podIP := map[string]netip.Addr{}
		var podHosts []string
		for _, ha := range d.Pod().Spec.HostAliases {
			ip, err := netip.ParseAddr(ha.IP)
			if err != nil {
				out = append(out, violation(RuleHostAliases, d.Object, "spec.template.spec.hostAliases",
					fmt.Sprintf("%s has ip %q for %v, which is not an IP address", field, ha.IP, ha.Hostnames), fixOne))
				continue
			}
			for _, h := range ha.Hostnames {
				if prev, dup := podIP[h]; dup && prev != ip {
					out = append(out, violation(RuleHostAliases, d.Object, "spec.template.spec.hostAliases",
						fmt.Sprintf("%s maps %s to both %s and %s", field, h, prev, ip), fixOne))
					continue
				}
				if _, dup := podIP[h]; !dup {
					podHosts = append(podHosts, h)
				}
				podIP[h] = ip
			}
		}
		for _, a := range conf {
			ip, ok := podIP[a.Host]
			switch {
			case !ok:
				out = append(out, violation(RuleHostAliases, d.Object, siteKey(FileMR3Site, KeyHostAliases),
					fmt.Sprintf("%s %s maps %s to %s, but %s has no entry for %s, so the driver cannot resolve a host its executors can",
						FileMR3Site, KeyHostAliases, a.Host, a.IP, field, a.Host), fixOne))
			case ip != a.IP:
				out = append(out, violation(RuleHostAliases, d.Object, siteKey(FileMR3Site, KeyHostAliases),
					fmt.Sprintf("%s %s maps %s to %s, but %s maps it to %s", FileMR3Site, KeyHostAliases, a.Host, a.IP, field, ip), fixOne))
			}
		}
		for _, h := range podHosts {
			if _, ok := confIP[h]; !ok {
				out = append(out, violation(RuleHostAliases, d.Object, siteKey(FileMR3Site, KeyHostAliases),
					fmt.Sprintf("%s maps %s to %s, but %s %s has no entry for %s, so ContainerWorkers cannot resolve it (java.net.UnknownHostException)",
						field, h, podIP[h], FileMR3Site, KeyHostAliases, h), fixOne))
			}
		}
	}
	return out
}

func sortedAliases(a []mr3conf.HostAlias) []mr3conf.HostAlias {
	s := slices.Clone(a)
	slices.SortFunc(s, func(x, y mr3conf.HostAlias) int { return strings.Compare(x.Host, y.Host) })
	return s
}

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
			out = append(out, violation(RuleLocalDirs, c.Object, siteKey(FileSparkDefaults, KeyLocalDir),
				fmt.Sprintf("%s %s=%q has %q, which is not an absolute path", FileSparkDefaults, KeyLocalDir, raw, dir),
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
				out = append(out, violation(RuleLocalDirs, d.Object, siteKey(FileSparkDefaults, KeyLocalDir),
					fmt.Sprintf("%s %s lists %s, but %s has no mount at %s, so Spark writes shuffle and spill files into the container's own file system",
						FileSparkDefaults, KeyLocalDir, dir, field, dir),
					fmt.Sprintf("mount a volume at %s in every driver (the chart does this for each spark.local.dir entry), or remove %s from %s", dir, dir, KeyLocalDir)))
				continue
			}
			m := mounts[i]
			kind, writable, found := volumeOf(d, m.Name)
			switch {
			case !found:
				out = append(out, violation(RuleLocalDirs, d.Object, siteKey(FileSparkDefaults, KeyLocalDir),
					fmt.Sprintf("%s %s lists %s, and %s mounts volume %s there, but %s has neither a Pod volume nor a volumeClaimTemplate called %s, so the API server refuses the StatefulSet",
						FileSparkDefaults, KeyLocalDir, dir, field, m.Name, d, m.Name),
					fmt.Sprintf("add a volume (or volumeClaimTemplate) %s, or mount an existing one at %s", m.Name, dir)))
			case m.ReadOnly || !writable:
				how := "read-only"
				if !m.ReadOnly {
					how = "from a " + kind + " volume, which Kubernetes mounts read-only"
				}
				out = append(out, violation(RuleLocalDirs, d.Object, siteKey(FileSparkDefaults, KeyLocalDir),
					fmt.Sprintf("%s %s lists %s, but %s mounts volume %s there %s", FileSparkDefaults, KeyLocalDir, dir, field, m.Name, how),
					fmt.Sprintf("mount a writable volume at %s (emptyDir, hostPath or a PersistentVolumeClaim)", dir)))
			}
		}
	}
	if c.Site == nil || len(dirs) == 0 {
		return out
	}
	hp, _ := c.Site.Get(KeyWorkerHostPaths)
	ed, _ := c.Site.Get(KeyWorkerEmptyDirs)
	pv, _ := c.Site.Get(KeyWorkerLocalDirPVs)
	worker := map[string]bool{}
	for _, p := range slices.Concat(mr3conf.SplitList(hp), mr3conf.SplitList(ed), mr3conf.SplitList(pv)) {
		worker[path.Clean(p)] = true
	}
	for _, dir := range dirs {
		if !worker[path.Clean(dir)] {
			out = append(out, violation(RuleLocalDirs, c.Object, siteKey(FileMR3Site, KeyWorkerHostPaths),
				fmt.Sprintf("%s %s lists %s, but %s %s=%q, %s=%q and %s=%q do not, so ContainerWorkers write it inside the container",
					FileSparkDefaults, KeyLocalDir, dir, FileMR3Site, KeyWorkerHostPaths, hp, KeyWorkerEmptyDirs, ed, KeyWorkerLocalDirPVs, pv),
				fmt.Sprintf("add %s to %s (host directories), %s or %s (a PersistentVolumeClaim per worker; localDirs.type in the values picks one)", dir, KeyWorkerHostPaths, KeyWorkerEmptyDirs, KeyWorkerLocalDirPVs)))
		}
	}
	return out
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

// Shuffle: Spark's external shuffle service is MR3's per-worker shuffle handler process, so
// spark.shuffle.service.enabled=true needs mr3.use.daemon.shufflehandler=0 and the same port
// in spark.shuffle.service.port and mr3.k8s.shuffle.process.ports; false needs built-in
// handlers (> 0).
func Shuffle(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil || r.Conf.SparkDefaults == nil {
		return nil
	}
	c := r.Conf
	sd, site := c.SparkDefaults, c.Site
	var out []Violation
	enabledRaw, enabledSet := sd.Get(KeyShuffleEnabled)
	enabled := false
	if enabledSet {
		b, err := mr3conf.ParseBool(enabledRaw)
		if err != nil {
			return []Violation{violation(RuleShuffle, c.Object, siteKey(FileSparkDefaults, KeyShuffleEnabled),
				fmt.Sprintf("%s %s: %v", FileSparkDefaults, KeyShuffleEnabled, err), "set it to true (recommended) or false")}
		}
		enabled = b
	}
	enabledText := fmt.Sprintf("%s %s=%t", FileSparkDefaults, KeyShuffleEnabled, enabled)
	if !enabledSet {
		enabledText = fmt.Sprintf("%s leaves %s unset (Spark's default false)", FileSparkDefaults, KeyShuffleEnabled)
	}
	daemonRaw, ok := site.Get(KeyDaemonShuffle)
	if !ok {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s, but %s does not set %s", enabledText, FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("set %s to 0 with %s=true (shuffle handler processes, recommended) or to 1 or more with false", KeyDaemonShuffle, KeyShuffleEnabled)))
	} else if daemon, err := mr3conf.ParseInt(daemonRaw); err != nil {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s %s: %v", FileMR3Site, KeyDaemonShuffle, err), fmt.Sprintf("set %s to a number: 0 with %s=true", KeyDaemonShuffle, KeyShuffleEnabled)))
	} else if enabled && daemon != 0 {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s needs shuffle handler processes in ContainerWorkers, but %s %s=%d asks for built-in handlers", enabledText, FileMR3Site, KeyDaemonShuffle, daemon),
			fmt.Sprintf("set %s to 0, or %s to false", KeyDaemonShuffle, KeyShuffleEnabled)))
	} else if !enabled && daemon <= 0 {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s, so executors serve their own shuffle output, but %s %s=%d starts no built-in handlers", enabledText, FileMR3Site, KeyDaemonShuffle, daemon),
			fmt.Sprintf("set %s to true (recommended: output survives worker recycling), or %s to 1 or more", KeyShuffleEnabled, KeyDaemonShuffle)))
	}
	if !enabled {
		return out
	}
	port := int32(defaultShufflePort)
	portText := fmt.Sprintf("%s leaves %s unset (default %d)", FileSparkDefaults, KeyShufflePort, defaultShufflePort)
	if raw, ok := sd.Get(KeyShufflePort); ok {
		p, err := mr3conf.ParseInt(raw)
		if err != nil || p < 1 || p > 65535 {
			return append(out, violation(RuleShuffle, c.Object, siteKey(FileSparkDefaults, KeyShufflePort),
				fmt.Sprintf("%s %s=%q is not a port number", FileSparkDefaults, KeyShufflePort, raw), "set it to a port between 1 and 65535, e.g. 7337"))
		}
		port, portText = p, fmt.Sprintf("%s %s=%d", FileSparkDefaults, KeyShufflePort, p)
	}
	rawPorts, ok := site.Get(KeyShufflePorts)
	if !ok {
		return append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyShufflePorts),
			fmt.Sprintf("%s, but %s does not set %s, the port of the shuffle handler process", portText, FileMR3Site, KeyShufflePorts),
			fmt.Sprintf("set %s to %d", KeyShufflePorts, port)))
	}
	var ports []int32
	for _, s := range mr3conf.SplitList(rawPorts) {
		p, err := mr3conf.ParseInt(s)
		if err != nil {
			return append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyShufflePorts),
				fmt.Sprintf("%s %s=%q: %v", FileMR3Site, KeyShufflePorts, rawPorts, err), fmt.Sprintf("set %s to %d", KeyShufflePorts, port)))
		}
		ports = append(ports, p)
	}
	if !slices.Contains(ports, port) {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(FileMR3Site, KeyShufflePorts),
			fmt.Sprintf("%s, but %s %s=%q, so executors fetch shuffle data from a port nothing listens on", portText, FileMR3Site, KeyShufflePorts, rawPorts),
			fmt.Sprintf("use one port for both: set %s to %d or %s to %s", KeyShufflePorts, port, KeyShufflePort, rawPorts)))
	}
	return out
}

// MR3Copies: Spark on MR3 copies spark.mr3.X from spark-defaults.conf over mr3.X, so a
// spark.mr3.X that differs from mr3.X in mr3-site.xml means the file does not say what runs.
func MR3Copies(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil || r.Conf.SparkDefaults == nil {
		return nil
	}
	c := r.Conf
	var out []Violation
	for _, e := range c.SparkDefaults.Entries() {
		twin, ok := strings.CutPrefix(e.Key, "spark.")
		if !ok || !strings.HasPrefix(twin, "mr3.") {
			continue
		}
		v, ok := c.Site.Get(twin)
		if !ok || mr3conf.SameValue(v, e.Value) {
			continue
		}
		out = append(out, violation(RuleMR3Copies, c.Object, siteKey(FileSparkDefaults, e.Key),
			fmt.Sprintf("%s %s=%q differs from %s %s=%q; Spark on MR3 uses the spark.mr3.* value", FileSparkDefaults, e.Key, e.Value, FileMR3Site, twin, v),
			fmt.Sprintf("set both to the same value (or drop %s and keep %s)", e.Key, twin)))
	}
	return out
}

// DAGRecovery: MR3 turns DAG recovery on when mr3.dag.recovery.enabled is absent, so the key
// must be explicit; when true the DAGAppMaster needs a PVC mounted at (or above)
// mr3.am.staging-dir, given by mr3.k8s.master.persistentvolumeclaim.mounts or env.sh
// WORK_DIR_PERSISTENT_VOLUME_CLAIM(_MOUNT_DIR).
func DAGRecovery(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil {
		return nil
	}
	c := r.Conf
	key := siteKey(FileMR3Site, KeyDAGRecovery)
	raw, ok := c.Site.Get(KeyDAGRecovery)
	if !ok {
		return []Violation{violation(RuleDAGRecovery, c.Object, key,
			fmt.Sprintf("%s does not set %s, and MR3 then enables DAG recovery, which needs a work-dir PVC for the DAGAppMaster", FileMR3Site, KeyDAGRecovery),
			fmt.Sprintf("set %s explicitly: false, or true together with a work-dir PVC (workDir in the values)", KeyDAGRecovery))}
	}
	on, err := mr3conf.ParseBool(raw)
	if err != nil {
		return []Violation{violation(RuleDAGRecovery, c.Object, key, fmt.Sprintf("%s %s: %v", FileMR3Site, KeyDAGRecovery, err), "set it to true or false")}
	}
	if !on {
		return nil
	}
	staging, ok := c.Site.Get(KeyStagingDir)
	staging = strings.TrimSpace(staging)
	if !ok || staging == "" {
		return []Violation{violation(RuleDAGRecovery, c.Object, siteKey(FileMR3Site, KeyStagingDir),
			fmt.Sprintf("%s %s=true, but %s is not set, so recovery data has no place on the work-dir PVC", FileMR3Site, KeyDAGRecovery, KeyStagingDir),
			fmt.Sprintf("set %s to the work-dir mount, e.g. /opt/mr3-run/work-dir", KeyStagingDir))}
	}
	// The effective mr3-site.xml holds env.sh's -Dmr3.k8s.master.persistentvolumeclaim.mounts
	// (WORK_DIR_PERSISTENT_VOLUME_CLAIM=…_MOUNT_DIR) when env.sh sets a claim.
	type mount struct{ claim, dir, from string }
	var mounts []mount
	if p, ok := c.Site.Property(KeyMasterPVCMounts); ok {
		from := fmt.Sprintf("%s %s", FileMR3Site, KeyMasterPVCMounts)
		if p.Override != nil {
			from = fmt.Sprintf("%s %s/%s via -D%s", FileEnvSh, EnvWorkDirClaim, EnvWorkDirClaimMount, KeyMasterPVCMounts)
		}
		for _, m := range mr3conf.SplitList(p.Value) {
			claim, dir, _ := strings.Cut(m, "=")
			mounts = append(mounts, mount{strings.TrimSpace(claim), strings.TrimSpace(dir), from})
		}
	}
	if len(mounts) == 0 {
		return []Violation{violation(RuleDAGRecovery, c.Object, key,
			fmt.Sprintf("%s %s=true with %s=%s, but no PVC is mounted in the DAGAppMaster (neither %s nor %s %s is set), so recovery data dies with the Pod",
				FileMR3Site, KeyDAGRecovery, KeyStagingDir, staging, KeyMasterPVCMounts, FileEnvSh, EnvWorkDirClaim),
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
		out = append(out, violation(RuleDAGRecovery, c.Object, siteKey(FileMR3Site, KeyStagingDir),
			fmt.Sprintf("%s %s=true with %s=%s, but the DAGAppMaster mounts %s, which does not hold %s",
				FileMR3Site, KeyDAGRecovery, KeyStagingDir, staging, strings.Join(seen, ", "), staging),
			fmt.Sprintf("mount the work-dir PVC at %s, or set %s under the PVC mount", staging, KeyStagingDir)))
	}
	return out
}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// AMService: the DAGAppMaster Service's port equals mr3.k8s.am.service.port, its selector is
// a subset of mr3.k8s.master.pod.additional.labels (and selects no driver), and the address
// outside drivers use (mr3-site-outside.xml mr3.k8s.am.service.host/port) reaches it.
func AMService(r *Release) []Violation {
	if r.Conf == nil || r.Conf.Site == nil {
		return nil
	}
	c := r.Conf
	s := r.AMService
	if s == nil {
		return []Violation{violation(RuleAMService, c.Object, "Service/"+DefaultAMService,
			fmt.Sprintf("the release has no DAGAppMaster Service (labelled %s=am-service or named %s), which %s %s/%s describe", LabelComponent, DefaultAMService, FileMR3Site, KeyAMServiceHost, KeyAMServicePort),
			"render the am-service template (do not remove it in an overlay)")}
	}
	var out []Violation
	svc := s.String()
	ports := make([]string, 0, len(s.Spec.Ports))
	for _, p := range s.Spec.Ports {
		ports = append(ports, strconv.Itoa(int(p.Port)))
	}
	checkPort := func(file string, site *mr3conf.Site) {
		raw, ok := site.Get(KeyAMServicePort)
		if !ok {
			return
		}
		p, err := mr3conf.ParseInt(raw)
		if err != nil {
			out = append(out, violation(RuleAMService, s.Ref, siteKey(file, KeyAMServicePort), fmt.Sprintf("%s %s: %v", file, KeyAMServicePort, err), "set it to the Service port, e.g. 9862"))
			return
		}
		if slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == p || sp.NodePort == p }) {
			return
		}
		out = append(out, violation(RuleAMService, s.Ref, siteKey(file, KeyAMServicePort),
			fmt.Sprintf("%s %s=%d, but %s spec.ports are [%s]", file, KeyAMServicePort, p, svc, strings.Join(ports, ",")),
			fmt.Sprintf("use one port: set amService.port and %s together", KeyAMServicePort)))
	}
	checkPort(FileMR3Site, c.Site)

	// Selector ↔ master labels.
	rawLabels, _ := c.Site.Get(KeyMasterLabels)
	labels, err := mr3conf.ParseLabels(rawLabels)
	switch {
	case err != nil:
		out = append(out, violation(RuleAMService, c.Object, siteKey(FileMR3Site, KeyMasterLabels),
			fmt.Sprintf("%s %s=%q: %v", FileMR3Site, KeyMasterLabels, rawLabels, err), "set it as key=value,key2=value2 (masterLabels in the values)"))
	case len(s.Spec.Selector) == 0:
		out = append(out, violation(RuleAMService, s.Ref, "spec.selector",
			fmt.Sprintf("%s has no selector, so it routes to nothing; %s %s=%q are the DAGAppMaster's labels", svc, FileMR3Site, KeyMasterLabels, rawLabels),
			"set the Service selector to the master labels (masterLabels in the values)"))
	default:
		m := mr3conf.LabelMap(labels)
		for _, k := range sortedKeys(s.Spec.Selector) {
			if v, ok := m[k]; !ok || v != s.Spec.Selector[k] {
				out = append(out, violation(RuleAMService, s.Ref, siteKey(FileMR3Site, KeyMasterLabels),
					fmt.Sprintf("%s spec.selector has %s=%s, but %s %s=%q does not give the DAGAppMaster Pod that label, so the Service selects no Pod",
						svc, k, s.Spec.Selector[k], FileMR3Site, KeyMasterLabels, rawLabels),
					"render both from masterLabels in the values; an overlay must change both"))
			}
		}
		for _, d := range r.Drivers {
			if selects(s.Spec.Selector, d.Pod().Labels) {
				out = append(out, violation(RuleAMService, s.Ref, "spec.selector",
					fmt.Sprintf("%s spec.selector %s also selects the Pods of driver %s (labels %s), so DAGAppMaster traffic may reach a driver",
						svc, formatLabels(s.Spec.Selector), d, formatLabels(d.Pod().Labels)),
					"use master labels no driver carries (the default sparkmr3_app=mr3; drivers are never named mr3)"))
			}
		}
	}

	// Inside: a host, if set, must name this Service or one of its addresses.
	if raw, ok := c.Site.Get(KeyAMServiceHost); ok && strings.TrimSpace(raw) != "" {
		host := strings.TrimSpace(raw)
		if !serviceAddress(s, host, true) {
			out = append(out, violation(RuleAMService, s.Ref, siteKey(FileMR3Site, KeyAMServiceHost),
				fmt.Sprintf("%s %s=%s is neither %s's DNS name nor one of its addresses %v", FileMR3Site, KeyAMServiceHost, host, svc, addresses(s)),
				fmt.Sprintf("leave %s unset in %s (drivers inside Kubernetes do not need it) or use the Service's name", KeyAMServiceHost, FileMR3Site)))
		}
	}

	// Outside: the host must be an address the Service is exposed on.
	if o := c.Outside; o != nil {
		checkPort(FileMR3SiteOutside, o)
		raw, _ := o.Get(KeyAMServiceHost)
		host := strings.TrimSpace(raw)
		switch {
		case host == "":
			out = append(out, violation(RuleAMService, c.Object, siteKey(FileMR3SiteOutside, KeyAMServiceHost),
				fmt.Sprintf("%s does not set %s, so drivers outside Kubernetes cannot find the DAGAppMaster behind %s", FileMR3SiteOutside, KeyAMServiceHost, svc),
				"set amService.externalIPs (or a load-balancer IP) and let the chart write it"))
		case !serviceAddress(s, host, false) && !exposedByNodePort(s, o):
			out = append(out, violation(RuleAMService, s.Ref, siteKey(FileMR3SiteOutside, KeyAMServiceHost),
				fmt.Sprintf("%s %s=%s, but %s (type %s) is exposed only on %v", FileMR3SiteOutside, KeyAMServiceHost, host, svc, serviceType(s), addresses(s)),
				fmt.Sprintf("add %s to the Service's externalIPs (amService.externalIPs) or point %s at one of them", host, KeyAMServiceHost)))
		}
	}
	return out
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

func serviceType(s *Service) corev1.ServiceType {
	if s.Spec.Type == "" {
		return corev1.ServiceTypeClusterIP
	}
	return s.Spec.Type
}

func addresses(s *Service) []string {
	a := slices.Clone(s.Spec.ExternalIPs)
	if s.Spec.LoadBalancerIP != "" {
		a = append(a, s.Spec.LoadBalancerIP)
	}
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			a = append(a, in.IP)
		}
		if in.Hostname != "" {
			a = append(a, in.Hostname)
		}
	}
	if a == nil {
		a = []string{}
	}
	return a
}

func serviceAddress(s *Service, host string, inside bool) bool {
	if slices.Contains(addresses(s), host) {
		return true
	}
	if !inside {
		return false
	}
	if host == s.Spec.ClusterIP || host == s.Name {
		return true
	}
	// name.<namespace>[.svc[.cluster.local]]
	rest, ok := strings.CutPrefix(host, s.Name+".")
	return ok && !strings.Contains(strings.TrimSuffix(strings.TrimSuffix(rest, ".svc.cluster.local"), ".svc"), ".")
}

// exposedByNodePort: outside drivers may use any node's IP with the node port; the IP cannot
// be checked from manifests, the port can.
func exposedByNodePort(s *Service, o *mr3conf.Site) bool {
	t := serviceType(s)
	if t != corev1.ServiceTypeNodePort && t != corev1.ServiceTypeLoadBalancer {
		return false
	}
	raw, ok := o.Get(KeyAMServicePort)
	if !ok {
		return false
	}
	p, err := mr3conf.ParseInt(raw)
	return err == nil && slices.ContainsFunc(s.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.NodePort != 0 && sp.NodePort == p })
}

// OutsideDriverKeys: the Kubernetes client keys for drivers outside the cluster belong in
// mr3-site-outside.xml; set in mr3-site.xml they break drivers inside (which must use their
// service account).
func OutsideDriverKeys(r *Release) []Violation {
	if r.Conf == nil {
		return nil
	}
	c := r.Conf
	var out []Violation
	if c.Site != nil {
		for _, k := range []string{KeyAPIServerURL, KeyClientConfigFile, KeyUseTokenCACert} {
			if v, ok := c.Site.Get(k); ok {
				out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(FileMR3Site, k),
					fmt.Sprintf("%s sets %s=%q, a key only for drivers outside Kubernetes; drivers inside (%d in this release) must use their service account", FileMR3Site, k, v, len(r.Drivers)),
					fmt.Sprintf("remove %s from %s; set it only in %s (outsideDrivers in the values)", k, FileMR3Site, FileMR3SiteOutside)))
			}
		}
	}
	o := c.Outside
	if o == nil {
		return out
	}
	if v, ok := o.Get(KeyAPIServerURL); !ok || strings.TrimSpace(v) == "" {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(FileMR3SiteOutside, KeyAPIServerURL),
			fmt.Sprintf("%s does not set %s, so outside drivers do not know the API server", FileMR3SiteOutside, KeyAPIServerURL),
			"set the API server URL for outside drivers, e.g. https://10.1.90.9:6443"))
	} else if u, err := url.Parse(strings.TrimSpace(v)); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(FileMR3SiteOutside, KeyAPIServerURL),
			fmt.Sprintf("%s %s=%q is not an http(s) URL with a host", FileMR3SiteOutside, KeyAPIServerURL, v),
			"write it as https://HOST:PORT"))
	}
	if v, ok := o.Get(KeyClientConfigFile); !ok || strings.TrimSpace(v) == "" {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(FileMR3SiteOutside, KeyClientConfigFile),
			fmt.Sprintf("%s does not set %s, the kubeconfig outside drivers use", FileMR3SiteOutside, KeyClientConfigFile),
			"set it, e.g. ~/.kube/config"))
	}
	v, ok := o.Get(KeyUseTokenCACert)
	if b, err := mr3conf.ParseBool(v); !ok || err != nil || b {
		out = append(out, violation(RuleOutsideKeys, c.Object, siteKey(FileMR3SiteOutside, KeyUseTokenCACert),
			fmt.Sprintf("%s %s=%q, but outside drivers have no service-account token or CA file", FileMR3SiteOutside, KeyUseTokenCACert, v),
			fmt.Sprintf("set %s to false in %s", KeyUseTokenCACert, FileMR3SiteOutside)))
	}
	return out
}

// DriverIdentity: StatefulSet name = serviceName = DRIVER_NAME = Service name = the
// sparkmr3_app selector value; a DNS-1123 label short enough for the Pod's revision label;
// unique; not the DAGAppMaster Service's name or MR3's.
func DriverIdentity(r *Release) []Violation {
	var out []Violation
	seen := map[string]Object{}
	am := DefaultAMService
	if r.AMService != nil {
		am = r.AMService.Name
	}
	const fix = "use one name per driver: the chart derives the StatefulSet, Service, DRIVER_NAME and labels from drivers[].name; an overlay must rename all of them"
	for _, d := range r.Drivers {
		n := d.Name
		add := func(key, msg, fix string) { out = append(out, violation(RuleDriverIdentity, d.Object, key, msg, fix)) }
		if errs := validation.IsDNS1123Label(n); len(errs) > 0 {
			add("metadata.name", fmt.Sprintf("driver name %q is not a DNS-1123 label (%s); it becomes host name %s.<namespace>.svc.cluster.local", n, strings.Join(errs, "; "), n),
				"use lower-case letters, digits and '-', starting and ending with a letter or digit")
		} else if len(n) > 52 {
			add("metadata.name", fmt.Sprintf("driver name %q is %d characters; a StatefulSet's Pods get label controller-revision-hash=%s-<10 chars>, which must fit in 63", n, len(n), n),
				"use a driver name of at most 52 characters")
		}
		if n == am || n == DefaultAMService {
			add("metadata.name", fmt.Sprintf("driver name %q is the DAGAppMaster Service's name", n), "rename the driver; mr3 is reserved")
		}
		for _, p := range []string{"service-master-", "service-worker"} { // MR3's run-time Services
			if strings.HasPrefix(n, p) {
				add("metadata.name", fmt.Sprintf("driver name %q collides with Services MR3 creates at run time (%s…)", n, p), "rename the driver")
			}
		}
		if prev, dup := seen[n]; dup {
			add("metadata.name", fmt.Sprintf("driver name %q is used twice (%s and %s)", n, prev.Source, d.Source), "give every driver its own name")
		}
		seen[n] = d.Object
		if sn := d.StatefulSet.Spec.ServiceName; sn != n {
			add("spec.serviceName", fmt.Sprintf("%s spec.serviceName=%q differs from its name, so %s-0 gets no DNS name under Service %s", d, sn, n, n), fix)
		}
		if rp := d.StatefulSet.Spec.Replicas; rp != nil && *rp != 1 {
			add("spec.replicas", fmt.Sprintf("%s spec.replicas=%d, but a Spark driver is one Pod (DRIVER_NAME %s names one host)", d, *rp, n), "set replicas to 1; add drivers as separate entries in drivers[]")
		}
		switch e := envVar(d.Container, EnvDriverName); {
		case e == nil:
			add("env "+EnvDriverName, fmt.Sprintf("%s container %s has no %s env, which run-spark-submit.sh uses for spark.driver.host", d, containerName(d), EnvDriverName), fix)
		case e.ValueFrom != nil || e.Value != n:
			add("env "+EnvDriverName, fmt.Sprintf("%s container %s env %s=%q differs from the StatefulSet name %q, so spark.driver.host %s.<namespace>.svc.cluster.local names another host", d, containerName(d), EnvDriverName, e.Value, n, e.Value), fix)
		}
		if v := d.Pod().Labels[LabelApp]; v != n {
			add("spec.template.metadata.labels "+LabelApp, fmt.Sprintf("%s Pod label %s=%q differs from the driver name %q", d, LabelApp, v, n), fix)
		}
		if d.Service == nil {
			add("Service/"+n, fmt.Sprintf("%s has no Service named %s, so executors cannot resolve spark.driver.host %s.<namespace>.svc.cluster.local", d, n, n),
				"render the driver Service (the chart makes one per driver)")
			continue
		}
		if v := d.Service.Spec.Selector[LabelApp]; v != n {
			add("Service/"+n+" spec.selector", fmt.Sprintf("%s spec.selector %s=%q differs from the driver name %q", d.Service, LabelApp, v, n), fix)
		} else if !selects(d.Service.Spec.Selector, d.Pod().Labels) {
			add("Service/"+n+" spec.selector", fmt.Sprintf("%s spec.selector %s does not match %s Pod labels %s", d.Service, formatLabels(d.Service.Spec.Selector), d, formatLabels(d.Pod().Labels)), fix)
		}
	}
	return out
}

// DriverPorts: SPARK_DRIVER_PORT and SPARK_UI_PORT are ports of the driver Service (reaching
// the same container port) and containerPorts of the driver container.
func DriverPorts(r *Release) []Violation {
	var out []Violation
	for _, d := range r.Drivers {
		add := func(key, msg, fix string) { out = append(out, violation(RuleDriverPorts, d.Object, key, msg, fix)) }
		nums := map[string]int32{}
		for _, env := range []string{EnvDriverPort, EnvUIPort} {
			v, ok := literalEnv(d.Container, env)
			if !ok {
				add("env "+env, fmt.Sprintf("%s container %s has no literal %s env, which run-spark-submit.sh passes to Spark", d, containerName(d), env), "set it (the chart sets 9850 and 4040)")
				continue
			}
			p, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || p < 1 || p > 65535 {
				add("env "+env, fmt.Sprintf("%s container %s env %s=%q is not a port number", d, containerName(d), env, v), "set a port between 1 and 65535")
				continue
			}
			nums[env] = int32(p)
		}
		if len(nums) == 2 && nums[EnvDriverPort] == nums[EnvUIPort] {
			add("env "+EnvUIPort, fmt.Sprintf("%s container %s uses port %d for both %s and %s", d, containerName(d), nums[EnvDriverPort], EnvDriverPort, EnvUIPort), "give the web UI its own port (default 4040)")
		}
		for _, env := range []string{EnvDriverPort, EnvUIPort} {
			p, ok := nums[env]
			if !ok {
				continue
			}
			var cports []corev1.ContainerPort
			if d.Container != nil {
				cports = d.Container.Ports
			}
			if !slices.ContainsFunc(cports, func(cp corev1.ContainerPort) bool { return cp.ContainerPort == p }) {
				add("ports", fmt.Sprintf("%s container %s env %s=%d, but its containerPorts are %s", d, containerName(d), env, p, containerPorts(cports)),
					fmt.Sprintf("add containerPort %d or change %s", p, env))
			}
			if d.Service == nil {
				continue // DriverIdentity reports the missing Service
			}
			if !slices.ContainsFunc(d.Service.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Port == p && targetsPort(sp, p, cports) }) {
				add("Service/"+d.Name+" spec.ports", fmt.Sprintf("%s container %s env %s=%d, but %s spec.ports are %s", d, containerName(d), env, p, d.Service, servicePorts(d.Service.Spec.Ports)),
					fmt.Sprintf("give %s a port %d with targetPort %d, or change %s", d.Service, p, p, env))
			}
		}
	}
	return out
}

func targetsPort(sp corev1.ServicePort, p int32, cports []corev1.ContainerPort) bool {
	t := sp.TargetPort
	switch {
	case t.Type == intstr.Int && t.IntVal == 0:
		return sp.Port == p
	case t.Type == intstr.Int:
		return t.IntVal == p
	default:
		return slices.ContainsFunc(cports, func(cp corev1.ContainerPort) bool { return cp.Name == t.StrVal && cp.ContainerPort == p })
	}
}

func containerPorts(ps []corev1.ContainerPort) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = strconv.Itoa(int(p.ContainerPort))
	}
	return "[" + strings.Join(s, ",") + "]"
}

func servicePorts(ps []corev1.ServicePort) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprintf("%d→%s", p.Port, p.TargetPort.String())
	}
	return "[" + strings.Join(s, ",") + "]"
}

// DriverResources: the driver heap (SPARK_DRIVER_MEMORY_MB) leaves ~10 % of the container's
// memory limit to the JVM, and SPARK_DRIVER_CORES does not exceed the CPU limit. Requests
// stand in for missing limits.
func DriverResources(r *Release) []Violation {
	var out []Violation
	for _, d := range r.Drivers {
		add := func(key, msg, fix string) { out = append(out, violation(RuleDriverResources, d.Object, key, msg, fix)) }
		res := corev1.ResourceRequirements{}
		if d.Container != nil {
			res = d.Container.Resources
		}
		memRaw, ok := literalEnv(d.Container, EnvDriverMemory)
		if !ok {
			add("env "+EnvDriverMemory, fmt.Sprintf("%s container %s has no literal %s env, which sets spark.driver.memory", d, containerName(d), EnvDriverMemory), "set drivers[].memoryMb")
		} else if mb, err := strconv.ParseInt(strings.TrimSpace(memRaw), 10, 64); err != nil || mb <= 0 {
			add("env "+EnvDriverMemory, fmt.Sprintf("%s container %s env %s=%q is not a positive number of MB", d, containerName(d), EnvDriverMemory, memRaw), "set a whole number of MB, e.g. 13107")
		} else if q, which := limitOrRequest(res, corev1.ResourceMemory); q != nil {
			heap := float64(mb) * (1 << 20)
			limit := float64(q.Value())
			if heap > memoryHeadroom*limit {
				maxMB := int64(memoryHeadroom * limit / (1 << 20))
				add("env "+EnvDriverMemory, fmt.Sprintf("%s container %s env %s=%d is %.0f%% of its memory %s %s; the JVM needs about 10%% more than the heap and would be OOM-killed",
					d, containerName(d), EnvDriverMemory, mb, 100*heap/limit, which, q.String()),
					fmt.Sprintf("lower %s to at most %d or raise the memory %s to at least %dMi", EnvDriverMemory, maxMB, which, int64(float64(mb)/memoryHeadroom)+1))
			}
		}
		coresRaw, ok := literalEnv(d.Container, EnvDriverCores)
		if !ok {
			add("env "+EnvDriverCores, fmt.Sprintf("%s container %s has no literal %s env, which sets spark.driver.cores", d, containerName(d), EnvDriverCores), "set drivers[].cores")
		} else if cores, err := strconv.ParseInt(strings.TrimSpace(coresRaw), 10, 64); err != nil || cores <= 0 {
			add("env "+EnvDriverCores, fmt.Sprintf("%s container %s env %s=%q is not a positive whole number", d, containerName(d), EnvDriverCores, coresRaw), "set a whole number of cores, e.g. 2")
		} else if q, which := limitOrRequest(res, corev1.ResourceCPU); q != nil && cores*1000 > q.MilliValue() {
			add("env "+EnvDriverCores, fmt.Sprintf("%s container %s env %s=%d exceeds its CPU %s %s", d, containerName(d), EnvDriverCores, cores, which, q.String()),
				fmt.Sprintf("lower %s to at most %d or raise the CPU %s to %d", EnvDriverCores, q.MilliValue()/1000, which, cores))
		}
	}
	return out
}

func limitOrRequest(res corev1.ResourceRequirements, name corev1.ResourceName) (*resource.Quantity, string) {
	if q, ok := res.Limits[name]; ok {
		return &q, "limit"
	}
	if q, ok := res.Requests[name]; ok {
		return &q, "request"
	}
	return nil, ""
}

// Token: every driver takes CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP from the
// token Secret by secretKeyRef (never a literal: a literal is stored in the StatefulSet and
// in helm's release, and goes stale on rotation), the Secret holds a token and a positive
// integer timestamp, and the token's text appears in no other object.
func Token(r *Release) []Violation {
	var out []Violation
	tok := r.Token
	if tok == nil {
		// A token Secret outside the manifest (token.existingSecret: the plugin's F-mr3-token,
		// or a Sealed/External Secret) is fine when every driver reads both keys from it.
		external := map[string]bool{}
		for _, d := range r.Drivers {
			for _, name := range []string{EnvTokenKey, EnvTimestamp} {
				if e := envVar(d.Container, name); e != nil && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Key == name {
					external[e.ValueFrom.SecretKeyRef.Name] = true
				} else {
					external[""] = true
				}
			}
		}
		if len(r.Drivers) > 0 && (len(external) != 1 || external[""]) {
			out = append(out, violation(RuleToken, r.Drivers[0].Object, "Secret",
				fmt.Sprintf("the release has no Secret with key %s, but %d driver(s) need the token to share one DAGAppMaster", EnvTokenKey, len(r.Drivers)),
				"render the token Secret (the chart's token template; helm sparkmr3 install passes the values)"))
		}
	} else {
		if strings.TrimSpace(tok.Data[EnvTokenKey]) == "" {
			out = append(out, violation(RuleToken, tok.Object, EnvTokenKey, fmt.Sprintf("%s key %s is empty", tok, EnvTokenKey),
				"install with helm sparkmr3 (it generates the token once) or set token.clientToAMTokenKey"))
		}
		if ts, err := strconv.ParseInt(strings.TrimSpace(tok.Data[EnvTimestamp]), 10, 64); err != nil || ts <= 0 {
			out = append(out, violation(RuleToken, tok.Object, EnvTimestamp, fmt.Sprintf("%s key %s=%q is not a positive integer (MR3 builds application_<ts>_0000 from it)", tok, EnvTimestamp, tok.Data[EnvTimestamp]),
				"set token.applicationIdTimestamp to a positive integer, e.g. 4711"))
		}
	}
	for _, d := range r.Drivers {
		for _, name := range []string{EnvTokenKey, EnvTimestamp} {
			e := envVar(d.Container, name)
			want := "<token Secret>"
			if tok != nil {
				want = tok.Name
			}
			fix := fmt.Sprintf("set env %s from secretKeyRef {name: %s, key: %s}", name, want, name)
			switch {
			case e == nil:
				if d.Container != nil && tok != nil && slices.ContainsFunc(d.Container.EnvFrom, func(ef corev1.EnvFromSource) bool {
					return ef.SecretRef != nil && ef.SecretRef.Name == tok.Name && ef.Prefix == ""
				}) {
					continue
				}
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s has no %s env, so the driver starts its own DAGAppMaster instead of sharing one", d, containerName(d), name), fix))
			case e.ValueFrom == nil:
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s env %s is a literal value, stored in the StatefulSet and helm's release record instead of %s", d, containerName(d), name, want), fix))
			case e.ValueFrom.SecretKeyRef == nil:
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s env %s does not come from a secretKeyRef", d, containerName(d), name), fix))
			case tok != nil && (e.ValueFrom.SecretKeyRef.Name != tok.Name || e.ValueFrom.SecretKeyRef.Key != name):
				ref := e.ValueFrom.SecretKeyRef
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s env %s comes from Secret %s key %s, but the token is %s key %s", d, containerName(d), name, ref.Name, ref.Key, tok, name), fix))
			}
		}
	}
	if tok == nil {
		return out
	}
	secret := strings.TrimSpace(tok.Data[EnvTokenKey])
	if len(secret) < 8 { // too short to search for without false alarms; reported above if empty
		return out
	}
	needles := [][]byte{[]byte(secret), []byte(base64.StdEncoding.EncodeToString([]byte(secret)))}
	for _, doc := range r.Documents {
		if doc.Head.Kind == tok.Kind && doc.Head.Name() == tok.Name {
			continue
		}
		if !slices.ContainsFunc(needles, func(n []byte) bool { return bytes.Contains(doc.Raw, n) }) {
			continue
		}
		o := objectOf(doc)
		where := "its text"
		if u, err := doc.Unstructured(); err == nil {
			if ks := annotationsWith(u.Object, secret); len(ks) > 0 {
				where = "annotation " + strings.Join(ks, ", ")
			}
		}
		out = append(out, violation(RuleToken, o, "token",
			fmt.Sprintf("%s holds the value of %s key %s in %s; anyone who can read %s can join the DAGAppMaster", o, tok, EnvTokenKey, where, o.Kind),
			fmt.Sprintf("remove it; read the token only through secretKeyRef to %s", tok.Name)))
	}
	return out
}

// annotationsWith lists the annotation keys (of the object and of a Pod template) whose value
// holds s.
func annotationsWith(obj map[string]any, s string) []string {
	var out []string
	look := func(prefix string, m any) {
		md, _ := m.(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		for _, k := range sortedAnyKeys(ann) {
			if v, _ := ann[k].(string); strings.Contains(v, s) || strings.Contains(v, base64.StdEncoding.EncodeToString([]byte(s))) {
				out = append(out, prefix+k)
			}
		}
	}
	look("metadata.annotations.", obj["metadata"])
	if spec, ok := obj["spec"].(map[string]any); ok {
		if tpl, ok := spec["template"].(map[string]any); ok {
			look("spec.template.metadata.annotations.", tpl["metadata"])
		}
	}
	return out
}

func sortedAnyKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
