package chart_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// envShOrder is the env.sh contract (docs/DESIGN.md "env.sh"): every variable MR3's scripts
// read, always assigned, in this order.
var envShOrder = []string{
	"REMOTE_BASE_DIR", "SPARK_REMOTE_WORK_DIR", "CONF_DIR_MOUNT_DIR", "KEYTAB_MOUNT_DIR", "KEYTAB_MOUNT_FILE",
	"CREATE_PERSISTENT_VOLUME", "CREATE_SERVICE_ACCOUNTS", "RUN_AWS_EKS",
	"WORK_DIR_PERSISTENT_VOLUME_CLAIM", "WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR",
	"DOCKER_SPARK_IMG", "SPARK_DOCKER_USER", "SPARK_MR3_NAMESPACE", "SPARK_MR3_SERVICE_ACCOUNT",
	"MASTER_SERVICE_ACCOUNT", "WORKER_SERVICE_ACCOUNT", "SPARK_CONF_DIR_CONFIGMAP",
	"CREATE_KEYTAB_SECRET", "SPARK_KEYTAB_SECRET", "CREATE_WORKER_SECRET", "SPARK_WORKER_SECRET",
	"SPARK_DRIVER_PORT", "SPARK_UI_PORT", "PROXY_BASE",
	"SPARK_METASTORE_HOST", "SPARK_METASTORE_PORT", "SPARK_METASTORE_WAREHOUSE", "HIVE_METASTORE_SECURE_MODE",
	"SPARK_KERBEROS_KEYTAB", "SPARK_KERBEROS_PRINCIPAL", "SPARK_KERBEROS_USER",
	"SPARK_SSL_TRUSTSTORE", "SPARK_SSL_TRUSTSTORETYPE",
}

// envSh is a parsed env.sh: the contract's assignments in order, then the exported extras.
type envSh struct {
	names   []string
	vars    map[string]string
	exports map[string]string
}

var assignRE = regexp.MustCompile(`^(export )?([A-Za-z_][A-Za-z0-9_]*)='((?:[^']|'\\'')*)'$`)

// parseEnvSh reads env.sh strictly by the contract's format, without a shell: comments,
// `NAME='literal'` (a quote written '\”), `export NAME='literal'`, and the final
// `unset SPARK_HOME`. Any other line fails the test (scenarios have no envSh.extraLines).
func parseEnvSh(t *testing.T, text string) envSh {
	t.Helper()
	e := envSh{vars: map[string]string{}, exports: map[string]string{}}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "#!/bin/bash" || lines[len(lines)-1] != "unset SPARK_HOME" {
		t.Fatalf("env.sh must start with #!/bin/bash and end with unset SPARK_HOME:\n%s", text)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if strings.HasPrefix(l, "#") {
			continue
		}
		m := assignRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("env.sh line %q is not NAME='literal'", l)
			continue
		}
		val := strings.ReplaceAll(m[3], `'\''`, "'")
		if m[1] != "" {
			e.exports[m[2]] = val
			continue
		}
		if len(e.exports) > 0 {
			t.Errorf("env.sh assigns %s after the exported extras", m[2])
		}
		if _, dup := e.vars[m[2]]; dup {
			t.Errorf("env.sh assigns %s twice", m[2])
		}
		e.names = append(e.names, m[2])
		e.vars[m[2]] = val
	}
	return e
}

// dOption is one -D option MR3's scripts add to the driver's Java options.
type dOption struct{ key, value string }

