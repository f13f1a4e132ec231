package check

import (
	"fmt"
	"strings"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

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
		out = append(out, violation(RuleMR3Copies, c.Object, siteKey(contract.FileSparkDefaults, e.Key),
			fmt.Sprintf("%s %s=%q differs from %s %s=%q; Spark on MR3 uses the spark.mr3.* value", contract.FileSparkDefaults, e.Key, e.Value, contract.FileMR3Site, twin, v),
			fmt.Sprintf("set both to the same value (or drop %s and keep %s)", e.Key, twin)))
	}
	return out
}
