package check

import (
	"testing"
)

func TestShuffle(t *testing.T) {
	runRuleCases(t, RuleShuffle, Shuffle, []ruleCase{
		{name: "pass"},
		{name: "builtin handlers consistent",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.SparkDefaults.Set(KeyShuffleEnabled, "false")
				r.Conf.Site.Set(KeyDaemonShuffle, "1")
				r.Conf.Site.Set(KeyShufflePorts, "9999") // unused without the service
			}},
		{name: "enabled with builtin handlers",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyDaemonShuffle, "1") },
			want:   []string{"spark-defaults.conf spark.shuffle.service.enabled=true needs shuffle handler processes in ContainerWorkers, but mr3-site.xml mr3.use.daemon.shufflehandler=1"}},
		{name: "disabled without handlers",
			mutate: func(t *testing.T, r *Release) { r.Conf.SparkDefaults.Delete(KeyShuffleEnabled) },
			want:   []string{"spark-defaults.conf leaves spark.shuffle.service.enabled unset (Spark's default false), so executors serve their own shuffle output, but mr3-site.xml mr3.use.daemon.shufflehandler=0"}},
		{name: "daemon key missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Delete(KeyDaemonShuffle) },
			want:   []string{"but mr3-site.xml does not set mr3.use.daemon.shufflehandler"}},
		{name: "daemon key not a number",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyDaemonShuffle, "zero") },
			want:   []string{`mr3-site.xml mr3.use.daemon.shufflehandler: "zero" is not an integer`}},
		{name: "enabled not a boolean",
			mutate: func(t *testing.T, r *Release) { r.Conf.SparkDefaults.Set(KeyShuffleEnabled, "yes") },
			want:   []string{`spark-defaults.conf spark.shuffle.service.enabled: "yes" is not a boolean`}},
		{name: "port mismatch",
			mutate: func(t *testing.T, r *Release) { r.Conf.SparkDefaults.Set(KeyShufflePort, "7447") },
			want:   []string{`spark-defaults.conf spark.shuffle.service.port=7447, but mr3-site.xml mr3.k8s.shuffle.process.ports="7337"`}},
		{name: "default port mismatch",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.SparkDefaults.Delete(KeyShufflePort)
				r.Conf.Site.Set(KeyShufflePorts, "7447")
			},
			want: []string{`spark-defaults.conf leaves spark.shuffle.service.port unset (default 7337), but mr3-site.xml mr3.k8s.shuffle.process.ports="7447"`}},
		{name: "bad port",
			mutate: func(t *testing.T, r *Release) { r.Conf.SparkDefaults.Set(KeyShufflePort, "70000") },
			want:   []string{`spark.shuffle.service.port="70000" is not a port number`}},
		{name: "process ports missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Delete(KeyShufflePorts) },
			want:   []string{"but mr3-site.xml does not set mr3.k8s.shuffle.process.ports"}},
		{name: "process ports not numbers",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyShufflePorts, "7337,x") },
			want:   []string{`mr3.k8s.shuffle.process.ports="7337,x": "x" is not an integer`}},
	})
}
