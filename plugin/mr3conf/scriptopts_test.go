package mr3conf

import (
	"fmt"
	"strings"
	"testing"
)

// contractEnvSh is an env.sh in the chart's format assigning every variable of the contract.
const contractEnvSh = `#!/bin/bash
REMOTE_BASE_DIR='/opt/mr3-run'
SPARK_REMOTE_WORK_DIR='/opt/mr3-run/spark'
CONF_DIR_MOUNT_DIR='/opt/mr3-run/conf'
KEYTAB_MOUNT_DIR='/opt/mr3-run/key'
KEYTAB_MOUNT_FILE=''
CREATE_PERSISTENT_VOLUME='false'
CREATE_SERVICE_ACCOUNTS='false'
RUN_AWS_EKS='false'
WORK_DIR_PERSISTENT_VOLUME_CLAIM=''
WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR=''
DOCKER_SPARK_IMG='mr3project/spark3:3.5.2'
SPARK_DOCKER_USER='spark'
SPARK_MR3_NAMESPACE='ns1'
SPARK_MR3_SERVICE_ACCOUNT='rel-driver'
MASTER_SERVICE_ACCOUNT='rel-master'
WORKER_SERVICE_ACCOUNT='rel-worker'
SPARK_CONF_DIR_CONFIGMAP='rel-conf'
CREATE_KEYTAB_SECRET='true'
SPARK_KEYTAB_SECRET='rel-keytab'
CREATE_WORKER_SECRET='true'
SPARK_WORKER_SECRET='rel-worker'
SPARK_DRIVER_PORT='9850'
SPARK_UI_PORT='4040'
PROXY_BASE=''
SPARK_METASTORE_HOST='ms.hive'
SPARK_METASTORE_PORT='9083'
SPARK_METASTORE_WAREHOUSE=''
HIVE_METASTORE_SECURE_MODE='false'
SPARK_KERBEROS_KEYTAB=''
SPARK_KERBEROS_PRINCIPAL=''
SPARK_KERBEROS_USER=''
SPARK_SSL_TRUSTSTORE='/opt/mr3-run/key/.no-truststore'
SPARK_SSL_TRUSTSTORETYPE='jks'
unset SPARK_HOME
`

const contractOptions = `mr3.k8s.namespace=ns1
mr3.k8s.pod.master.serviceaccount=rel-master
mr3.k8s.pod.worker.serviceaccount=rel-worker
mr3.k8s.pod.master.image=mr3project/spark3:3.5.2
mr3.k8s.pod.worker.image=mr3project/spark3:3.5.2
mr3.k8s.pod.master.user=spark
mr3.k8s.master.working.dir=/opt/mr3-run/spark
mr3.k8s.pod.worker.user=spark
mr3.k8s.worker.working.dir=/opt/mr3-run/spark
mr3.k8s.java.io.tmpdir=/opt/mr3-run/spark/tmp
mr3.k8s.conf.dir.configmap=rel-conf
mr3.k8s.conf.dir.mount.dir=/opt/mr3-run/conf
mr3.k8s.keytab.secret=rel-keytab
mr3.k8s.worker.secret=rel-worker
mr3.k8s.mount.keytab.secret=true
mr3.k8s.mount.worker.secret=true
mr3.k8s.keytab.mount.dir=/opt/mr3-run/key
mr3.k8s.keytab.mount.file=
mr3.master.mode=kubernetes
mr3.cluster.additional.classpath=/opt/mr3-run/mr3/mr3lib/mr3-spark-assembly.jar:/opt/mr3-run/spark/jars/*
hive.metastore.uris=thrift://ms.hive:9083
hive.metastore.warehouse.dir=`

func optionLines(j *JavaOptions) string {
	var b strings.Builder
	for i, o := range j.Options {
		if i > 0 {
			b.WriteByte('\n')
		}
		if o.Unknown != "" {
			fmt.Fprintf(&b, "%s=<unknown>", o.Key)
			continue
		}
		fmt.Fprintf(&b, "%s=%s", o.Key, o.Value)
	}
	return b.String()
}

func problemText(j *JavaOptions) string {
	var s []string
	for _, p := range j.Problems {
		s = append(s, p.Message)
	}
	return strings.Join(s, "\n")
}

