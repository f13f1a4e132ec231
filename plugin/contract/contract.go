// Package contract defines, once, the names, labels and keys that the chart, the checker and
// the plugin agree on (docs/DESIGN.md, "Names", "Labels", "Driver Pod contract", "What MR3
// makes at run time", "Token"), and the names MR3 itself uses at run time. It imports only
// the standard library; every package that needs one of these names takes it from here.
// Change docs/DESIGN.md first, then this file, then the chart.
package contract

import "strings"

// ChartName is the value of app.kubernetes.io/name (and part-of) on every object of the chart.
const ChartName = "spark-mr3"

// Labels of every release object (docs/DESIGN.md "Labels").
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
)

// Values of app.kubernetes.io/component (docs/DESIGN.md "Labels").
const (
	ComponentDriver    = "driver"
	ComponentMaster    = "master"
	ComponentWorker    = "worker"
	ComponentConf      = "conf"
	ComponentToken     = "token"
	ComponentAMService = "am-service"
	ComponentWorkdir   = "workdir"
	ComponentRBAC      = "rbac"
	ComponentTest      = "test"
)

// Driver Pod (template) labels besides the release's (docs/DESIGN.md "Labels").
const (
	// LabelApp is sparkmr3_app: the driver's object name F-D (DriverObjectName) on its Pods,
	// Service selector and local-dir claims; the DAGAppMaster's default label uses it too
	// (DefaultMasterLabels). Charts before release-scoped names set it to D.
	LabelApp = "sparkmr3_app"
	// LabelDriver is sparkmr3.io/driver: the driver entry's name D, the user's handle.
	LabelDriver = "sparkmr3.io/driver"
)

// MR3's Pod roles (docs/DESIGN.md "Labels", "What MR3 makes at run time"). Never delete by
// LabelPodRole alone: the driver Pods carry master-role too.
const (
	LabelPodRole     = "mr3-pod-role"
	RoleMaster       = "master-role"
	RoleContainer    = "container-role"
	LabelWorkerPodID = "mr3-worker-pod-id"
)

// ManagedByPlugin is app.kubernetes.io/managed-by on the plugin's token Secret F-mr3-token
// (docs/DESIGN.md "Token"); Helm's objects carry "Helm".
const ManagedByPlugin = "helm-sparkmr3"

// Annotations (docs/DESIGN.md "Driver Pod contract", "Names", "Token").
const (
	// AnnotationSubmitCommand and AnnotationShellCommand on a driver Pod (template) name the
	// absolute paths of run-spark-submit.sh / run-spark-shell.sh in the image.
	AnnotationSubmitCommand = "sparkmr3.io/submit-command"
	AnnotationShellCommand  = "sparkmr3.io/shell-command"
	// AnnotationOutsideHosts on F-conf lists (comma-separated) outsideDrivers.hosts.
	AnnotationOutsideHosts = "sparkmr3.io/outside-driver-hosts"
	// AnnotationChecksumConf, AnnotationChecksumEnv and AnnotationChecksumToken on a driver
	// Pod template restart the drivers when F-conf, F-env or the token changes.
	AnnotationChecksumConf  = "checksum/conf"
	AnnotationChecksumEnv   = "checksum/env"
	AnnotationChecksumToken = "checksum/token"
	// AnnotationPastTimestamps on F-mr3-token lists, comma-separated, the timestamps it held
	// before (newest last).
	AnnotationPastTimestamps = "spark-mr3/past-timestamps"
)

// Keys of the token Secret (F-mr3-token, F-token or token.existingSecret), which are also the
// driver Pod's env variables of the token (docs/DESIGN.md "Names", "Token").
const (
	KeyToken     = "CLIENT_TO_AM_TOKEN_KEY"
	KeyTimestamp = "MR3_APPLICATION_ID_TIMESTAMP"
)

// Keys of F-conf and F-env (docs/DESIGN.md "Names").
const (
	FileMR3Site        = "mr3-site.xml"
	FileMR3SiteOutside = "mr3-site-outside.xml"
	FileSparkDefaults  = "spark-defaults.conf"
	FileHiveSite       = "hive-site.xml"
	FileEnvSh          = "env.sh"
)

// Driver Pod contract (docs/DESIGN.md "Driver Pod contract", "Names").
const (
	// DriverContainer is the container of a driver Pod that runs the driver command.
	DriverContainer = "driver"
	// DefaultAMServiceName is "mr3", the AM Service's name in MR3's own setup and in releases
	// of the chart before names were release-scoped; the chart's default now is
	// AMServiceDefault(F) (mr3.amService.name overrides it).
	DefaultAMServiceName = "mr3"
	// DefaultBaseDir is the image's /opt/mr3-run: BASE_DIR of MR3's scripts.
	DefaultBaseDir = "/opt/mr3-run"
)

// Suffixes of the release's objects F-<suffix> (F = fullname; docs/DESIGN.md "Names").
const (
	SuffixConf        = "-conf"
	SuffixEnv         = "-env"
	SuffixKeytab      = "-keytab"
	SuffixWorker      = "-worker"
	SuffixDriver      = "-driver"
	SuffixMaster      = "-master"
	SuffixToken       = "-token"
	SuffixPluginToken = "-mr3-token"
	SuffixWorkdir     = "-workdir"
	// Cluster-scoped objects NS.F<suffix>.
	SuffixNodeReader       = "-node-reader"
	SuffixNodeReaderDriver = "-node-reader-driver"
	SuffixNodeReaderMaster = "-node-reader-master"
)

