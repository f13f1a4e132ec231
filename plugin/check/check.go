package check

import (
	"io"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// Rule names.
const (
	RuleConfFiles       = "conf-files"
	RuleHostAliases     = "host-aliases"
	RuleLocalDirs       = "local-dirs"
	RuleWritableDirs    = "writable-dirs"
	RuleEnvShConf       = "envsh-conf"
	RuleShuffle         = "shuffle"
	RuleMR3Copies       = "mr3-copies"
	RuleDAGRecovery     = "dag-recovery"
	RuleAMService       = "am-service"
	RuleOutsideKeys     = "outside-driver-keys"
	RuleDriverIdentity  = "driver-identity"
	RuleDriverPorts     = "driver-ports"
	RuleDriverResources = "driver-resources"
	RuleToken           = "token"
)

// Rule is one consistency rule.
type Rule struct {
	Name string
	// Doc says in one line what the rule keeps consistent.
	Doc   string
	Check func(*Release) []Violation
}

// Rules returns every rule in report order (a fresh slice each call).
func Rules() []Rule {
	return []Rule{
		{RuleHostAliases, "mr3.k8s.host.aliases and every driver Pod's hostAliases map the same hosts to the same IPs", HostAliases},
		{RuleLocalDirs, "every spark.local.dir is a writable volume mount of each driver and a worker host path, emptyDir or local-dir PersistentVolume", LocalDirs},
		{RuleWritableDirs, "a driver with a read-only root file system has writable volumes at mr3.am.staging-dir and the spark-submit/spark-shell result dirs", WritableDirs},
		{RuleShuffle, "spark.shuffle.service.* agrees with mr3.use.daemon.shufflehandler and mr3.k8s.shuffle.process.ports", Shuffle},
		{RuleMR3Copies, "spark.mr3.* keys in spark-defaults.conf equal their mr3.* twins in mr3-site.xml", MR3Copies},
		{RuleEnvShConf, "every -D option MR3's scripts build from env.sh equals mr3-site.xml (hive.*: hive-site.xml; outside drivers: mr3-site-outside.xml) or the key lives in one place only", EnvShConf},
		{RuleDAGRecovery, "mr3.dag.recovery.enabled is explicit, and when true a PVC is mounted at mr3.am.staging-dir", DAGRecovery},
		{RuleAMService, "the DAGAppMaster Service's port, address and selector agree with mr3-site.xml", AMService},
		{RuleOutsideKeys, "outside-driver client keys are set in mr3-site-outside.xml only", OutsideDriverKeys},
		{RuleDriverIdentity, "StatefulSet name = DRIVER_NAME = Service name = selector value, valid and unique", DriverIdentity},
		{RuleDriverPorts, "SPARK_DRIVER_PORT and SPARK_UI_PORT are Service ports and containerPorts", DriverPorts},
		{RuleDriverResources, "SPARK_DRIVER_MEMORY_MB and SPARK_DRIVER_CORES fit the container's limits", DriverResources},
		{RuleToken, "drivers take the token from the token Secret, and the token appears nowhere else", Token},
	}
}

// Run runs rules (all when rules is nil) over the release and returns every violation, the
// problems found while reading the release first.
func Run(r *Release, rules []Rule) []Violation {
	if rules == nil {
		rules = Rules()
	}
	out := append([]Violation(nil), r.Problems...)
	for _, rule := range rules {
		out = append(out, rule.Check(r)...)
	}
	return out
}

// Manifest reads a manifest stream and runs every rule on it. It returns an error when the
// stream cannot be read; violations are returned, not wrapped in an error (see Error).
func Manifest(in io.Reader, lim manifest.Limits) ([]Violation, error) {
	r, err := ReadRelease(in, lim)
	if err != nil {
		return nil, err
	}
	return Run(r, nil), nil
}