func files(paths ...string) func(string) (bool, bool) {
	return func(p string) (bool, bool) {
		for _, q := range paths {
			if p == q {
				return true, true
			}
		}
		return false, true
	}
}

func TestJavaOptions(t *testing.T) {
	tests := []struct {
		name     string
		envsh    string
		env      map[string]string
		run      ScriptRun
		want     string // option lines; with a leading "+" only the lines after the contract's
		problems []string
	}{
		{name: "chart contract, no truststore file", envsh: contractEnvSh, run: ScriptRun{FileExists: files("/opt/mr3-run/key/ca.jks")}, want: contractOptions},
		{name: "truststore file in the keytab Secret", envsh: contractEnvSh + "SPARK_SSL_TRUSTSTORE='/opt/mr3-run/key/ca.jks'\n",
			run: ScriptRun{FileExists: files("/opt/mr3-run/key/ca.jks")}, want: "+javax.net.ssl.trustStore=/opt/mr3-run/key/ca.jks\njavax.net.ssl.trustStoreType=jks"},
		{name: "empty truststore: [ -f ] is true", envsh: contractEnvSh + "SPARK_SSL_TRUSTSTORE=''\n",
			want: "+javax.net.ssl.trustStore=\njavax.net.ssl.trustStoreType=jks"},
		{name: "truststore existence unknown", envsh: contractEnvSh + "SPARK_SSL_TRUSTSTORE=/x/ca.jks\n",
			run:  ScriptRun{FileExists: func(string) (bool, bool) { return false, false }},
			want: "+javax.net.ssl.trustStore=<unknown>\njavax.net.ssl.trustStoreType=<unknown>"},
		{name: "truststore with blanks: the test fails", envsh: contractEnvSh + "SPARK_SSL_TRUSTSTORE='a b'\n", want: contractOptions},
		{name: "truststore pattern", envsh: contractEnvSh + "SPARK_SSL_TRUSTSTORE='/k/*.jks'\n",
			want: "+javax.net.ssl.trustStore=<unknown>\njavax.net.ssl.trustStoreType=<unknown>"},
		{name: "work-dir claim adds the PVC options", envsh: contractEnvSh + "WORK_DIR_PERSISTENT_VOLUME_CLAIM='rel-workdir'\nWORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR='/opt/mr3-run/work-dir'\n",
			want: strings.Replace(contractOptions, "mr3.master.mode", "mr3.k8s.master.persistentvolumeclaim.mounts=rel-workdir=/opt/mr3-run/work-dir\nmr3.k8s.worker.persistentvolumeclaim.mounts=\nmr3.master.mode", 1)},
		{name: "empty env.sh: every value empty", envsh: "", want: `mr3.k8s.namespace=
mr3.k8s.pod.master.serviceaccount=
mr3.k8s.pod.worker.serviceaccount=
mr3.k8s.pod.master.image=
mr3.k8s.pod.worker.image=
mr3.k8s.pod.master.user=
mr3.k8s.master.working.dir=
mr3.k8s.pod.worker.user=
mr3.k8s.worker.working.dir=
mr3.k8s.java.io.tmpdir=/tmp
mr3.k8s.conf.dir.configmap=
mr3.k8s.conf.dir.mount.dir=
mr3.k8s.keytab.secret=
mr3.k8s.worker.secret=
mr3.k8s.mount.keytab.secret=
mr3.k8s.mount.worker.secret=
mr3.k8s.keytab.mount.dir=
mr3.k8s.keytab.mount.file=
mr3.master.mode=kubernetes
mr3.cluster.additional.classpath=/mr3/mr3lib/mr3-spark-assembly.jar:/spark/jars/*
hive.metastore.uris=thrift://:
hive.metastore.warehouse.dir=
javax.net.ssl.trustStore=
javax.net.ssl.trustStoreType=`},
		{name: "the Pod's env fills what env.sh leaves unset", envsh: "SPARK_SSL_TRUSTSTORE=/none\n", env: map[string]string{"SPARK_MR3_NAMESPACE": "pod-ns"},
			run: ScriptRun{Mode: ModeLocalThread}, want: "mr3.k8s.namespace=pod-ns"},
		{name: "local thread", envsh: contractEnvSh, run: ScriptRun{Mode: ModeLocalProcess}, want: strings.Replace(contractOptions, "=kubernetes", "=local-process", 1)},
		{name: "secure metastore glues the next option to the principal", envsh: contractEnvSh + "HIVE_METASTORE_SECURE_MODE=true\nHIVE_METASTORE_KERBEROS_KEYTAB=/k/hive.keytab\nHIVE_METASTORE_KERBEROS_PRINCIPAL=hive/h@R\n",
			want: `+hive.metastore.sasl.enabled=true
hive.metastore.kerberos.keytab.file=/k/hive.keytab
hive.metastore.kerberos.principal=hive/h@R-Djavax.security.auth.useSubjectCredsOnly=false
java.security.auth.login.config=/opt/mr3-run/conf/jgss.conf
java.security.krb5.conf=/opt/mr3-run/conf/krb5.conf
sun.security.jgss.debug=true
hive.security.authorization.enabled=false
hive.metastore.execute.setugi=true`},
		{name: "a blank in a value splits the option", envsh: contractEnvSh + "SPARK_MR3_NAMESPACE='a b'\n",
			want:     strings.Replace(contractOptions, "namespace=ns1", "namespace=a", 1),
			problems: []string{`the word "b"`}},
		{name: "quotes in a value are interpreted by spark-submit", envsh: contractEnvSh + `SPARK_MR3_NAMESPACE="'a b'"` + "\n",
			want: strings.Replace(contractOptions, "namespace=ns1", "namespace=a b", 1)},
		{name: "an unclosed quote makes spark-submit refuse", envsh: contractEnvSh + `SPARK_MR3_NAMESPACE="it's"` + "\n",
			want: "", problems: []string{"unclosed quote"}},
		{name: "two quotes glue the options between them", envsh: contractEnvSh + `DOCKER_SPARK_IMG="it's"` + "\n",
			want: strings.Replace(contractOptions, "mr3.k8s.pod.master.image=mr3project/spark3:3.5.2\nmr3.k8s.pod.worker.image=mr3project/spark3:3.5.2",
				"mr3.k8s.pod.master.image=its -Dmr3.k8s.pod.worker.image=its", 1)},
		{name: "--driver-java-options come first and lose", envsh: contractEnvSh,
			run:  ScriptRun{DriverJavaOptions: "-Dmr3.k8s.namespace=other -Dmr3.extra=1 -Xss4m"},
			want: "mr3.k8s.namespace=other\nmr3.extra=1\n" + contractOptions},
		{name: "exported SPARK_SUBMIT_OPTS come before everything", envsh: contractEnvSh + "export SPARK_SUBMIT_OPTS='-Dmr3.a=1'\n",
			want: "mr3.a=1\n" + contractOptions},
		{name: "unknown value", envsh: contractEnvSh + "SPARK_MR3_NAMESPACE=$(cat /ns)\n",
			want: strings.Replace(contractOptions, "namespace=ns1", "namespace=<unknown>", 1)},
		{name: "unknown claim", envsh: contractEnvSh + "WORK_DIR_PERSISTENT_VOLUME_CLAIM=$(x)\n",
			want: strings.Replace(contractOptions, "mr3.master.mode", "mr3.k8s.master.persistentvolumeclaim.mounts=<unknown>\nmr3.k8s.worker.persistentvolumeclaim.mounts=<unknown>\nmr3.master.mode", 1)},
		{name: "unknown HADOOP_OPTS", envsh: contractEnvSh + "HADOOP_OPTS=`x`\n", want: contractOptions, problems: []string{"cannot tell the driver's Java options: HADOOP_OPTS is unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := SourceEnvSh([]byte(tt.envsh), Env{Values: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			j := e.JavaOptions(tt.run)
			got := optionLines(j)
			want := tt.want
			if rest, ok := strings.CutPrefix(want, "+"); ok {
				want = contractOptions + "\n" + rest
			}
			if tt.name == "the Pod's env fills what env.sh leaves unset" {
				got = strings.SplitN(got, "\n", 2)[0]
			}
			if got != want {
				t.Errorf("options:\n%s\nwant:\n%s", got, want)
			}
			probs := problemText(j)
			for _, p := range tt.problems {
				if !strings.Contains(probs, p) {
					t.Errorf("problems %q lack %q", probs, p)
				}
			}
			if len(tt.problems) == 0 && probs != "" {
				t.Errorf("unexpected problems: %s", probs)
			}
		})
	}
}

