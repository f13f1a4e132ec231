package mr3model

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// contractEnvSh is an env.sh in the shape of the env.sh contract (every variable assigned,
// single-quoted literals), for a release "rel" in namespace "ns1".
const contractEnvSh = `REMOTE_BASE_DIR='/opt/mr3-run'
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
SPARK_METASTORE_HOST=''
SPARK_METASTORE_PORT=''
SPARK_METASTORE_WAREHOUSE=''
HIVE_METASTORE_SECURE_MODE='false'
SPARK_KERBEROS_KEYTAB=''
SPARK_KERBEROS_PRINCIPAL=''
SPARK_KERBEROS_USER=''
SPARK_SSL_TRUSTSTORE='/opt/mr3-run/key/.no-truststore'
SPARK_SSL_TRUSTSTORETYPE='jks'
unset SPARK_HOME
`

const siteXML = `<?xml version="1.0"?>
<configuration>
  <property>
    <name>mr3.am.staging-dir</name>
    <value>/opt/mr3-run/work-dir</value>
  </property>
  <property>
    <name>mr3.k8s.namespace</name>
    <value>ns1</value>
  </property>
</configuration>
`

// fixture is a driver Pod shaped like the chart's: read-only root, result dirs and /tmp
// writable, work-dir optional.
type fixture struct {
	pod  *corev1.Pod
	objs ListObjects
	root Root
}

func newFixture(t *testing.T, envSh string, workDirMounted bool) *fixture {
	t.Helper()
	root := Root(t.TempDir())
	f := &fixture{root: root, objs: ListObjects{
		ConfigMaps: map[string]*corev1.ConfigMap{"rel-conf": {ObjectMeta: metav1.ObjectMeta{Name: "rel-conf"},
			Data: map[string]string{"mr3-site.xml": siteXML, "spark-defaults.conf": "spark.task.cpus=1\n"}}},
		Secrets: map[string]*corev1.Secret{
			"rel-env":   {ObjectMeta: metav1.ObjectMeta{Name: "rel-env"}, Data: map[string][]byte{"env.sh": []byte(envSh)}},
			"rel-token": {ObjectMeta: metav1.ObjectMeta{Name: "rel-token"}, Data: map[string][]byte{"CLIENT_TO_AM_TOKEN_KEY": []byte("secret-token"), "MR3_APPLICATION_ID_TIMESTAMP": []byte("4711")}},
		}}}
	mounts := []corev1.VolumeMount{
		{Name: "conf", MountPath: "/opt/mr3-run/conf", ReadOnly: true},
		{Name: "env", MountPath: "/opt/mr3-run/env.sh", SubPath: "env.sh", ReadOnly: true},
		{Name: "key", MountPath: "/opt/mr3-run/key", ReadOnly: true},
		{Name: "local", MountPath: "/opt/mr3-run/work-local-dir"},
		{Name: "submit-result", MountPath: "/opt/mr3-run/spark/spark-submit-result"},
		{Name: "shell-result", MountPath: "/opt/mr3-run/spark/spark-shell-result"},
		{Name: "tmp", MountPath: "/tmp"},
	}
	if workDirMounted {
		mounts = append(mounts, corev1.VolumeMount{Name: "work-dir", MountPath: "/opt/mr3-run/work-dir"})
	}
	empty := corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}
	f.pod = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "spark1-0", Namespace: "ns1", Annotations: map[string]string{
			"sparkmr3.io/submit-command": root.SubmitCommand("spark1"), "sparkmr3.io/shell-command": root.ShellCommand("spark1")}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "driver", WorkingDir: "/tmp",
				SecurityContext: &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(true)},
				Env: []corev1.EnvVar{
					{Name: "DRIVER_NAME", Value: "spark1"},
					{Name: "SPARK_MR3_NAMESPACE", Value: "from-the-pod"},
					{Name: "SPARK_DRIVER_CORES", Value: "2"},
					{Name: "SPARK_DRIVER_MEMORY_MB", Value: "3276"},
					{Name: "CLIENT_TO_AM_TOKEN_KEY", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "rel-token"}, Key: "CLIENT_TO_AM_TOKEN_KEY"}}},
					{Name: "MR3_APPLICATION_ID_TIMESTAMP", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "rel-token"}, Key: "MR3_APPLICATION_ID_TIMESTAMP"}}},
					{Name: "POD_NS", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
				},
				VolumeMounts: mounts}},
			Volumes: []corev1.Volume{
				{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "rel-conf"}}}},
				{Name: "env", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "rel-env"}}},
				{Name: "key", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "rel-keytab", Optional: ptr.To(true)}}},
				{Name: "local", VolumeSource: empty}, {Name: "submit-result", VolumeSource: empty},
				{Name: "shell-result", VolumeSource: empty}, {Name: "tmp", VolumeSource: empty}, {Name: "work-dir", VolumeSource: empty},
			},
		},
	}
	return f
}