// scriptOptions models what MR3's mr3-setup.sh (mr3_setup_update_hadoop_opts) and
// spark-setup.sh (spark_setup_init_run_configs) build from env.sh, in their order. An unset
// variable would give an empty value; fileExists answers `[ -f PATH ]` (true for an empty PATH,
// which the unquoted test then reads as `[ -f ]`).
func scriptOptions(env map[string]string, mode string, fileExists func(string) bool) []dOption {
	g := func(n string) string { return env[n] }
	opts := []dOption{
		{"mr3.k8s.namespace", g("SPARK_MR3_NAMESPACE")},
		{"mr3.k8s.pod.master.serviceaccount", g("MASTER_SERVICE_ACCOUNT")},
		{"mr3.k8s.pod.worker.serviceaccount", g("WORKER_SERVICE_ACCOUNT")},
		{"mr3.k8s.pod.master.image", g("DOCKER_SPARK_IMG")},
		{"mr3.k8s.pod.worker.image", g("DOCKER_SPARK_IMG")},
		{"mr3.k8s.pod.master.user", g("SPARK_DOCKER_USER")},
		{"mr3.k8s.master.working.dir", g("SPARK_REMOTE_WORK_DIR")},
		{"mr3.k8s.pod.worker.user", g("SPARK_DOCKER_USER")},
		{"mr3.k8s.worker.working.dir", g("SPARK_REMOTE_WORK_DIR")},
		{"mr3.k8s.java.io.tmpdir", g("SPARK_REMOTE_WORK_DIR") + "/tmp"},
		{"mr3.k8s.conf.dir.configmap", g("SPARK_CONF_DIR_CONFIGMAP")},
		{"mr3.k8s.conf.dir.mount.dir", g("CONF_DIR_MOUNT_DIR")},
		{"mr3.k8s.keytab.secret", g("SPARK_KEYTAB_SECRET")},
		{"mr3.k8s.worker.secret", g("SPARK_WORKER_SECRET")},
		{"mr3.k8s.mount.keytab.secret", g("CREATE_KEYTAB_SECRET")},
		{"mr3.k8s.mount.worker.secret", g("CREATE_WORKER_SECRET")},
		{"mr3.k8s.keytab.mount.dir", g("KEYTAB_MOUNT_DIR")},
		{"mr3.k8s.keytab.mount.file", g("KEYTAB_MOUNT_FILE")},
	}
	if claim := g("WORK_DIR_PERSISTENT_VOLUME_CLAIM"); claim != "" {
		opts = append(opts,
			dOption{"mr3.k8s.master.persistentvolumeclaim.mounts", claim + "=" + g("WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR")},
			dOption{"mr3.k8s.worker.persistentvolumeclaim.mounts", ""})
	}
	opts = append(opts,
		dOption{"mr3.master.mode", mode},
		dOption{"mr3.cluster.additional.classpath", g("REMOTE_BASE_DIR") + "/mr3/mr3lib/mr3-spark-assembly.jar:" + g("REMOTE_BASE_DIR") + "/spark/jars/*"},
		dOption{"hive.metastore.uris", "thrift://" + g("SPARK_METASTORE_HOST") + ":" + g("SPARK_METASTORE_PORT")},
		dOption{"hive.metastore.warehouse.dir", g("SPARK_METASTORE_WAREHOUSE")})
	if ts := g("SPARK_SSL_TRUSTSTORE"); ts == "" || fileExists(ts) {
		opts = append(opts,
			dOption{"javax.net.ssl.trustStore", ts},
			dOption{"javax.net.ssl.trustStoreType", g("SPARK_SSL_TRUSTSTORETYPE")})
	}
	return opts
}

// releaseEnvSh returns the parsed env.sh of a rendering.
func releaseEnvSh(t *testing.T, r release) envSh {
	t.Helper()
	sec, ok := r.secrets[releaseName+"-env"]
	if !ok {
		t.Fatalf("no Secret %s-env", releaseName)
	}
	return parseEnvSh(t, string(sec.Data["env.sh"]))
}

// TestEnvShAgreesWithConfFiles: for every scenario, env.sh assigns exactly the contract's
// variables in order, and every -D option MR3's scripts build from it equals the key in
// mr3-site.xml (also mr3-site-outside.xml) or hive-site.xml, or the key is absent there (it
// lives in one place only). Values the scripts use unquoted hold no blanks or quotes.
func TestEnvShAgreesWithConfFiles(t *testing.T) {
	for _, name := range allScenarios() {
		t.Run(name, func(t *testing.T) {
			r := parseRelease(t, mustRender(t, scenarioValues(t, name), pinnedToken))
			checkEnvShAgrees(t, r)
		})
	}
}