// SuffixAMService ends the chart's default AM Service name F-mr3.
const SuffixAMService = "-mr3"

// AMServiceDefault is the chart's AM Service name F-mr3 when mr3.amService.name is empty.
func AMServiceDefault(fullname string) string { return fullname + SuffixAMService }

// DriverObjectName is the StatefulSet and headless Service F-D of driver entry D
// (docs/DESIGN.md "Names"); D itself is the driver's handle (LabelDriver, --driver). The
// Service name is also the driver Pod's DRIVER_NAME, from which MR3's scripts build
// spark.driver.host.
func DriverObjectName(fullname, driver string) string { return fullname + "-" + driver }

// DriverPodName is the driver StatefulSet's only Pod, <StatefulSet>-0.
func DriverPodName(statefulSet string) string { return statefulSet + "-0" }

// ConfName is the conf ConfigMap F-conf.
func ConfName(fullname string) string { return fullname + SuffixConf }

// EnvName is the env.sh Secret F-env.
func EnvName(fullname string) string { return fullname + SuffixEnv }

// TokenName is the chart's token Secret F-token.
func TokenName(fullname string) string { return fullname + SuffixToken }

// PluginTokenName is the plugin's token Secret F-mr3-token.
func PluginTokenName(fullname string) string { return fullname + SuffixPluginToken }

// FullnameOfToken is the fullname F of a token Secret F-mr3-token (the plugin's) or F-token
// (the chart's); a name with neither suffix is returned unchanged.
func FullnameOfToken(name string) string {
	if f, ok := strings.CutSuffix(name, SuffixPluginToken); ok {
		return f
	}
	return strings.TrimSuffix(name, SuffixToken)
}

// ClusterName is the name NS.F<suffix> of a cluster-scoped object of the release.
func ClusterName(namespace, fullname, suffix string) string {
	return namespace + "." + fullname + suffix
}

// LegacyClusterName is the older, ambiguous NS-F<suffix> (docs/DESIGN.md "Names").
func LegacyClusterName(namespace, fullname, suffix string) string {
	return namespace + "-" + fullname + suffix
}

// What MR3 makes at run time (docs/DESIGN.md "What MR3 makes at run time").
const (
	ConfigMapMaster = "mr3conf-configmap-master"
	ConfigMapWorker = "mr3conf-configmap-worker"
	ServiceWorker   = "service-worker"
	// ServiceMasterPrefix begins the AM Service service-master-<ts>-0.
	ServiceMasterPrefix = "service-master-"
	// ClientAMConfig is the ConfigMap in which MR3's own setup (and Hive on MR3's chart) keep
	// the token and timestamp of an MR3 application that is not a spark-mr3 release.
	ClientAMConfig = "client-am-config"
)

// AMDeploymentNames are the names MR3 gives the DAGAppMaster Deployment for timestamp ts.
func AMDeploymentNames(ts string) []string {
	return []string{"mr3master-spark-" + ts + "-0", "mr3master-" + ts + "-0"}
}

// AMServiceName is the name of the Service the MR3 client makes for timestamp ts.
func AMServiceName(ts string) string { return ServiceMasterPrefix + ts + "-0" }

// DefaultMasterLabels is the chart's default mr3.k8s.master.pod.additional.labels for fullname
// F (mr3.masterLabels empty): sparkmr3_app=F-mr3, cut to a label value's 63 characters, so
// that two releases' AM Services never select each other's DAGAppMaster. MR3's own sample
// uses MR3MasterLabels.
func DefaultMasterLabels(fullname string) map[string]string {
	v := AMServiceDefault(fullname)
	if len(v) > 63 {
		v = strings.TrimSuffix(strings.TrimSuffix(v[:63], "-"), ".") // as the chart's trunc | trimSuffix
	}
	return map[string]string{LabelApp: v}
}

// MR3MasterLabels is MR3's sample value of mr3.k8s.master.pod.additional.labels, also the
// chart's default before it named the release. Callers must not change the map.
var MR3MasterLabels = map[string]string{LabelApp: "mr3"}

// mr3-site.xml keys read by more than one package.
const (
	SiteConfigMap    = "mr3.k8s.conf.dir.configmap"
	SiteKeytabSecret = "mr3.k8s.keytab.secret"
	SiteWorkerSecret = "mr3.k8s.worker.secret"
	SiteMasterLabels = "mr3.k8s.master.pod.additional.labels"
	SiteHostAliases  = "mr3.k8s.host.aliases"
	SiteStagingDir   = "mr3.am.staging-dir"
	SiteNamespace    = "mr3.k8s.namespace"
	// SiteWorkerHostPaths: check's local-dir rules and podsecurity's judgement of MR3's Pods.
	SiteWorkerHostPaths = "mr3.k8s.pod.worker.hostpaths"
	// SiteMasterPVCMounts: set by mr3-setup.sh from WORK_DIR_PERSISTENT_VOLUME_CLAIM (mr3conf)
	// and read by check's work-dir rules.
	SiteMasterPVCMounts = "mr3.k8s.master.persistentvolumeclaim.mounts"
)