func (f *fixture) stage(t *testing.T) *Driver {
	t.Helper()
	d, err := Stage(f.root, "spark1", f.pod, f.objs)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func run(t *testing.T, d *Driver, o RunOptions, args ...string) (*Result, *Run) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := d.Exec(ctx, o, args...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.LastRun()
	if err != nil {
		t.Fatalf("%v\noutput:\n%s", err, res.Output)
	}
	return res, r
}

// TestModelBuildsMR3sCommandLine: the -D options in mr3-setup.sh's order (empty values kept),
// the Hive options always, no truststore for the never-existing path, the --conf list from the
// Pod's env (env.sh overriding it), and the rest after it.
func TestModelBuildsMR3sCommandLine(t *testing.T) {
	f := newFixture(t, contractEnvSh, true)
	d := f.stage(t)
	res, r := run(t, d, RunOptions{Pipefail: true, Env: []string{"PATH=" + os.Getenv("PATH"), "DRIVER_NAME=from-the-caller"}},
		"--class", "org.example.Main", "app.jar", "in", "out")
	if res.Exit != 0 || r.Exit != 0 {
		t.Fatalf("exit %d (spark-submit %d)\n%s", res.Exit, r.Exit, res.Output)
	}
	s := r.Submit()
	var keys []string
	for _, kv := range s.D {
		keys = append(keys, kv.Key)
	}
	want := []string{"mr3.k8s.namespace", "mr3.k8s.pod.master.serviceaccount", "mr3.k8s.pod.worker.serviceaccount",
		"mr3.k8s.pod.master.image", "mr3.k8s.pod.worker.image", "mr3.k8s.pod.master.user", "mr3.k8s.master.working.dir",
		"mr3.k8s.pod.worker.user", "mr3.k8s.worker.working.dir", "mr3.k8s.java.io.tmpdir", "mr3.k8s.conf.dir.configmap",
		"mr3.k8s.conf.dir.mount.dir", "mr3.k8s.keytab.secret", "mr3.k8s.worker.secret", "mr3.k8s.mount.keytab.secret",
		"mr3.k8s.mount.worker.secret", "mr3.k8s.keytab.mount.dir", "mr3.k8s.keytab.mount.file", "mr3.master.mode",
		"mr3.cluster.additional.classpath", "hive.metastore.uris", "hive.metastore.warehouse.dir"}
	if !slices.Equal(keys, want) {
		t.Fatalf("-D keys\n got %q\nwant %q", keys, want)
	}
	for k, v := range map[string]string{
		"mr3.k8s.namespace": "ns1", "mr3.k8s.java.io.tmpdir": "/opt/mr3-run/spark/tmp", "mr3.k8s.keytab.mount.file": "",
		"mr3.master.mode": "kubernetes", "hive.metastore.uris": "thrift://:", "hive.metastore.warehouse.dir": "",
		"mr3.cluster.additional.classpath": "/opt/mr3-run/mr3/mr3lib/mr3-spark-assembly.jar:/opt/mr3-run/spark/jars/*",
	} {
		if got, _ := s.DValue(k); got != v {
			t.Errorf("-D%s=%q, want %q", k, got, v)
		}
	}
	for k, v := range map[string]string{
		"spark.driver.cores": "2", "spark.driver.memory": "3276m", "spark.driver.port": "9850",
		"spark.ui.proxyBase": "/spark1", "spark.driver.host": "spark1.ns1.svc.cluster.local",
	} {
		if got, _ := s.ConfValue(k); got != v {
			t.Errorf("--conf %s=%q, want %q", k, got, v)
		}
	}
	if want := ":/opt/mr3-run/conf:/opt/mr3-run/spark/lib:/opt/mr3-run/lib:/opt/mr3-run/mr3/mr3lib/mr3-spark-assembly.jar:/opt/mr3-run/spark/sparkmr3/spark-mr3-assembly.jar"; s.ClassPath != want {
		t.Errorf("--driver-class-path %q, want %q", s.ClassPath, want)
	}
	if s.Master != "spark" || !slices.Equal(s.Rest, []string{"--class", "org.example.Main", "app.jar", "in", "out"}) {
		t.Errorf("master %q, rest %q", s.Master, s.Rest)
	}
	if r.Env["CLIENT_TO_AM_TOKEN_KEY"] == "" || strings.Contains(r.Env["CLIENT_TO_AM_TOKEN_KEY"], "secret-token") {
		t.Errorf("token in the Pod's env: %q (want its hash)", r.Env["CLIENT_TO_AM_TOKEN_KEY"])
	}
	if r.Env["POD_NS"] != "ns1" || r.Env["HTTP2_DISABLE"] != "true" || r.Cwd != "/tmp" {
		t.Errorf("POD_NS %q HTTP2_DISABLE %q cwd %q", r.Env["POD_NS"], r.Env["HTTP2_DISABLE"], r.Cwd)
	}
	if r.Staging != "/opt/mr3-run/work-dir/.mr3/application_4711_0000" {
		t.Errorf("staging %q", r.Staging)
	}
	if fi, err := os.Stat(d.Host(r.Staging)); err != nil || !fi.IsDir() {
		t.Errorf("the MR3 client's application dir: %v", err)
	}
	// The result folder: conf/ with env.sh and the conf files, spark-logs/ with the tee'd output.
	outs, _ := filepath.Glob(d.Host("/opt/mr3-run/spark/spark-submit-result/spark-mr3-*"))
	if len(outs) != 1 {
		t.Fatalf("result dirs: %v\n%s", outs, res.Output)
	}
	for _, p := range []string{"conf/env.sh", "conf/mr3-site.xml", "conf/spark-defaults.conf", "spark-logs/out-spark-submit.txt"} {
		if _, err := os.Stat(filepath.Join(outs[0], p)); err != nil {
			t.Errorf("result dir lacks %s", p)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(outs[0], "spark-logs/out-spark-submit.txt")); !strings.Contains(string(b), "spark-submit exits 0") {
		t.Errorf("out-spark-submit.txt: %q", b)
	}
}

// TestModelOptionVariants: the work-dir claim options only with a claim; --localthread and
// --localprocess; the truststore trap.
func TestModelOptionVariants(t *testing.T) {
	cases := []struct {
		name     string
		edit     func(string) string
		args     []string
		want     map[string]string
		absent   []string
		keyFiles map[string][]byte
	}{
		{name: "claim", edit: func(s string) string {
			return strings.NewReplacer("WORK_DIR_PERSISTENT_VOLUME_CLAIM=''", "WORK_DIR_PERSISTENT_VOLUME_CLAIM='rel-workdir'",
				"WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR=''", "WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR='/opt/mr3-run/work-dir'").Replace(s)
		}, want: map[string]string{"mr3.k8s.master.persistentvolumeclaim.mounts": "rel-workdir=/opt/mr3-run/work-dir", "mr3.k8s.worker.persistentvolumeclaim.mounts": ""}},
		{name: "no claim", absent: []string{"mr3.k8s.master.persistentvolumeclaim.mounts", "mr3.k8s.worker.persistentvolumeclaim.mounts"}},
		{name: "localthread", args: []string{"--localthread"}, want: map[string]string{"mr3.master.mode": "local-thread"}},
		{name: "localprocess", args: []string{"--localprocess"}, want: map[string]string{"mr3.master.mode": "local-process"}},
		{name: "last mode wins", args: []string{"--localprocess", "--kubernetes"}, want: map[string]string{"mr3.master.mode": "kubernetes"}},
		{name: "metastore", edit: func(s string) string {
			return strings.NewReplacer("SPARK_METASTORE_HOST=''", "SPARK_METASTORE_HOST='hms.hive'", "SPARK_METASTORE_PORT=''", "SPARK_METASTORE_PORT='9083'").Replace(s)
		}, want: map[string]string{"hive.metastore.uris": "thrift://hms.hive:9083"}},
		{name: "truststore unset: the [ -f ] trap", edit: func(s string) string {
			return strings.Replace(s, "SPARK_SSL_TRUSTSTORE='/opt/mr3-run/key/.no-truststore'\n", "", 1)
		}, want: map[string]string{"javax.net.ssl.trustStore": "", "javax.net.ssl.trustStoreType": "jks"}},
		{name: "truststore empty: the same trap", edit: func(s string) string {
			return strings.Replace(s, "SPARK_SSL_TRUSTSTORE='/opt/mr3-run/key/.no-truststore'", "SPARK_SSL_TRUSTSTORE=''", 1)
		}, want: map[string]string{"javax.net.ssl.trustStore": ""}},
		{name: "truststore path that never exists", absent: []string{"javax.net.ssl.trustStore"}},
		{name: "truststore in the key Secret", edit: func(s string) string {
			return strings.Replace(s, "/opt/mr3-run/key/.no-truststore", "/opt/mr3-run/key/ts.jks", 1)
		}, keyFiles: map[string][]byte{"ts.jks": []byte("x")}, want: map[string]string{"javax.net.ssl.trustStore": "/opt/mr3-run/key/ts.jks"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			envSh := contractEnvSh
			if tc.edit != nil {
				envSh = tc.edit(envSh)
			}
			f := newFixture(t, envSh, true)
			if tc.keyFiles != nil {
				f.objs.Secrets["rel-keytab"] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rel-keytab"}, Data: tc.keyFiles}
			}
			d := f.stage(t)
			res, r := run(t, d, RunOptions{Pipefail: true}, append(tc.args, "app.jar")...)
			if res.Exit != 0 {
				t.Fatalf("exit %d\n%s", res.Exit, res.Output)
			}
			s := r.Submit()
			for k, v := range tc.want {
				if got, ok := s.DValue(k); !ok || got != v {
					t.Errorf("-D%s = %q (present %v), want %q", k, got, ok, v)
				}
			}
			for _, k := range tc.absent {
				if got, ok := s.DValue(k); ok {
					t.Errorf("-D%s=%q present, want absent", k, got)
				}
			}
		})
	}
}

// TestModelResplitsArguments: what MR3's unquoted $@ does to arguments: whitespace splits,
// globs expand in the Pod's working dir, empty arguments vanish, --master X is dropped,
// --driver-java-options takes ONE word (the rest of a quoted list lands among the app args).
func TestModelResplitsArguments(t *testing.T) {
	f := newFixture(t, contractEnvSh, true)
	d := f.stage(t)
	for _, n := range []string{"a.jar", "b.jar"} {
		if err := os.WriteFile(d.Host("/tmp/"+n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, r := run(t, d, RunOptions{Pipefail: true},
		"--master", "yarn", "--driver-java-options", "-Da=1 -Db=2", "--jars", "x.jar",
		"--class", "Main", "app.jar", "in put", "", "*.jar", "last")
	if res.Exit != 0 {
		t.Fatalf("exit %d\n%s", res.Exit, res.Output)
	}
	s := r.Submit()
	wantRest := []string{"--class", "Main", "app.jar", "in", "put", "a.jar", "b.jar", "last", "-Db=2"}
	got := slices.Clone(s.Rest)
	slices.Sort(got)
	slices.Sort(wantRest)
	if !slices.Equal(got, wantRest) {
		t.Errorf("rest %q, want (any order) %q", s.Rest, wantRest)
	}
	if s.JavaOptions[0] != "-Da=1" || s.Master != "spark" || s.Jars != "x.jar" {
		t.Errorf("java options %q, master %q, jars %q", s.JavaOptions[:2], s.Master, s.Jars)
	}
	// -Db=2 came out of --driver-java-options and sits among the positionals, in order.
	if i := slices.Index(r.Argv, "-Db=2"); i < 0 || r.Argv[len(r.Argv)-1] != "last" || !slices.Contains(r.Argv[i:], "--class") {
		t.Errorf("argv %q", r.Argv)
	}
}

// TestModelTrailingOptionLoopsForever: `shift 2` with one argument left shifts nothing, so a
// trailing --master (or --jars, ...) never ends the parsing loop, as in MR3's script.
func TestModelTrailingOptionLoopsForever(t *testing.T) {
	f := newFixture(t, contractEnvSh, true)
	d := f.stage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := d.Exec(ctx, RunOptions{Pipefail: true}, "app.jar", "--master")
	if err == nil {
		t.Fatal("a trailing --master finished; MR3's parsing loop never does")
	}
	if runs, _ := d.Runs(); len(runs) != 0 {
		t.Fatal("spark-submit ran")
	}
}

// TestModelExitStatus: tee without pipefail hides the job's status; pipefail returns it; the
// shell has no tee.
func TestModelExitStatus(t *testing.T) {
	f := newFixture(t, contractEnvSh, true)
	d := f.stage(t)
	res, _ := run(t, d, RunOptions{}, "app.jar", "mr3model-exit=3")
	if res.Exit != 0 {
		t.Errorf("without pipefail: exit %d, want tee's 0 (MR3's trap)", res.Exit)
	}
	res, _ = run(t, d, RunOptions{Pipefail: true}, "app.jar", "mr3model-exit=3")
	if res.Exit != 3 {
		t.Errorf("with pipefail: exit %d, want 3\n%s", res.Exit, res.Output)
	}
	if err := d.SetExitCode(5); err != nil {
		t.Fatal(err)
	}
	res, r := run(t, d, RunOptions{Shell: true, Stdin: []byte("spark.range(3).count()\n")}, "mr3model-stdin")
	if res.Exit != 5 || r.Program != "spark-shell" || !strings.Contains(res.Output, "scala> spark.range(3).count()") {
		t.Errorf("shell: exit %d, program %s\n%s", res.Exit, r.Program, res.Output)
	}
}

// TestModelReadOnlyRoot: with a read-only root and no writable work-dir the MR3 client cannot
// create its staging dir and the job fails, exactly where the real image fails. Without
// writable result dirs the script's own writes fail too, and tee's failure makes even
// MR3's pipefail-less script exit non-zero.
func TestModelReadOnlyRoot(t *testing.T) {
	f := newFixture(t, contractEnvSh, false)
	d := f.stage(t)
	res, r := run(t, d, RunOptions{Pipefail: true}, "app.jar")
	if res.Exit != 1 || r.Exit != 1 || !strings.Contains(res.Output, "/opt/mr3-run/work-dir/.mr3") || !strings.Contains(res.Output, "Read-only file system") {
		t.Fatalf("exit %d (spark-submit %d)\n%s", res.Exit, r.Exit, res.Output)
	}
	res, _ = run(t, d, RunOptions{}, "app.jar")
	if res.Exit != 0 {
		t.Errorf("without pipefail the failed job exits %d, want 0 (MR3's trap)", res.Exit)
	}

	// No result-dir mounts either: mkdir is silenced, cp and tee are not.
	f = newFixture(t, contractEnvSh, true)
	c := &f.pod.Spec.Containers[0]
	c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return strings.HasSuffix(m.Name, "-result") })
	d = f.stage(t)
	res, _ = run(t, d, RunOptions{}, "app.jar")
	for _, want := range []string{"cp: cannot create regular file", "tee: /opt/mr3-run/spark/spark-submit-result/", "Read-only file system", "spark-submit exits 0"} {
		if !strings.Contains(res.Output, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Output)
		}
	}
	if res.Exit != 1 {
		t.Errorf("exit %d, want tee's 1", res.Exit)
	}

	// A writable root: everything may be written.
	f = newFixture(t, contractEnvSh, false)
	f.pod.Spec.Containers[0].SecurityContext.ReadOnlyRootFilesystem = ptr.To(false)
	d = f.stage(t)
	if res, _ := run(t, d, RunOptions{Pipefail: true}, "app.jar"); res.Exit != 0 {
		t.Errorf("writable root: exit %d\n%s", res.Exit, res.Output)
	}
}

// TestModelMountHidesImage: a volume mounted over /opt/mr3-run/spark hides MR3's scripts,
// as in a container.
func TestModelMountHidesImage(t *testing.T) {
	f := newFixture(t, contractEnvSh, true)
	c := &f.pod.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "tmp", MountPath: "/opt/mr3-run/spark"})
	d := f.stage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := d.Exec(ctx, RunOptions{Pipefail: true}, "app.jar")
	if err != nil {
		t.Fatal(err)
	}
	if res.Exit != 127 || !strings.Contains(res.Output, "No such file") {
		t.Fatalf("exit %d\n%s", res.Exit, res.Output)
	}
}