func checkEnvShAgrees(t *testing.T, r release) {
	t.Helper()
	e := releaseEnvSh(t, r)
	if strings.Join(e.names, " ") != strings.Join(envShOrder, " ") {
		t.Errorf("env.sh assigns\n  %v\nwant (docs/DESIGN.md)\n  %v", e.names, envShOrder)
	}
	conf := r.configMaps[releaseName+"-conf"]
	files := map[string]map[string]string{"mr3-site.xml": xmlProps(t, conf.Data["mr3-site.xml"])}
	if text, ok := conf.Data["mr3-site-outside.xml"]; ok {
		files["mr3-site-outside.xml"] = xmlProps(t, text)
	}
	hive := map[string]string{}
	if text, ok := conf.Data["hive-site.xml"]; ok {
		hive = xmlProps(t, text)
	}
	keyFiles := r.secrets[releaseName+"-keytab"].Data
	exists := func(path string) bool {
		name, ok := strings.CutPrefix(path, e.vars["KEYTAB_MOUNT_DIR"]+"/")
		_, in := keyFiles[name]
		return ok && in
	}
	for _, mode := range []string{"kubernetes", "local-thread", "local-process"} {
		for _, o := range scriptOptions(e.vars, mode, exists) {
			if strings.ContainsAny(o.value, " \t\n'\"\\") {
				t.Errorf("-D%s=%q: Spark splits --driver-java-options at blanks and quotes", o.key, o.value)
			}
			if strings.HasPrefix(o.key, "hive.") {
				if v, ok := hive[o.key]; ok && v != o.value {
					t.Errorf("hive-site.xml %s=%q but MR3's spark-setup.sh passes -D%s=%q", o.key, v, o.key, o.value)
				}
				continue
			}
			for file, props := range files {
				if v, ok := props[o.key]; ok && v != o.value {
					t.Errorf("%s %s=%q but MR3's mr3-setup.sh passes -D%s=%q (mode %s)", file, o.key, v, o.key, o.value, mode)
				}
			}
		}
	}
	// The decisions of docs/DESIGN.md "env.sh": equal values in the file, except these.
	mr3 := files["mr3-site.xml"]
	for _, k := range []string{"mr3.master.mode", "mr3.k8s.worker.persistentvolumeclaim.mounts"} {
		if _, ok := mr3[k]; ok {
			t.Errorf("mr3-site.xml sets %s, which lives on MR3's command line only", k)
		}
	}
	for _, k := range []string{"mr3.k8s.namespace", "mr3.k8s.pod.master.image", "mr3.k8s.master.working.dir", "mr3.k8s.java.io.tmpdir",
		"mr3.k8s.mount.keytab.secret", "mr3.k8s.mount.worker.secret", "mr3.k8s.keytab.mount.file", "mr3.cluster.additional.classpath"} {
		if _, ok := mr3[k]; !ok {
			t.Errorf("mr3-site.xml lacks %s (the chart writes it with the value of env.sh)", k)
		}
	}
	if e.vars["WORK_DIR_PERSISTENT_VOLUME_CLAIM"] == "" {
		if _, ok := mr3["mr3.k8s.master.persistentvolumeclaim.mounts"]; ok {
			t.Error("mr3-site.xml mounts a claim in the DAGAppMaster but env.sh names none")
		}
	}
	// `[ -f $SPARK_SSL_TRUSTSTORE ]` with an empty variable is true: never empty.
	if e.vars["SPARK_SSL_TRUSTSTORE"] == "" {
		t.Error("SPARK_SSL_TRUSTSTORE is empty: spark-setup.sh would add an empty -Djavax.net.ssl.trustStore=")
	}
	// What the scripts pass with --conf, unquoted: one word each.
	for _, d := range r.statefulSets {
		for k, v := range map[string]string{
			"spark.ui.proxyBase":    e.vars["PROXY_BASE"] + "/" + d.Name,
			"spark.driver.host":     d.Name + "." + e.vars["SPARK_MR3_NAMESPACE"] + ".svc.cluster.local",
			"spark.kerberos.keytab": e.vars["SPARK_KERBEROS_KEYTAB"], "spark.kerberos.principal": e.vars["SPARK_KERBEROS_PRINCIPAL"],
			"spark.hadoop.yarn.resourcemanager.principal": e.vars["SPARK_KERBEROS_USER"],
		} {
			if strings.ContainsAny(v, " \t\n'\"\\*?[$`") {
				t.Errorf("--conf %s=%q: MR3's script passes it unquoted; the shell would split or expand it", k, v)
			}
		}
	}
	// Ports agree with the driver Services.
	for _, svc := range r.services {
		for _, p := range svc.Spec.Ports {
			if p.Name == "driver" && p.Port != 9850 || p.Name == "webui" && p.Port != 4040 {
				t.Errorf("Service %s port %s=%d", svc.Name, p.Name, p.Port)
			}
		}
	}
	if e.vars["SPARK_DRIVER_PORT"] != "9850" || e.vars["SPARK_UI_PORT"] != "4040" {
		t.Errorf("env.sh ports %s/%s", e.vars["SPARK_DRIVER_PORT"], e.vars["SPARK_UI_PORT"])
	}
}

