package chart_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spark-mr3/spark-mr3/internal/golden"
)

// TestRejectsBadValues: each bad value fails `helm install/template` with an error that names
// the offending key. Schema violations come from values.schema.json, cross-field rules from
// the one template `fail` of templates/_validate.tpl.
func TestRejectsBadValues(t *testing.T) {
	driver := func(kv ...any) map[string]any {
		d := map[string]any{"name": "spark1"}
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i].(string)] = kv[i+1]
		}
		return d
	}
	drivers := func(ds ...map[string]any) map[string]any {
		list := make([]any, len(ds))
		for i, d := range ds {
			list[i] = d
		}
		return map[string]any{"drivers": list}
	}
	limits := func(cpu, mem string) map[string]any {
		return map[string]any{"limits": map[string]any{"cpu": cpu, "memory": mem}}
	}
	alias := func(ip string, hosts ...string) map[string]any {
		hs := make([]any, len(hosts))
		for i, h := range hosts {
			hs[i] = h
		}
		return map[string]any{"ip": ip, "hostnames": hs}
	}
	outside := map[string]any{"outsideDrivers": map[string]any{
		"enabled": true, "apiServerUrl": "https://10.1.90.9:6443"}}

	cases := []struct {
		name   string
		values map[string]any
		want   []string // every one must appear in the error
	}{
		{"unknown top-level key", map[string]any{"driver": []any{}}, []string{"driver"}},
		{"unknown nested key", map[string]any{"shuffle": map[string]any{"ports": 7337}}, []string{"shuffle", "ports"}},
		{"wrong type: port as string", map[string]any{"shuffle": map[string]any{"port": "7337"}}, []string{"shuffle", "port"}},
		{"wrong type: drivers not a list", map[string]any{"drivers": map[string]any{"name": "spark1"}}, []string{"drivers"}},
		{"wrong type: dagRecovery", map[string]any{"mr3": map[string]any{"dagRecovery": "yes"}}, []string{"dagRecovery"}},
		{"driver name upper case", drivers(driver("name", "Spark1")), []string{"drivers", "name"}},
		{"driver name with underscore", drivers(driver("name", "spark_1")), []string{"drivers", "name"}},
		{"driver name mr3", drivers(driver("name", "mr3")), []string{"drivers", "name"}},
		{"driver name equal to the AM Service", map[string]any{
			"mr3":     map[string]any{"amService": map[string]any{"name": "am"}},
			"drivers": []any{map[string]any{"name": "am"}}}, []string{"drivers[0].name", "mr3.amService.name"}},
		{"driver name of an MR3-made Service", map[string]any{"fullnameOverride": "service", "drivers": []any{map[string]any{"name": "worker"}}}, []string{"drivers[0].name", `driver "worker" makes Service "service-worker"`}},
		{"driver object name too long for the revision label", map[string]any{"fullnameOverride": strings.Repeat("f", 40), "drivers": []any{map[string]any{"name": "abcdefghijkl"}}},
			[]string{"drivers[0].name", `driver "abcdefghijkl"`, strings.Repeat("f", 40) + "-abcdefghijkl", "53 characters", "at most 52", "shorter driver name", "fullnameOverride"}},
		{"driver object name not a DNS-1035 label", map[string]any{"fullnameOverride": "9lives"}, []string{"drivers[0].name", `"9lives-spark1"`, "DNS-1035", "fullnameOverride", "mr3.amService.name", `"9lives-mr3"`}},
		{"driver named like the AM Service", map[string]any{"mr3": map[string]any{"amService": map[string]any{"name": "demo-etl"}}, "drivers": []any{map[string]any{"name": "etl"}}}, []string{"drivers[0].name", `Service "demo-etl"`, "DAGAppMaster Service"}},
		{"AM Service name not a DNS-1035 label", map[string]any{"mr3": map[string]any{"amService": map[string]any{"name": "9am"}}}, []string{"/mr3/amService/name"}},
		{"duplicate driver names", drivers(driver(), driver("name", "spark2"), driver()), []string{"drivers[2].name", "spark1"}},
		{"driver without name", drivers(map[string]any{"cores": 1}), []string{"drivers", "name"}},
		{"zero memory", drivers(driver("memoryMb", 0)), []string{"memoryMb"}},
		{"negative cores", drivers(driver("cores", -1)), []string{"cores"}},
		{"fractional cores", drivers(driver("cores", 1.5)), []string{"cores"}},
		{"memory above 90% of the limit", drivers(driver("memoryMb", 4000, "resources", limits("1", "4Gi"))), []string{"memoryMb", "resources.limits.memory"}},
		{"cores above the CPU limit", drivers(driver("cores", 2, "resources", limits("1500m", "4Gi"))), []string{"cores", "resources.limits.cpu"}},
		{"memory request above the limit", drivers(driver("memoryMb", 1000, "resources", map[string]any{
			"requests": map[string]any{"cpu": "1", "memory": "2Gi"}, "limits": map[string]any{"cpu": "1", "memory": "2000Mi"}})), []string{"resources.requests.memory", "resources.limits.memory"}},
		{"cpu request above the limit", drivers(driver("resources", map[string]any{
			"requests": map[string]any{"cpu": "2", "memory": "4Gi"}, "limits": map[string]any{"cpu": "1500m", "memory": "4Gi"}})), []string{"resources.requests.cpu", "resources.limits.cpu"}},
		{"malformed memory limit", drivers(driver("resources", limits("1", "4 GB"))), []string{"memory"}},
		{"malformed host alias IP", map[string]any{"hostAliases": []any{alias("10.1.90.300", "gold0")}}, []string{"hostAliases[0].ip"}},
		{"host alias IP not an address", map[string]any{"hostAliases": []any{alias("gold0", "gold0")}}, []string{"hostAliases[0].ip"}},
		{"host with two IPs", map[string]any{"hostAliases": []any{alias("10.1.90.9", "gold0"), alias("10.1.90.8", "gold0")}}, []string{"hostAliases[1].hostnames", "gold0"}},
		{"host alias hostname upper case", map[string]any{"hostAliases": []any{alias("10.1.90.9", "Gold0")}}, []string{"hostAliases", "hostnames"}},
		{"host alias without hostnames", map[string]any{"hostAliases": []any{map[string]any{"ip": "10.1.90.9"}}}, []string{"hostAliases", "hostnames"}},
		{"recovery without storage", map[string]any{"mr3": map[string]any{"dagRecovery": true}}, []string{"mr3.dagRecovery", "workDir.enabled"}},
		{"outside without API server", map[string]any{"outsideDrivers": map[string]any{"enabled": true}}, []string{"outsideDrivers.apiServerUrl"}},
		{"outside without an address", outside, []string{"outsideDrivers.amServiceHost"}},
		{"outside NodePort without nodePort", map[string]any{
			"outsideDrivers": map[string]any{"enabled": true, "apiServerUrl": "https://k:6443", "amServiceHost": "10.1.90.9"},
			"mr3":            map[string]any{"amService": map[string]any{"type": "NodePort"}}}, []string{"mr3.amService.nodePort"}},
		{"outside host not in hostAliases", map[string]any{
			"outsideDrivers": map[string]any{"enabled": true, "apiServerUrl": "https://k:6443", "hosts": []any{"gold0"}},
			"mr3":            map[string]any{"amService": map[string]any{"externalIPs": []any{"10.1.90.10"}}}}, []string{"outsideDrivers.hosts[0]", "hostAliases"}},
		{"externalIP malformed", map[string]any{"mr3": map[string]any{"amService": map[string]any{"externalIPs": []any{"1.2.3"}}}}, []string{"mr3.amService.externalIPs[0]"}},
		{"bad token pin: timestamp zero", map[string]any{"token": map[string]any{"applicationIdTimestamp": 0}}, []string{"applicationIdTimestamp"}},
		{"bad token pin: timestamp negative", map[string]any{"token": map[string]any{"applicationIdTimestamp": -5}}, []string{"applicationIdTimestamp"}},
		{"bad token pin: timestamp not a number", map[string]any{"token": map[string]any{"applicationIdTimestamp": "12ab"}}, []string{"applicationIdTimestamp"}},
		{"bad token pin: blank key", map[string]any{"token": map[string]any{"clientToAMTokenKey": "   "}}, []string{"clientToAMTokenKey"}},
		{"bad token pin: key not a string", map[string]any{"token": map[string]any{"clientToAMTokenKey": 42}}, []string{"clientToAMTokenKey"}},
		{"shuffle mode unknown", map[string]any{"shuffle": map[string]any{"mode": "yarn"}}, []string{"shuffle", "mode"}},
		{"derived key in mr3.extraProperties", map[string]any{"mr3": map[string]any{"extraProperties": map[string]any{"mr3.k8s.shuffle.process.ports": 7338}}}, []string{"mr3.extraProperties.mr3.k8s.shuffle.process.ports"}},
		{"derived key in spark.extraProperties", map[string]any{"spark": map[string]any{"extraProperties": map[string]any{"spark.shuffle.service.port": 7338}}}, []string{"spark.extraProperties.spark.shuffle.service.port"}},
		{"existing SA without name", map[string]any{"serviceAccount": map[string]any{"driver": map[string]any{"create": false}}}, []string{"serviceAccount.driver.name"}},
		{"hostPath PV without opt-in", map[string]any{"workDir": map[string]any{"enabled": true, "persistentVolume": map[string]any{
			"create": true, "source": map[string]any{"hostPath": map[string]any{"path": "/x"}}}}}, []string{"workDir.persistentVolume.source.hostPath", "allowHostPath"}},
		{"local dir not absolute", map[string]any{"localDirs": map[string]any{"paths": []any{"data"}}}, []string{"localDirs", "paths"}},
		{"env.sh variable name", map[string]any{"envSh": map[string]any{"vars": map[string]any{"AWS-KEY": "x"}}}, []string{"envSh", "vars"}},
		// Values that reach a shell (env.sh, MR3's scripts use them unquoted) or break a file.
		{"command substitution in mr3.podUser", map[string]any{"mr3": map[string]any{"podUser": "spark$(id>/tmp/x)"}}, []string{"/mr3/podUser"}},
		{"composite mr3.podUser", map[string]any{"mr3": map[string]any{"podUser": "spark@RED"}}, []string{"/mr3/podUser"}},
		{"newline in localDirs.paths", map[string]any{"localDirs": map[string]any{"paths": []any{"/data1\nspark.shuffle.service.port=1"}}}, []string{"/localDirs/paths/0"}},
		{"space in localDirs.paths", map[string]any{"localDirs": map[string]any{"paths": []any{"/data 1"}}}, []string{"/localDirs/paths/0"}},
		{"shell characters in workDir.mountPath", map[string]any{"workDir": map[string]any{"mountPath": "/work;touch /tmp/x"}}, []string{"/workDir/mountPath"}},
		{"relative workDir.mountPath", map[string]any{"workDir": map[string]any{"mountPath": "work-dir"}}, []string{"/workDir/mountPath"}},
		{"work dir inside the local dirs", map[string]any{"workDir": map[string]any{"mountPath": "/opt/mr3-run/work-local-dir"}}, []string{"workDir.mountPath", "localDirs.paths"}},
		{"comma in mr3.masterEmptyDirs", map[string]any{"mr3": map[string]any{"masterEmptyDirs": []any{"/a,/b"}}}, []string{"/mr3/masterEmptyDirs/0"}},
		{"relative mr3.masterCommand", map[string]any{"mr3": map[string]any{"masterCommand": "run-master.sh"}}, []string{"/mr3/masterCommand"}},
		{"blank in mr3.workerSysctls", map[string]any{"mr3": map[string]any{"workerSysctls": "net.core.somaxconn=1 x"}}, []string{"/mr3/workerSysctls"}},
		{"shell characters in image.repository", map[string]any{"image": map[string]any{"repository": "repo;id"}}, []string{"/image/repository"}},
		{"command substitution in image.tag", map[string]any{"image": map[string]any{"tag": "$(id)"}}, []string{"/image/tag"}},
		{"space in a driver image", map[string]any{"drivers": []any{map[string]any{"name": "a", "image": map[string]any{"repository": "a b"}}}}, []string{"/drivers/0/image/repository"}},
		{"driver name starting with a digit", drivers(driver("name", "1spark")), []string{"/drivers/0/name"}},
		{"relative submit command", drivers(driver("command", map[string]any{"submit": "run.sh"})), []string{"/drivers/0/command/submit"}},
		{"newline in writableDirs", map[string]any{"driverDefaults": map[string]any{"writableDirs": []any{"/tmp\n/x"}}}, []string{"/driverDefaults/writableDirs/0"}},
		{"ServiceAccount name with shell characters", map[string]any{"serviceAccount": map[string]any{"master": map[string]any{"create": false, "name": "sa$(id)"}}}, []string{"/serviceAccount/master/name"}},
		{"existing claim upper case", map[string]any{"workDir": map[string]any{"enabled": true, "existingClaim": "Work"}}, []string{"/workDir/existingClaim"}},
		{"storage class with a space", map[string]any{"localDirs": map[string]any{"storageClassName": "fast ssd"}}, []string{"/localDirs/storageClassName"}},
		{"image pull secret with a comma", map[string]any{"imagePullSecrets": []any{map[string]any{"name": "a,b"}}}, []string{"/imagePullSecrets/0/name"}},
		{"env.sh var value with a newline", map[string]any{"envSh": map[string]any{"vars": map[string]any{"A": "x\nB=y"}}}, []string{"/envSh/vars/A"}},
		{"env.sh var that env.sh sets itself", map[string]any{"envSh": map[string]any{"vars": map[string]any{"SPARK_MR3_NAMESPACE": "other"}}}, []string{"envSh.vars.SPARK_MR3_NAMESPACE", "set the chart value"}},
		{"env.sh var the driver Pod sets", map[string]any{"envSh": map[string]any{"vars": map[string]any{"DRIVER_NAME": "x"}}}, []string{"envSh.vars.DRIVER_NAME"}},
		{"two metastore URIs", map[string]any{"hiveSite": map[string]any{"metastoreUris": "thrift://a:9083,thrift://b:9083"}}, []string{"hiveSite.metastoreUris", "exactly one", "overrides hive-site.xml"}},
		{"metastore URI without a port", map[string]any{"hiveSite": map[string]any{"metastoreUris": "thrift://metastore"}}, []string{"hiveSite.metastoreUris", "thrift://host:port"}},
		{"metastore URI with a space", map[string]any{"hiveSite": map[string]any{"metastoreUris": "thrift://a :9083"}}, []string{"/hiveSite/metastoreUris"}},
		{"warehouse dir with a space", map[string]any{"hiveSite": map[string]any{"warehouseDir": "s3a://b/w h"}}, []string{"/hiveSite/warehouseDir"}},
		{"warehouse dir as a hive-site extra", map[string]any{"hiveSite": map[string]any{"extraProperties": map[string]any{"hive.metastore.warehouse.dir": "/w"}}}, []string{"hiveSite.extraProperties.hive.metastore.warehouse.dir", "hiveSite.warehouseDir"}},
		{"proxy base with a trailing slash", map[string]any{"spark": map[string]any{"uiProxyBase": "http://gw:8080/"}}, []string{"/spark/uiProxyBase"}},
		{"proxy base with a glob", map[string]any{"spark": map[string]any{"uiProxyBase": "/ui/*"}}, []string{"/spark/uiProxyBase"}},
		{"keytab outside the key dir", map[string]any{"kerberos": map[string]any{"keytab": "/etc/spark.keytab"}}, []string{"/kerberos/keytab"}},
		{"keytab not in keytabFiles", map[string]any{"kerberos": map[string]any{"keytab": "/opt/mr3-run/key/spark.keytab"}}, []string{"kerberos.keytab", "keytabFiles.spark.keytab"}},
		{"keytab mount file not in keytabFiles", map[string]any{"kerberos": map[string]any{"keytabMountFile": "mr3.keytab"}}, []string{"kerberos.keytabMountFile", "keytabFiles"}},
		{"principal with a space", map[string]any{"kerberos": map[string]any{"principal": "spark @RED"}}, []string{"/kerberos/principal"}},
		{"truststore not in keytabFiles", map[string]any{"ssl": map[string]any{"truststore": "ca.jks"}}, []string{"ssl.truststore", "keytabFiles"}},
		{"truststore as a path", map[string]any{"ssl": map[string]any{"truststore": "/opt/mr3-run/key/ca.jks"}}, []string{"/ssl/truststore"}},
		{"keytab file name with a colon", map[string]any{"keytabFiles": map[string]any{"a: b": "AAAA"}}, []string{"keytabFiles.a: b"}},
		{"defaultFS with a space", map[string]any{"coreSite": map[string]any{"defaultFS": "hdfs://nn :8020"}}, []string{"/coreSite/defaultFS"}},
		{"API server URL with a newline", map[string]any{"outsideDrivers": map[string]any{"apiServerUrl": "https://k:6443\nx"}}, []string{"/outsideDrivers/apiServerUrl"}},
		{"AM service host with shell characters", map[string]any{"outsideDrivers": map[string]any{"amServiceHost": "a;b"}}, []string{"/outsideDrivers/amServiceHost"}},
		{"token checksum with a space", map[string]any{"token": map[string]any{"checksum": "a b"}}, []string{"/token/checksum"}},
		{"mr3.master.mode as an extra property", map[string]any{"mr3": map[string]any{"extraProperties": map[string]any{"mr3.master.mode": "local-thread"}}}, []string{"mr3.extraProperties.mr3.master.mode", "-Dmr3.master.mode"}},
		{"worker claim mounts while the work dir is on", map[string]any{"workDir": map[string]any{"enabled": true, "existingClaim": "w"},
			"mr3": map[string]any{"extraProperties": map[string]any{"mr3.k8s.worker.persistentvolumeclaim.mounts": "w=/x"}}}, []string{"mr3.extraProperties.mr3.k8s.worker.persistentvolumeclaim.mounts", "always empty"}},
		{"a key mr3-setup.sh sets as an extra property", map[string]any{"mr3": map[string]any{"extraProperties": map[string]any{"mr3.k8s.java.io.tmpdir": "/x"}}}, []string{"mr3.extraProperties.mr3.k8s.java.io.tmpdir"}},
	}
	if len(cases) < 80 {
		t.Fatalf("want at least 80 cases, have %d", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, renderOpts{}, pinnedToken, tc.values)
			if err == nil {
				t.Fatalf("values %v rendered without error; want a failure naming %q", tc.values, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestAcceptsGoodEdgeValues guards against rules that are too strict.
func TestAcceptsGoodEdgeValues(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
	}{
		{"memory exactly 90% of the limit", map[string]any{"drivers": []any{map[string]any{"name": "a", "memoryMb": 3686,
			"resources": map[string]any{"limits": map[string]any{"cpu": "1", "memory": "4Gi"}}}}}},
		{"cores equal to a millicore limit", map[string]any{"drivers": []any{map[string]any{"name": "a", "cores": 2,
			"resources": map[string]any{"limits": map[string]any{"cpu": "2000m", "memory": "4096Mi"}}}}}},
		{"no limits at all", map[string]any{"drivers": []any{map[string]any{"name": "a", "resources": map[string]any{}}}}},
		{"no drivers (outside only)", map[string]any{"drivers": []any{},
			"outsideDrivers": map[string]any{"enabled": true, "apiServerUrl": "https://k:6443", "amServiceHost": "10.1.90.10"},
			"mr3":            map[string]any{"amService": map[string]any{"type": "LoadBalancer"}}}},
		{"IPv6 host alias", map[string]any{"hostAliases": []any{map[string]any{"ip": "fd00::10", "hostnames": []any{"gold0"}}}}},
		{"same host twice with the same IP", map[string]any{"hostAliases": []any{
			map[string]any{"ip": "10.0.0.1", "hostnames": []any{"a"}}, map[string]any{"ip": "10.0.0.1", "hostnames": []any{"a"}}}}},
		{"timestamp as integer", map[string]any{"token": map[string]any{"applicationIdTimestamp": 12345678}}},
		{"NodePort with nodePort", map[string]any{
			"outsideDrivers": map[string]any{"enabled": true, "apiServerUrl": "https://k:6443", "amServiceHost": "10.1.90.9"},
			"mr3":            map[string]any{"amService": map[string]any{"type": "NodePort", "nodePort": 30862}}}},
		{"existing SAs and claim", map[string]any{
			"serviceAccount": map[string]any{"driver": map[string]any{"create": false, "name": "spark"}},
			"mr3":            map[string]any{"dagRecovery": true},
			"workDir":        map[string]any{"enabled": true, "existingClaim": "workdir-pvc"}}},
		{"persistentVolumeClaim local dirs", map[string]any{"localDirs": map[string]any{"type": "persistentVolumeClaim", "storageClassName": "fast"}}},
		{"one metastore, warehouse, proxy base", map[string]any{
			"hiveSite": map[string]any{"enabled": true, "metastoreUris": "thrift://metastore.hive.svc.cluster.local:9083", "warehouseDir": "s3a://bucket/warehouse"},
			"spark":    map[string]any{"uiProxyBase": "https://gw.example.com:8443/spark-ui"}}},
		{"metastore without hive-site.xml", map[string]any{"hiveSite": map[string]any{"metastoreUris": "thrift://10.1.90.20:9083"}}},
		{"Kerberos and a truststore", map[string]any{
			"keytabFiles": map[string]any{"spark.keytab": "AAAA", "ca.jks": "AAAA"},
			"kerberos":    map[string]any{"keytab": "/opt/mr3-run/key/spark.keytab", "principal": "spark/host@EXAMPLE.COM", "user": "spark", "keytabMountFile": "spark.keytab"},
			"ssl":         map[string]any{"truststore": "ca.jks"}}},
		{"image from a registry with a port", map[string]any{"image": map[string]any{"repository": "registry.example.com:5000/team/spark3", "tag": "3.5.2-mr3_1"}}},
		{"read-only root filesystem", map[string]any{"containerSecurityContext": map[string]any{"readOnlyRootFilesystem": true}}},
		{"user name with digits and dash", map[string]any{"mr3": map[string]any{"podUser": "spark-user1"}}},
		{"env.sh var with shell syntax (single-quoted)", map[string]any{"envSh": map[string]any{"vars": map[string]any{"PASSWORD": "p$(x)'`y`"}}}},
		{"proxy base as a path", map[string]any{"spark": map[string]any{"uiProxyBase": "/proxy"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := render(t, renderOpts{}, pinnedToken, tc.values); err != nil {
				t.Fatalf("values %v: %v", tc.values, err)
			}
		})
	}
}

// TestRejectsEveryMistakeAtOnce: values with several cross-field mistakes fail once, with a
// message for each (templates/_validate.tpl runs every rule before it fails), whichever
// template the rules come from: _validate.tpl itself, the conf-file engine or the token.
func TestRejectsEveryMistakeAtOnce(t *testing.T) {
	cases := []struct {
		name   string
		values map[string]any
		want   []string // one per mistake, each must appear once
	}{
		{"two rules of _validate.tpl", map[string]any{
			"mr3":         map[string]any{"dagRecovery": true},
			"hostAliases": []any{map[string]any{"ip": "10.1.90", "hostnames": []any{"gold0"}}},
		}, []string{"mr3.dagRecovery=true needs workDir.enabled=true", `hostAliases[0].ip: "10.1.90" is not an IPv4 or IPv6 address`}},
		{"a rule, a derived conf key and the token", map[string]any{
			"drivers": []any{map[string]any{"name": "spark1"}, map[string]any{"name": "spark1"}},
			"spark":   map[string]any{"extraProperties": map[string]any{"spark.task.cpus": 2}},
			"token":   map[string]any{"existingSecret": "tok", "clientToAMTokenKey": nil, "applicationIdTimestamp": nil},
		}, []string{`drivers[1].name: "spark1" is used by drivers[0] too`, "spark.extraProperties.spark.task.cpus: the chart derives", "token.checksum: required with token.existingSecret=tok"}},
		{"two existing ServiceAccounts without names", map[string]any{"serviceAccount": map[string]any{
			"master": map[string]any{"create": false}, "worker": map[string]any{"create": false}}},
			[]string{"serviceAccount.master.name is required", "serviceAccount.worker.name is required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, renderOpts{}, pinnedToken, tc.values)
			if err == nil {
				t.Fatalf("values %v rendered without error; want %d messages", tc.values, len(tc.want))
			}
			msg := err.Error()
			if head := fmt.Sprintf("%d problems in the values", len(tc.want)); !strings.Contains(msg, head) {
				t.Errorf("error does not start the list with %q:\n%s", head, msg)
			}
			for _, w := range tc.want {
				if n := strings.Count(msg, w); n != 1 {
					t.Errorf("error names %q %d times, want once:\n%s", w, n, msg)
				}
			}
			if strings.Count(msg, "execution error at") != 1 {
				t.Errorf("want one template failure:\n%s", msg)
			}
		})
	}
}

// TestErrorMessages keeps what users read for a few failures in testdata/error-messages.txt
// (go test ./test/chart -run TestErrorMessages -update rewrites it; read the diff).
func TestErrorMessages(t *testing.T) {
	var b strings.Builder
	for _, v := range []map[string]any{
		{"drivers": []any{map[string]any{"name": "Spark1"}}},
		{"drivers": []any{map[string]any{"name": "a", "memoryMb": 4000}}},
		{"mr3": map[string]any{"dagRecovery": true}},
		{"bogus": 1},
	} {
		_, err := render(t, renderOpts{}, pinnedToken, v)
		if err == nil {
			t.Errorf("values %v rendered, want an error", v)
			continue
		}
		js, jerr := json.Marshal(v)
		if jerr != nil {
			t.Fatal(jerr)
		}
		fmt.Fprintf(&b, "values: %s\nerror: %v\n\n", js, err)
	}
	golden.AssertString(t, filepath.Join("testdata", "error-messages.txt"), b.String())
}