// TestModelStagingDirFromJavaOption: a -Dmr3.am.staging-dir the caller passes (env.sh sets
// none) is the one the client uses.
func TestModelStagingDirFromJavaOption(t *testing.T) {
	f := newFixture(t, contractEnvSh, false)
	d := f.stage(t)
	_, r := run(t, d, RunOptions{Pipefail: true}, "--driver-java-options", "-Dmr3.am.staging-dir=/tmp/staging", "app.jar")
	if r.Exit != 0 || r.Staging != "/tmp/staging/.mr3/application_4711_0000" {
		t.Fatalf("exit %d staging %q", r.Exit, r.Staging)
	}
}

func TestSplitOptionString(t *testing.T) {
	for in, want := range map[string][]string{
		" -Da=1  -Db=2 ":         {"-Da=1", "-Db=2"},
		`-Da="x y" -Db='p q'`:    {"-Da=x y", "-Db=p q"},
		`-Da=x\ y -Dc=`:          {"-Da=x y", "-Dc="},
		`-Dk=''`:                 {"-Dk="},
		"":                       nil,
		"-Dcp=/a/*:/b \t-Dz=1\n": {"-Dcp=/a/*:/b", "-Dz=1"},
	} {
		if got := SplitOptionString(in); !slices.Equal(got, want) {
			t.Errorf("SplitOptionString(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestModelOutsideNode: on a node outside Kubernetes the caller's environment and working
// directory apply (no Pod env), env.sh still overrides the caller, and the MR3 client's
// staging dir stays inside the staged folder.
func TestModelOutsideNode(t *testing.T) {
	root := t.TempDir()
	d, err := StageNode(filepath.Join(root, "node"))
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(d.Base(), "env.sh"), []byte(contractEnvSh), 0o600))
	must(os.MkdirAll(filepath.Join(d.Base(), "conf"), 0o755))
	must(os.WriteFile(filepath.Join(d.Base(), "conf", "mr3-site.xml"), []byte(siteXML), 0o644))
	cwd := t.TempDir()
	must(os.WriteFile(filepath.Join(cwd, "z.jar"), nil, 0o644))
	res, r := run(t, d, RunOptions{Pipefail: true, Dir: cwd, Env: []string{"PATH=" + os.Getenv("PATH"), "DRIVER_NAME=gold0",
		"SPARK_DRIVER_CORES=3", "SPARK_DRIVER_MEMORY_MB=2048", "SPARK_MR3_NAMESPACE=caller", "MR3_APPLICATION_ID_TIMESTAMP=99"}}, "*.jar")
	if res.Exit != 0 {
		t.Fatalf("exit %d\n%s", res.Exit, res.Output)
	}
	s := r.Submit()
	if v, _ := s.ConfValue("spark.driver.cores"); v != "3" {
		t.Errorf("cores %q", v)
	}
	if v, _ := s.DValue("mr3.k8s.namespace"); v != "ns1" {
		t.Errorf("namespace %q: env.sh must override the caller's", v)
	}
	if !slices.Equal(s.Rest, []string{"z.jar"}) || r.Cwd != cwd {
		t.Errorf("rest %q cwd %q, want the glob expanded in %s", s.Rest, r.Cwd, cwd)
	}
	if _, err := os.Stat(d.Host("/opt/mr3-run/work-dir/.mr3/application_99_0000")); err != nil {
		t.Errorf("staging dir: %v", err)
	}
}
