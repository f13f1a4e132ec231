package check

import (
	"testing"
)

func TestEnvShConf(t *testing.T) {
	const contract = "docs/DESIGN.md"
	runRuleCases(t, RuleEnvShConf, EnvShConf, []ruleCase{
		{name: "pass"},
		{name: "a key in one place only is fine",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Delete("mr3.k8s.namespace") })
				editEnvSh(t, r, "SPARK_METASTORE_PORT='9083'", "SPARK_METASTORE_PORT='9083'\nHADOOP_OPTS='-Dmr3.only.here=1'")
			}},
		{name: "env.sh namespace differs",
			mutate: func(t *testing.T, r *Release) {
				editEnvSh(t, r, "SPARK_MR3_NAMESPACE='ns1'", "SPARK_MR3_NAMESPACE='x'")
			},
			want: []string{
				"Secret/rel-env [mr3-site.xml mr3.k8s.namespace]: env.sh line 14: SPARK_MR3_NAMESPACE='x' makes MR3's scripts pass -Dmr3.k8s.namespace=x, but mr3-site.xml (ConfigMap rel-conf) says ns1; MR3 uses x; fix: set the value once through the chart values, which render env.sh and mr3-site.xml alike; if envSh.extraLines or an overlay changed env.sh or the ConfigMap, change both or neither",
				"[mr3-site-outside.xml mr3.k8s.namespace]: env.sh line 14: SPARK_MR3_NAMESPACE='x' makes MR3's scripts pass -Dmr3.k8s.namespace=x (drivers outside Kubernetes), but mr3-site-outside.xml (ConfigMap rel-conf) says ns1"}},
		{name: "conf file differs",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set("mr3.k8s.keytab.secret", "other-keytab") })
			},
			want: []string{"[mr3-site.xml mr3.k8s.keytab.secret]: env.sh line 20: SPARK_KEYTAB_SECRET='rel-keytab' makes MR3's scripts pass -Dmr3.k8s.keytab.secret=rel-keytab, but mr3-site.xml (ConfigMap rel-conf) says other-keytab; MR3 uses rel-keytab"}},
		{name: "booleans compare as booleans",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set("mr3.k8s.mount.keytab.secret", " TRUE ") })
			}},
		{name: "an empty option overrides a value",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set("mr3.k8s.keytab.mount.file", "spark.keytab") })
			},
			want: []string{`[mr3-site.xml mr3.k8s.keytab.mount.file]: env.sh line 6: KEYTAB_MOUNT_FILE='' makes MR3's scripts pass -Dmr3.k8s.keytab.mount.file= (an empty value), but mr3-site.xml (ConfigMap rel-conf) says spark.keytab; MR3 uses the empty value`}},
		{name: "a variable env.sh does not assign",
			mutate: func(t *testing.T, r *Release) { editEnvSh(t, r, "SPARK_WORKER_SECRET='rel-worker'\n", "") },
			want:   []string{"[mr3-site.xml mr3.k8s.worker.secret]: env.sh does not assign SPARK_WORKER_SECRET, so MR3's scripts pass -Dmr3.k8s.worker.secret= (an empty value), but mr3-site.xml (ConfigMap rel-conf) says rel-worker; MR3 uses the empty value; fix: assign SPARK_WORKER_SECRET in env.sh to the value mr3-site.xml has: the chart's env.sh assigns every variable MR3's scripts read (" + contract + ")"}},
		{name: "the Pod env fills in for some drivers only",
			mutate: func(t *testing.T, r *Release) { editEnvSh(t, r, "SPARK_MR3_NAMESPACE='ns1'\n", "") },
			want: []string{
				"[mr3-site.xml mr3.k8s.namespace]: env.sh does not assign SPARK_MR3_NAMESPACE, so MR3's scripts pass -Dmr3.k8s.namespace= (an empty value) (drivers spark2), but mr3-site.xml (ConfigMap rel-conf) says ns1",
				"[mr3-site-outside.xml mr3.k8s.namespace]: env.sh does not assign SPARK_MR3_NAMESPACE, so MR3's scripts pass -Dmr3.k8s.namespace= (an empty value) (drivers outside Kubernetes)"}},
		{name: "metastore URI differs from hive-site.xml",
			mutate: func(t *testing.T, r *Release) {
				editEnvSh(t, r, "SPARK_METASTORE_HOST='ms.hive'", "SPARK_METASTORE_HOST=''")
			},
			want: []string{"[hive-site.xml hive.metastore.uris]: env.sh line 26: SPARK_METASTORE_HOST='' and env.sh line 27: SPARK_METASTORE_PORT='9083' make MR3's scripts pass -Dhive.metastore.uris=thrift://:9083, but hive-site.xml (ConfigMap rel-conf) says thrift://ms.hive:9083; Spark's Hive client uses thrift://:9083; fix: set hiveSite.metastoreUris"}},
		{name: "warehouse dir in hive-site.xml only when env.sh leaves it empty",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.HiveFile.Set("hive.metastore.warehouse.dir", "s3a://b/w") })
			},
			want: []string{`[hive-site.xml hive.metastore.warehouse.dir]: env.sh line 28: SPARK_METASTORE_WAREHOUSE='' makes MR3's scripts pass -Dhive.metastore.warehouse.dir= (an empty value), but hive-site.xml (ConfigMap rel-conf) says s3a://b/w; Spark's Hive client uses the empty value`}},
		{name: "master mode in the file",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set("mr3.master.mode", "local-thread") })
			},
			want: []string{"[mr3-site.xml mr3.master.mode]: MR3's scripts always pass -Dmr3.master.mode=kubernetes, but mr3-site.xml (ConfigMap rel-conf) says local-thread; MR3 uses kubernetes; fix: remove mr3.master.mode from mr3-site.xml"}},
		{name: "worker claim mounts in the file",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set(KeyWorkerPVCMounts, "rel-workdir=/opt/mr3-run/work-dir") })
			},
			want: []string{"[mr3-site.xml mr3.k8s.worker.persistentvolumeclaim.mounts]: env.sh line 10: WORK_DIR_PERSISTENT_VOLUME_CLAIM='rel-workdir' makes MR3's scripts pass -Dmr3.k8s.worker.persistentvolumeclaim.mounts= (an empty value), but mr3-site.xml (ConfigMap rel-conf) says rel-workdir=/opt/mr3-run/work-dir; MR3 uses the empty value; fix: leave mr3.k8s.worker.persistentvolumeclaim.mounts out of mr3-site.xml"}},
		{name: "a value the checker cannot evaluate",
			mutate: func(t *testing.T, r *Release) {
				editEnvSh(t, r, "SPARK_MR3_NAMESPACE='ns1'", "SPARK_MR3_NAMESPACE=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)")
			},
			want: []string{
				"[mr3-site.xml mr3.k8s.namespace]: the checker cannot tell what -Dmr3.k8s.namespace MR3's scripts pass: SPARK_MR3_NAMESPACE is unknown: env.sh line 14 (SPARK_MR3_NAMESPACE=$(cat /var/run/secrets/kubernetes.io/…): $(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace) is not evaluated (command substitution); mr3-site.xml (ConfigMap rel-conf) says ns1, and MR3 uses the option's value; fix: write the variable literally",
				"[mr3-site-outside.xml mr3.k8s.namespace]: the checker cannot tell"}},
		{name: "an if block in env.sh",
			mutate: func(t *testing.T, r *Release) {
				editEnvSh(t, r, "unset SPARK_HOME", "unset SPARK_HOME\nif [ -n \"$X\" ]; then\n  CREATE_WORKER_SECRET='false'\nfi")
			},
			want: []string{
				"[mr3-site.xml mr3.k8s.mount.worker.secret]: the checker cannot tell what -Dmr3.k8s.mount.worker.secret MR3's scripts pass: CREATE_WORKER_SECRET is unknown: env.sh line 38 assigns it inside the if block on lines 37–39",
			}},
		{name: "a syntax error",
			mutate: func(t *testing.T, r *Release) {
				editEnvSh(t, r, "unset SPARK_HOME", "unset SPARK_HOME\nexport X='oops")
			},
			want: []string{"Secret/rel-env [env.sh]: env.sh line 37 (export X='oops, Secret rel-env): syntax error: a single quote is not closed; bash stops reading env.sh here, so nothing after it runs; fix: fix env.sh: envSh.extraLines in the values, or the overlay that edits Secret rel-env"}},
		{name: "a blank splits an option everywhere",
			mutate: func(t *testing.T, r *Release) {
				editEnvSh(t, r, "SPARK_DOCKER_USER='spark'", "SPARK_DOCKER_USER='spark user'")
			},
			want: []string{`Secret/rel-env [env.sh]: the driver's Java options contain the word "user" (a value with a blank is split there), which the JVM takes as its main class, so the driver does not start (every driver, and outside Kubernetes); it comes from SPARK_DOCKER_USER (env.sh line 13); fix: give these variables values without blanks`}},
	})
}