func TestJavaOptionsProvenance(t *testing.T) {
	e, _ := SourceEnvSh([]byte(contractEnvSh+"WORK_DIR_PERSISTENT_VOLUME_CLAIM='c'\nWORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR='/w'\n"), Env{})
	j := e.JavaOptions(ScriptRun{})
	o, ok := j.Lookup("mr3.k8s.master.persistentvolumeclaim.mounts")
	if !ok || len(o.From) != 2 || o.From[0].Name != "WORK_DIR_PERSISTENT_VOLUME_CLAIM" || o.From[0].Line != 36 || o.From[1].Line != 37 {
		t.Errorf("provenance = %+v", o)
	}
	if o, _ := j.Lookup("mr3.k8s.namespace"); len(o.From) != 1 || o.From[0].Line != 14 || o.Word != "-Dmr3.k8s.namespace=ns1" {
		t.Errorf("namespace = %+v", o)
	}
	if o, _ := j.Lookup("mr3.master.mode"); len(o.From) != 0 {
		t.Errorf("master mode comes from no variable: %+v", o)
	}
}

func TestEffectiveConf(t *testing.T) {
	site, err := ParseSite("mr3-site.xml", []byte(`<configuration>
<property><name>mr3.k8s.namespace</name><value>other</value></property>
<property><name>mr3.k8s.keytab.mount.file</name><value>spark.keytab</value></property>
<property><name>mr3.k8s.mount.keytab.secret</name><value>TRUE</value></property>
<property><name>mr3.am.staging-dir</name><value>/w</value></property>
</configuration>`))
	if err != nil {
		t.Fatal(err)
	}
	hive, _ := ParseSite("hive-site.xml", []byte(`<configuration><property><name>hive.metastore.uris</name><value>thrift://ms.hive:9083</value></property></configuration>`))
	e, _ := SourceEnvSh([]byte(contractEnvSh), Env{})
	j := e.JavaOptions(ScriptRun{})
	eff := EffectiveConf(site, hive, j)
	for k, want := range map[string]string{"mr3.k8s.namespace": "ns1", "mr3.k8s.keytab.mount.file": "", "mr3.am.staging-dir": "/w", "mr3.k8s.worker.secret": "rel-worker"} {
		if got, ok := eff.MR3Site.Get(k); !ok || got != want {
			t.Errorf("effective %s = %q, %v; want %q", k, got, ok, want)
		}
	}
	if p, _ := eff.MR3Site.Property("mr3.k8s.namespace"); p.Override == nil || p.Override.From[0].Name != "SPARK_MR3_NAMESPACE" {
		t.Errorf("override not recorded: %+v", p)
	}
	if p, _ := eff.MR3Site.Property("mr3.am.staging-dir"); p.Override != nil {
		t.Errorf("file value marked as overridden")
	}
	if v, _ := site.Get("mr3.k8s.namespace"); v != "other" {
		t.Errorf("Overlay changed the file: %q", v)
	}
	if v, _ := eff.HiveSite.Get("hive.metastore.uris"); v != "thrift://ms.hive:9083" {
		t.Errorf("hive uris = %q", v)
	}
	if _, ok := eff.HiveSite.Get("mr3.k8s.namespace"); ok {
		t.Errorf("mr3 option in hive-site.xml")
	}
	var got []string
	for _, d := range Disagreements(site, j, PrefixMR3) {
		got = append(got, fmt.Sprintf("%s: %q vs %q", d.Option.Key, d.Option.Value, d.Property.Value))
	}
	want := []string{`mr3.k8s.namespace: "ns1" vs "other"`, `mr3.k8s.keytab.mount.file: "" vs "spark.keytab"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("disagreements:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := Disagreements(hive, j, PrefixHive); len(d) != 0 {
		t.Errorf("hive disagreements: %+v", d)
	}
}

func TestSameValue(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{{"x", "x", true}, {" x ", "x", true}, {"true", "TRUE", true}, {"0x10", "16", true}, {"", "x", false}, {"true", "1", false}, {"a", "b", false}} {
		if got := SameValue(tt.a, tt.b); got != tt.want {
			t.Errorf("SameValue(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}
