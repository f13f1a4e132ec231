package check

import (
	"fmt"
	"slices"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

// Spark's default external shuffle service port, used when spark.shuffle.service.port is unset.
const defaultShufflePort = 7337

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
			return []Violation{violation(RuleShuffle, c.Object, siteKey(contract.FileSparkDefaults, KeyShuffleEnabled),
				fmt.Sprintf("%s %s: %v", contract.FileSparkDefaults, KeyShuffleEnabled, err), "set it to true (recommended) or false")}
		}
		enabled = b
	}
	enabledText := fmt.Sprintf("%s %s=%t", contract.FileSparkDefaults, KeyShuffleEnabled, enabled)
	if !enabledSet {
		enabledText = fmt.Sprintf("%s leaves %s unset (Spark's default false)", contract.FileSparkDefaults, KeyShuffleEnabled)
	}
	daemonRaw, ok := site.Get(KeyDaemonShuffle)
	if !ok {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s, but %s does not set %s", enabledText, contract.FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("set %s to 0 with %s=true (shuffle handler processes, recommended) or to 1 or more with false", KeyDaemonShuffle, KeyShuffleEnabled)))
	} else if daemon, err := mr3conf.ParseInt(daemonRaw); err != nil {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s %s: %v", contract.FileMR3Site, KeyDaemonShuffle, err), fmt.Sprintf("set %s to a number: 0 with %s=true", KeyDaemonShuffle, KeyShuffleEnabled)))
	} else if enabled && daemon != 0 {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s needs shuffle handler processes in ContainerWorkers, but %s %s=%d asks for built-in handlers", enabledText, contract.FileMR3Site, KeyDaemonShuffle, daemon),
			fmt.Sprintf("set %s to 0, or %s to false", KeyDaemonShuffle, KeyShuffleEnabled)))
	} else if !enabled && daemon <= 0 {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyDaemonShuffle),
			fmt.Sprintf("%s, so executors serve their own shuffle output, but %s %s=%d starts no built-in handlers", enabledText, contract.FileMR3Site, KeyDaemonShuffle, daemon),
			fmt.Sprintf("set %s to true (recommended: output survives worker recycling), or %s to 1 or more", KeyShuffleEnabled, KeyDaemonShuffle)))
	}
	if !enabled {
		return out
	}
	port := int32(defaultShufflePort)
	portText := fmt.Sprintf("%s leaves %s unset (default %d)", contract.FileSparkDefaults, KeyShufflePort, defaultShufflePort)
	if raw, ok := sd.Get(KeyShufflePort); ok {
		p, err := mr3conf.ParseInt(raw)
		if err != nil || p < 1 || p > 65535 {
			return append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileSparkDefaults, KeyShufflePort),
				fmt.Sprintf("%s %s=%q is not a port number", contract.FileSparkDefaults, KeyShufflePort, raw), "set it to a port between 1 and 65535, e.g. 7337"))
		}
		port, portText = p, fmt.Sprintf("%s %s=%d", contract.FileSparkDefaults, KeyShufflePort, p)
	}
	rawPorts, ok := site.Get(KeyShufflePorts)
	if !ok {
		return append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyShufflePorts),
			fmt.Sprintf("%s, but %s does not set %s, the port of the shuffle handler process", portText, contract.FileMR3Site, KeyShufflePorts),
			fmt.Sprintf("set %s to %d", KeyShufflePorts, port)))
	}
	var ports []int32
	for _, s := range mr3conf.SplitList(rawPorts) {
		p, err := mr3conf.ParseInt(s)
		if err != nil {
			return append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyShufflePorts),
				fmt.Sprintf("%s %s=%q: %v", contract.FileMR3Site, KeyShufflePorts, rawPorts, err), fmt.Sprintf("set %s to %d", KeyShufflePorts, port)))
		}
		ports = append(ports, p)
	}
	if !slices.Contains(ports, port) {
		out = append(out, violation(RuleShuffle, c.Object, siteKey(contract.FileMR3Site, KeyShufflePorts),
			fmt.Sprintf("%s, but %s %s=%q, so executors fetch shuffle data from a port nothing listens on", portText, contract.FileMR3Site, KeyShufflePorts, rawPorts),
			fmt.Sprintf("use one port for both: set %s to %d or %s to %s", KeyShufflePorts, port, KeyShufflePort, rawPorts)))
	}
	return out
}