// TestEnvShFromValues: the new values reach env.sh and the conf files, and the model of MR3's
// scripts still finds them in agreement.
func TestEnvShFromValues(t *testing.T) {
	vals := map[string]any{
		"keytabFiles": map[string]any{"spark.keytab": "AAAA", "truststore.jks": "AAAA", "mr3.keytab": "AAAA"},
		"kerberos": map[string]any{"keytab": "/opt/mr3-run/key/spark.keytab", "principal": "spark@EXAMPLE.COM", "user": "spark",
			"keytabMountFile": "mr3.keytab"},
		"ssl":      map[string]any{"truststore": "truststore.jks", "truststoreType": "pkcs12"},
		"spark":    map[string]any{"uiProxyBase": "http://gateway:8080/spark"},
		"hiveSite": map[string]any{"enabled": true, "metastoreUris": "thrift://metastore.hive.svc.cluster.local:9083", "warehouseDir": "s3a://bucket/warehouse"},
		"workDir":  map[string]any{"enabled": true, "existingClaim": "work"},
		"envSh":    map[string]any{"vars": map[string]any{"AWS_REGION": "eu-west-1"}},
	}
	r := parseRelease(t, mustRender(t, pinnedToken, vals))
	checkEnvShAgrees(t, r)
	e := releaseEnvSh(t, r)
	for k, want := range map[string]string{
		"KEYTAB_MOUNT_FILE": "mr3.keytab", "SPARK_KERBEROS_KEYTAB": "/opt/mr3-run/key/spark.keytab",
		"SPARK_KERBEROS_PRINCIPAL": "spark@EXAMPLE.COM", "SPARK_KERBEROS_USER": "spark",
		"SPARK_SSL_TRUSTSTORE": "/opt/mr3-run/key/truststore.jks", "SPARK_SSL_TRUSTSTORETYPE": "pkcs12",
		"PROXY_BASE": "http://gateway:8080/spark", "SPARK_METASTORE_HOST": "metastore.hive.svc.cluster.local",
		"SPARK_METASTORE_PORT": "9083", "SPARK_METASTORE_WAREHOUSE": "s3a://bucket/warehouse",
		"WORK_DIR_PERSISTENT_VOLUME_CLAIM": "work", "WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR": "/opt/mr3-run/work-dir",
	} {
		if e.vars[k] != want {
			t.Errorf("env.sh %s=%q, want %q", k, e.vars[k], want)
		}
	}
	if e.exports["AWS_REGION"] != "eu-west-1" {
		t.Errorf("exports %v", e.exports)
	}
	conf := r.configMaps[releaseName+"-conf"]
	mr3 := xmlProps(t, conf.Data["mr3-site.xml"])
	hive := xmlProps(t, conf.Data["hive-site.xml"])
	if hive["hive.metastore.uris"] != "thrift://metastore.hive.svc.cluster.local:9083" || hive["hive.metastore.warehouse.dir"] != "s3a://bucket/warehouse" {
		t.Errorf("hive-site.xml %v", hive)
	}
	for _, k := range []string{"mr3.am.launch.cmd-opts", "mr3.container.launch.cmd-opts"} {
		if !strings.HasSuffix(mr3[k], " -Djavax.net.ssl.trustStore=/opt/mr3-run/key/truststore.jks -Djavax.net.ssl.trustStoreType=pkcs12") {
			t.Errorf("%s = %q lacks the truststore", k, mr3[k])
		}
	}
	if mr3["mr3.k8s.keytab.mount.file"] != "mr3.keytab" || mr3["mr3.k8s.master.persistentvolumeclaim.mounts"] != "work=/opt/mr3-run/work-dir" {
		t.Errorf("mr3-site.xml keytab file %q, master claim mounts %q", mr3["mr3.k8s.keytab.mount.file"], mr3["mr3.k8s.master.persistentvolumeclaim.mounts"])
	}
	// Without a truststore, env.sh names a file that cannot exist and the opts have none.
	d := releaseEnvSh(t, parseRelease(t, mustRender(t, pinnedToken)))
	if d.vars["SPARK_SSL_TRUSTSTORE"] != "/opt/mr3-run/key/.no-truststore" {
		t.Errorf("default SPARK_SSL_TRUSTSTORE %q", d.vars["SPARK_SSL_TRUSTSTORE"])
	}
}

// TestEnvShSourcedByBash: bash reads every value exactly as the contract's parser does, and
// nothing in a value runs: an envSh.vars value full of shell syntax stays text.
func TestEnvShSourcedByBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	canary := filepath.Join(dir, "ran")
	nasty := "$(touch " + canary + ") `touch " + canary + "` ${HOME} 'q' \"d\" \\ ; touch " + canary
	out := mustRender(t, pinnedToken, map[string]any{"envSh": map[string]any{"vars": map[string]any{"NASTY": nasty}}})
	r := parseRelease(t, out)
	text := string(r.secrets[releaseName+"-env"].Data["env.sh"])
	e := parseEnvSh(t, text)
	path := filepath.Join(dir, "env.sh")
	must(t, os.WriteFile(path, []byte(text), 0o600))
	names := append(append([]string(nil), envShOrder...), "NASTY")
	script := `set -eu; SPARK_HOME=x; source "$1"; shift; [ -z "${SPARK_HOME+set}" ] || exit 3; for n in "$@"; do printf '%s=%s\0' "$n" "${!n}"; done`
	cmd := exec.Command(bash, append([]string{"-c", script, "bash", path}, names...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash -c 'source env.sh': %v", err)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("sourcing env.sh ran a command from a value")
	}
	for _, kv := range strings.Split(strings.TrimSuffix(string(got), "\x00"), "\x00") {
		k, v, _ := strings.Cut(kv, "=")
		want, ok := e.vars[k]
		if !ok {
			want = e.exports[k]
		}
		if v != want {
			t.Errorf("bash reads %s=%q, the parser %q", k, v, want)
		}
	}
}
