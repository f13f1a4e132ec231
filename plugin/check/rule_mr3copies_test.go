package check

import (
	"testing"
)

func TestMR3Copies(t *testing.T) {
	runRuleCases(t, RuleMR3Copies, MR3Copies, []ruleCase{
		{name: "pass"},
		{name: "equal after normalising",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set("mr3.x.flag", "TRUE")
				r.Conf.SparkDefaults.Set("spark.mr3.x.flag", "true")
				r.Conf.SparkDefaults.Set("spark.mr3.only.in.spark", "1")
			}},
		{name: "copy differs",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.SparkDefaults.Set("spark.mr3.k8s.shuffle.process.ports", "7447")
			},
			want: []string{`ConfigMap/rel-conf [spark-defaults.conf spark.mr3.k8s.shuffle.process.ports]: spark-defaults.conf spark.mr3.k8s.shuffle.process.ports="7447" differs from mr3-site.xml mr3.k8s.shuffle.process.ports="7337"`}},
	})
}
