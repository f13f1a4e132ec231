package e2e

// Contract tests: the chart, the plugin and MR3's driver scripts (as test/mr3model runs them)
// must agree. The offline ones render the chart with Helm's SDK and run the model on this
// machine; the others install a release on the local cluster and submit through kwok.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
	"github.com/spark-mr3/spark-mr3/test/mr3model"
)

// envVarOfD names the env.sh variable (or script flag) each -D option comes from, for messages.
var envVarOfD = map[string]string{
	"mr3.k8s.namespace":                           "SPARK_MR3_NAMESPACE",
	"mr3.k8s.pod.master.serviceaccount":           "MASTER_SERVICE_ACCOUNT",
	"mr3.k8s.pod.worker.serviceaccount":           "WORKER_SERVICE_ACCOUNT",
	"mr3.k8s.pod.master.image":                    "DOCKER_SPARK_IMG",
	"mr3.k8s.pod.worker.image":                    "DOCKER_SPARK_IMG",
	"mr3.k8s.pod.master.user":                     "SPARK_DOCKER_USER",
	"mr3.k8s.pod.worker.user":                     "SPARK_DOCKER_USER",
	"mr3.k8s.master.working.dir":                  "SPARK_REMOTE_WORK_DIR",
	"mr3.k8s.worker.working.dir":                  "SPARK_REMOTE_WORK_DIR",
	"mr3.k8s.java.io.tmpdir":                      "SPARK_REMOTE_WORK_DIR (+/tmp)",
	"mr3.k8s.conf.dir.configmap":                  "SPARK_CONF_DIR_CONFIGMAP",
	"mr3.k8s.conf.dir.mount.dir":                  "CONF_DIR_MOUNT_DIR",
	"mr3.k8s.keytab.secret":                       "SPARK_KEYTAB_SECRET",
	"mr3.k8s.worker.secret":                       "SPARK_WORKER_SECRET",
	"mr3.k8s.mount.keytab.secret":                 "CREATE_KEYTAB_SECRET",
	"mr3.k8s.mount.worker.secret":                 "CREATE_WORKER_SECRET",
	"mr3.k8s.keytab.mount.dir":                    "KEYTAB_MOUNT_DIR",
	"mr3.k8s.keytab.mount.file":                   "KEYTAB_MOUNT_FILE",
	"mr3.k8s.master.persistentvolumeclaim.mounts": "WORK_DIR_PERSISTENT_VOLUME_CLAIM(_MOUNT_DIR)",
	"mr3.k8s.worker.persistentvolumeclaim.mounts": "WORK_DIR_PERSISTENT_VOLUME_CLAIM (set: empty)",
	"mr3.master.mode":                             "the script's --localthread/--localprocess/--kubernetes",
	"mr3.cluster.additional.classpath":            "REMOTE_BASE_DIR",
	"hive.metastore.uris":                         "SPARK_METASTORE_HOST/SPARK_METASTORE_PORT",
	"hive.metastore.warehouse.dir":                "SPARK_METASTORE_WAREHOUSE",
	"javax.net.ssl.trustStore":                    "SPARK_SSL_TRUSTSTORE",
	"javax.net.ssl.trustStoreType":                "SPARK_SSL_TRUSTSTORETYPE",
}

const (
	contractNamespace = "sparkmr3"
	contractRelease   = "demo"
)

// renderChart is `helm template` in process: a client-only dry-run install of the chart with
// the values files and then the extra values, token pinned so renders are reproducible.
func renderChart(t *testing.T, valuesFiles []string, extra ...map[string]any) []byte {
	t.Helper()
	ch, err := loader.Load(chartPath)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"token": map[string]any{"clientToAMTokenKey": "contract-token", "applicationIdTimestamp": "4711"}}
	for _, f := range valuesFiles {
		v, err := chartutil.ReadValuesFile(f)
		if err != nil {
			t.Fatal(err)
		}
		vals = chartutil.CoalesceTables(v.AsMap(), vals)
	}
	for _, e := range extra {
		vals = chartutil.CoalesceTables(e, vals)
	}
	cfg := &action.Configuration{
		Releases: storage.Init(driver.NewMemory()), KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities.Copy(), Log: func(string, ...any) {},
	}
	inst := action.NewInstall(cfg)
	inst.DryRun, inst.ClientOnly, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = contractRelease, contractNamespace
	inst.KubeVersion = &chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	rel, err := inst.Run(ch, vals)
	if err != nil {
		t.Fatalf("render with %v: %v", valuesFiles, err)
	}
	return []byte(rel.Manifest)
}

func ciValuesFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(chartPath, "ci", "*-values.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no ci/*-values.yaml in %s: %v", chartPath, err)
	}
	return files
}

// runModel runs the staged driver's run-spark-submit.sh as submit does (bash -o pipefail).
func runModel(t *testing.T, d *mr3model.Driver, args ...string) (*mr3model.Result, *mr3model.Run) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := d.Exec(ctx, mr3model.RunOptions{Pipefail: true}, args...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.LastRun()
	if err != nil {
		t.Fatalf("%v\nthe script said:\n%s", err, res.Output)
	}
	return res, r
}

// confFile parses an XML file of the conf ConfigMap; nil when the ConfigMap has no such key.
func confFile(t *testing.T, cm *corev1.ConfigMap, key string) *mr3conf.Site {
	t.Helper()
	text, ok := cm.Data[key]
	if !ok {
		return nil
	}
	s, err := mr3conf.ParseSite(key, []byte(text))
	if err != nil {
		t.Fatalf("ConfigMap %s key %s: %v", cm.Name, key, err)
	}
	return s
}

// optionDisagreements compares the -D options MR3's scripts pass with the conf files: for each
// -D key the file also sets, the values must be equal (mr3.* against mr3File, hive.* against
// hive-site.xml); an empty javax.net.ssl.trustStore (the `[ -f ]` trap) is always wrong.
func optionDisagreements(s *mr3model.Submit, mr3File string, mr3Site, hiveSite *mr3conf.Site) []string {
	var out []string
	keys := make([]string, 0, len(s.D))
	for k := range s.DMap() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := s.DValue(k)
		from := envVarOfD[k]
		if from == "" {
			from = "--driver-java-options"
		}
		file, site := mr3File, mr3Site
		if strings.HasPrefix(k, "hive.") {
			file, site = "hive-site.xml", hiveSite
		}
		if k == "javax.net.ssl.trustStore" && v == "" {
			out = append(out, fmt.Sprintf("-D%s= is empty (from %s: spark-setup.sh's `[ -f $SPARK_SSL_TRUSTSTORE ]` is true for an empty or unset variable); env.sh must name a path that does not exist when there is no truststore", k, from))
			continue
		}
		if site == nil {
			continue
		}
		if fv, ok := site.Get(k); ok && fv != v {
			out = append(out, fmt.Sprintf("%s: -D%s=%q (from env.sh %s) overrides %s's %q", k, k, v, from, file, fv))
		}
	}
	return out
}

// TestContractCIValuesAgree renders every ci/*-values.yaml, stages each driver Pod, runs MR3's
// submit script (the model) in it and holds the -D options it passes to spark-submit to the
// conf files key by key: every key set on both sides must have one value. The job must succeed
// in the Pod as rendered (its writable paths), and the --conf list must carry the driver's
// cores, memory, ports, host and UI proxy base.
func TestContractCIValuesAgree(t *testing.T) {
	for _, file := range ciValuesFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(file), "-values.yaml"), func(t *testing.T) {
			m, err := mr3model.ParseManifest(renderChart(t, []string{file}), contractNamespace)
			if err != nil {
				t.Fatal(err)
			}
			cm := m.Objects.ConfigMaps[contractRelease+"-conf"]
			if cm == nil || len(m.Drivers()) == 0 {
				t.Fatalf("the render has no ConfigMap %s-conf or no driver StatefulSet", contractRelease)
			}
			mr3Site, hiveSite := confFile(t, cm, "mr3-site.xml"), confFile(t, cm, "hive-site.xml")
			root := mr3model.Root(t.TempDir())
			for _, name := range m.Drivers() {
				d, err := m.Stage(root, name)
				if err != nil {
					t.Fatal(err)
				}
				res, r := runModel(t, d, "--class", "org.example.Main", "app.jar")
				if res.Exit != 0 {
					t.Errorf("driver %s: the job fails in the Pod as rendered (exit %d):\n%s", name, res.Exit, scriptErrors(res.Output))
				}
				s := r.Submit()
				for _, msg := range optionDisagreements(s, "mr3-site.xml", mr3Site, hiveSite) {
					t.Errorf("driver %s: %s", name, msg)
				}
				checkDriverConfs(t, name, m.Pods[name], s)
			}
			if _, ok := cm.Data["mr3-site-outside.xml"]; ok {
				checkOutsideNode(t, m, cm, hiveSite)
			}
		})
	}
}

// checkOutsideNode runs MR3's script on an outside node whose BASE_DIR holds what
// `env --write-dir` writes (the release's env.sh; the conf files with mr3-site.xml holding
// mr3-site-outside.xml) and holds its -D options to mr3-site-outside.xml.
func checkOutsideNode(t *testing.T, m *mr3model.Manifest, cm *corev1.ConfigMap, hiveSite *mr3conf.Site) {
	t.Helper()
	node, err := mr3model.StageNode(filepath.Join(t.TempDir(), "node"))
	if err != nil {
		t.Fatal(err)
	}
	env := m.Objects.Secrets[contractRelease+"-env"]
	if env == nil || env.Data["env.sh"] == nil {
		t.Fatalf("the render has no Secret %s-env with env.sh", contractRelease)
	}
	must(t, os.WriteFile(filepath.Join(node.Base(), "env.sh"), env.Data["env.sh"], 0o600))
	must(t, os.MkdirAll(filepath.Join(node.Base(), "conf"), 0o755))
	for k, v := range cm.Data {
		if k == "mr3-site-outside.xml" {
			k = "mr3-site.xml"
		} else if k == "mr3-site.xml" {
			continue
		}
		must(t, os.WriteFile(filepath.Join(node.Base(), "conf", k), []byte(v), 0o644))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := node.Exec(ctx, mr3model.RunOptions{Pipefail: true, Dir: t.TempDir(), Env: []string{"PATH=" + os.Getenv("PATH"),
		"DRIVER_NAME=gold0", "SPARK_DRIVER_CORES=1", "SPARK_DRIVER_MEMORY_MB=1024", "MR3_APPLICATION_ID_TIMESTAMP=4711"}},
		"--conf", "spark.driver.host=gold0", "app.jar")
	must(t, err)
	r, err := node.LastRun()
	if err != nil || res.Exit != 0 {
		t.Fatalf("outside node: exit %d, %v\n%s", res.Exit, err, scriptErrors(res.Output))
	}
	for _, msg := range optionDisagreements(r.Submit(), "mr3-site-outside.xml", confFile(t, cm, "mr3-site-outside.xml"), hiveSite) {
		t.Errorf("outside node: %s", msg)
	}
}

// checkDriverConfs: the script's --conf list against the driver Pod (env, ports).
func checkDriverConfs(t *testing.T, name string, pod *corev1.Pod, s *mr3model.Submit) {
	t.Helper()
	env := map[string]string{}
	ports := map[string]int32{}
	for _, c := range pod.Spec.Containers {
		if c.Name != "driver" {
			continue
		}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
	}
	want := map[string]string{
		"spark.driver.cores":  env["SPARK_DRIVER_CORES"],
		"spark.driver.memory": env["SPARK_DRIVER_MEMORY_MB"] + "m",
		"spark.driver.host":   driverObjectName(contractRelease, name) + "." + contractNamespace + ".svc.cluster.local",
		"spark.driver.port":   fmt.Sprint(ports["driver"]),
		"spark.ui.port":       fmt.Sprint(ports["webui"]),
	}
	for k, v := range want {
		got, _ := s.ConfValue(k)
		if got != v || v == "" || v == "m" || v == "0" {
			t.Errorf("driver %s: --conf %s=%q, want %q (from the Pod's env and ports)", name, k, got, v)
		}
	}
	// DRIVER_NAME is the Service's name F-D: MR3's script builds both from it.
	if pb, _ := s.ConfValue("spark.ui.proxyBase"); !strings.HasSuffix(pb, "/"+driverObjectName(contractRelease, name)) {
		t.Errorf("driver %s: --conf spark.ui.proxyBase=%q, want PROXY_BASE/%s", name, pb, driverObjectName(contractRelease, name))
	}
}

// TestContractReadOnlyRootWithoutStagingDir: a driver whose root filesystem is read-only and
// that has no writable volume at mr3.am.staging-dir cannot run a job: MR3's client fails to
// create .mr3/application_<ts>_0000 there, like the real image. The default render runs.
func TestContractReadOnlyRootWithoutStagingDir(t *testing.T) {
	manifest := renderChart(t, nil)
	m, err := mr3model.ParseManifest(manifest, contractNamespace)
	if err != nil {
		t.Fatal(err)
	}
	root := mr3model.Root(t.TempDir())
	d, err := m.Stage(root, "spark1")
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := runModel(t, d, "app.jar"); res.Exit != 0 {
		t.Fatalf("the default driver Pod cannot run a job (exit %d):\n%s", res.Exit, scriptErrors(res.Output))
	}

	staging := "/opt/mr3-run/work-dir"
	if site := confFile(t, m.Objects.ConfigMaps[contractRelease+"-conf"], "mr3-site.xml"); site != nil {
		if v, ok := site.Get("mr3.am.staging-dir"); ok {
			staging = v
		}
	}
	pod := m.Pods["spark1"]
	c := &pod.Spec.Containers[0]
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	ro := true
	c.SecurityContext.ReadOnlyRootFilesystem = &ro
	c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(vm corev1.VolumeMount) bool {
		return vm.MountPath == staging || strings.HasPrefix(staging, strings.TrimSuffix(vm.MountPath, "/")+"/")
	})
	d, err = m.Stage(root, "spark1")
	if err != nil {
		t.Fatal(err)
	}
	res, r := runModel(t, d, "app.jar")
	if res.Exit == 0 || r.Exit == 0 || !strings.Contains(res.Output, staging+"/.mr3/application_4711_0000") || !strings.Contains(res.Output, "Read-only file system") {
		t.Fatalf("read-only root without a writable %s: exit %d (spark-submit %d), want the job to fail there:\n%s", staging, res.Exit, r.Exit, res.Output)
	}
}

// TestContractModelSplitsWhatSubmitRefuses shows, in MR3's scripts (the model, run directly),
// why submit refuses certain arguments: each arrives at spark-submit changed.
func TestContractModelSplitsWhatSubmitRefuses(t *testing.T) {
	m, err := mr3model.ParseManifest(renderChart(t, nil), contractNamespace)
	if err != nil {
		t.Fatal(err)
	}
	d, err := m.Stage(mr3model.Root(t.TempDir()), "spark1")
	if err != nil {
		t.Fatal(err)
	}
	pod := m.Pods["spark1"]
	wd := pod.Spec.Containers[0].WorkingDir
	if wd == "" {
		wd = mr3model.ImageWorkDir
	}
	// Files in the Pod's working directory, where the scripts' unquoted $@ expands globs.
	for _, n := range []string{"x1.txt", "x2.txt"} {
		if err := os.WriteFile(d.Host(wd+"/"+n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		args []string
		want []string // what spark-submit gets after the script's own options
	}{
		{"whitespace splits", []string{"app.jar", "hdfs://gold0:8020/in put"}, []string{"app.jar", "hdfs://gold0:8020/in", "put"}},
		{"globs expand in the working dir", []string{"app.jar", "x*.txt"}, []string{"app.jar", "x1.txt", "x2.txt"}},
		{"an empty argument vanishes", []string{"app.jar", "", "b"}, []string{"app.jar", "b"}},
		{"--master is swallowed", []string{"--master", "local[2]", "app.jar"}, []string{"app.jar"}},
		{"--driver-java-options keeps one word", []string{"--driver-java-options", "-Da=1 -Db=2", "app.jar"}, []string{"-Db=2", "app.jar"}},
		{"a --conf value with a space splits", []string{"--conf", "spark.app.name=my app", "app.jar"}, []string{"--conf", "spark.app.name=my", "app", "app.jar"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Whether the job then succeeds depends on the chart (TestContractCIValuesAgree);
			// the argument list is recorded before.
			_, r := runModel(t, d, tc.args...)
			s := r.Submit()
			// The caller's --conf pairs come after the script's own --conf list.
			var callerConf []string
			for _, kv := range s.Conf[len(s.Conf)-countConf(tc.want):] {
				callerConf = append(callerConf, "--conf", kv.Key+"="+kv.Value)
			}
			got := append(callerConf, s.Rest...)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("sent %q; spark-submit got %q, want %q", tc.args, got, tc.want)
			}
		})
	}
}

// scriptErrors is the script's output without the model's listing of the command line.
func scriptErrors(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "[mr3model]   ") && strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func countConf(args []string) int {
	n := 0
	for _, a := range args {
		if a == "--conf" {
			n++
		}
	}
	return n
}

// TestContractJobStatusIsSubmitsStatus: a job that succeeds is exit 0 with MR3's client having
// made its application folder; a job whose spark-submit exits 3 is `submit` exit 3, in a driver
// Pod and with --local, although MR3's script pipes spark-submit into tee without pipefail.
func TestContractJobStatusIsSubmitsStatus(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"}, outsideValues...)
	out, errOut, code := m.runCLI(nil, "submit", m.rel, "--timeout", "60s", "--", "--class", "org.example.Main", "app.jar")
	r := m.lastRun("spark1")
	if code != 0 || r.Exit != 0 {
		t.Fatalf("a good job: submit exit %d, spark-submit exit %d\nstdout:\n%s\nstderr:\n%s", code, r.Exit, scriptErrors(out), errOut)
	}
	if _, err := os.Stat(m.drivers["spark1"].Host(r.Staging)); r.Staging == "" || err != nil {
		t.Errorf("MR3's client made no application folder in mr3.am.staging-dir (%q): %v", r.Staging, err)
	}

	out, errOut, code = m.runCLI(nil, "submit", m.rel, "--timeout", "60s", "--", "--class", "org.example.Main", "app.jar", "mr3model-exit=3")
	if r := m.lastRun("spark1"); code != 3 || r.Exit != 3 {
		t.Fatalf("a failing job (spark-submit exits 3): submit exit %d, spark-submit %d, want 3 for both\nstdout:\n%s\nstderr:\n%s", code, r.Exit, scriptErrors(out), errOut)
	}

	// The same with --local: the model on an outside node, BASE_DIR written by env --write-dir.
	node := stageOutsideNode(t, m)
	out, errOut, code = m.runCLI(nil, "submit", m.rel, "--local", "--script", node.SubmitScript(), "--driver-host", "gold0",
		"--", "--class", "org.example.Main", "app.jar", "mr3model-exit=3")
	r, err := node.LastRun()
	if err != nil {
		t.Fatalf("%v\nsubmit --local exit %d\nstdout:\n%s\nstderr:\n%s", err, code, out, errOut)
	}
	if code != 3 || r.Exit != 3 {
		t.Fatalf("--local, a failing job: submit exit %d, spark-submit %d, want 3\nstdout:\n%s\nstderr:\n%s", code, r.Exit, scriptErrors(out), errOut)
	}
}

// stageOutsideNode lays out an outside node for release m and writes its BASE_DIR with
// `env --write-dir`.
func stageOutsideNode(t *testing.T, m *modelRelease) *mr3model.Driver {
	t.Helper()
	node, err := mr3model.StageNode(filepath.Join(t.TempDir(), "node"))
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := m.runCLI(nil, "env", m.rel, "--write-dir", node.Base()); code != 0 {
		t.Fatalf("env --write-dir: exit %d\n%s", code, errOut)
	} else if strings.Contains(errOut, submitToken) {
		t.Fatalf("env printed the token on stderr:\n%s%s", out, errOut)
	}
	return node
}

// TestContractRefusedArgumentsRunNothing: every argument MR3's script would not pass on
// intact is refused with exit 2 before anything runs — no exec, no script, no result folder
// (TestContractModelSplitsWhatSubmitRefuses shows what the script would do with each).
func TestContractRefusedArgumentsRunNothing(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"}, outsideValues...)
	d := m.drivers["spark1"]
	results := func() int {
		entries, _ := os.ReadDir(d.Host(mr3model.RemoteBase + "/spark/spark-submit-result"))
		return len(entries)
	}
	before, runsBefore := results(), m.runs("spark1")
	node := stageOutsideNode(t, m)
	for _, tc := range []struct {
		name string
		args []string
		bad  string
		wait time.Duration // bounds the run: an argument that is not refused may hang MR3's script
	}{
		{"space", []string{"app.jar", "hdfs://gold0:8020/in put"}, "hdfs://gold0:8020/in put", 0},
		{"tab", []string{"--conf", "spark.app.name=a\tb", "app.jar"}, "spark.app.name=a\tb", 0},
		{"glob", []string{"--jars", "/opt/jars/*.jar", "app.jar"}, "/opt/jars/*.jar", 0},
		{"question mark", []string{"app.jar", "file?.txt"}, "file?.txt", 0},
		{"bracket", []string{"app.jar", "part[0]"}, "part[0]", 0},
		{"empty", []string{"app.jar", "", "x"}, "", 0},
		{"master", []string{"--master", "local[2]", "app.jar"}, "--master", 0},
		{"java options list", []string{"--driver-java-options", "-Da=1 -Db=2", "app.jar"}, "-Da=1 -Db=2", 0},
		{"double dash", []string{"app.jar", "--", "x"}, "--", 0},
		// Not re-split but worse: `shift 2` with one argument left shifts nothing, and MR3's
		// parsing loop never ends (TestModelTrailingOptionLoopsForever in test/mr3model).
		{"trailing --jars", []string{"app.jar", "--jars"}, "--jars", 15 * time.Second},
		{"trailing --driver-java-options", []string{"app.jar", "--driver-java-options"}, "--driver-java-options", 15 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, local := range []bool{false, true} {
				args := []string{"submit", m.rel, "--timeout", "60s"}
				if local {
					args = append(args, "--local", "--script", node.SubmitScript(), "--driver-host", "gold0")
				}
				wait := tc.wait
				if wait == 0 {
					wait = 90 * time.Second
				}
				out, errOut, code := m.runCLIFor(wait, nil, append(append(args, "--"), tc.args...)...)
				if code != 2 || !strings.Contains(errOut, strconv.Quote(tc.bad)) {
					t.Errorf("local=%v: exit %d (want 2) and an error naming %s\nstdout:\n%s\nstderr:\n%s", local, code, strconv.Quote(tc.bad), out, errOut)
				}
			}
		})
	}
	if got := m.runs("spark1"); got != runsBefore {
		t.Errorf("spark-submit ran %d time(s) for refused arguments", got-runsBefore)
	}
	if got := results(); got != before {
		t.Errorf("the driver script started (%d result folders made) for refused arguments", got-before)
	}
	if runs, _ := node.Runs(); len(runs) != 0 {
		t.Errorf("the outside driver's spark-submit ran %d time(s) for refused arguments", len(runs))
	}
	// Words with quotes and shell characters are one word each: they arrive intact.
	intact := []string{"--conf", `spark.app.name=my"q"app`, "app.jar", "it's", "a|b>c", "$HOME;x", "`id`"}
	out, errOut, code := m.runCLI(nil, append([]string{"submit", m.rel, "--timeout", "60s", "--"}, intact...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, scriptErrors(out), errOut)
	}
	s := m.lastRun("spark1").Submit()
	if v, _ := s.ConfValue("spark.app.name"); v != `my"q"app` || !slices.Equal(s.Rest, intact[2:]) {
		t.Fatalf("sent %q; spark-submit got spark.app.name=%q and %q", intact, v, s.Rest)
	}
}

// TestContractOutsideDriverGetsReleaseSettings: a driver outside Kubernetes, through
// `env --write-dir` and `submit --local`, runs MR3's script with the release's namespace and
// object names, the token and timestamp of the release, the cores and memory asked for, and
// -D options that agree with its conf/mr3-site.xml (the outside copy).
func TestContractOutsideDriverGetsReleaseSettings(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"}, outsideValues...)
	// MR3 recommends a driver inside Kubernetes to start the DAGAppMaster first.
	if _, errOut, code := m.runCLI(nil, "submit", m.rel, "--timeout", "60s", "--", "app.jar"); code != 0 {
		t.Fatalf("inside driver first: exit %d\n%s", code, errOut)
	}
	node := stageOutsideNode(t, m)
	out, errOut, code := m.runCLI(nil, "submit", m.rel, "--local", "--script", node.SubmitScript(), "--driver-host", "gold0",
		"--driver-cores", "3", "--driver-memory-mb", "2048", "--", "--class", "org.example.Main", "app.jar")
	r, err := node.LastRun()
	if err != nil {
		t.Fatalf("%v\nsubmit --local: exit %d\nstdout:\n%s\nstderr:\n%s", err, code, out, errOut)
	}
	if code != 0 || r.Exit != 0 {
		t.Fatalf("submit --local: exit %d (spark-submit %d)\nstdout:\n%s\nstderr:\n%s", code, r.Exit, scriptErrors(out), errOut)
	}
	if strings.Contains(out+errOut, submitToken) {
		t.Fatal("submit --local printed the token")
	}
	s := r.Submit()
	for k, v := range map[string]string{
		"spark.driver.cores": "3", "spark.driver.memory": "2048m", "spark.driver.host": "gold0",
		"spark.mr3.k8s.am.service.host": "192.0.2.10",
	} {
		if got, _ := s.ConfValue(k); got != v {
			t.Errorf("--conf %s=%q, want %q", k, got, v)
		}
	}
	rel := m.rel
	for k, v := range map[string]string{
		"mr3.k8s.namespace": m.ns, "mr3.k8s.conf.dir.configmap": rel + "-conf",
		"mr3.k8s.pod.master.serviceaccount": rel + "-master", "mr3.k8s.pod.worker.serviceaccount": rel + "-worker",
		"mr3.k8s.keytab.secret": rel + "-keytab", "mr3.k8s.worker.secret": rel + "-worker",
	} {
		if got, _ := s.DValue(k); got != v {
			t.Errorf("-D%s=%q, want the release's %q", k, got, v)
		}
	}
	tok := m.token()
	sum := sha256.Sum256([]byte(tok.Key))
	if got := r.Env["CLIENT_TO_AM_TOKEN_KEY"]; got != "sha256:"+hex.EncodeToString(sum[:]) {
		t.Errorf("the outside driver's CLIENT_TO_AM_TOKEN_KEY is not the release's (%q)", got)
	}
	if got := r.Env["MR3_APPLICATION_ID_TIMESTAMP"]; got != strconv.FormatInt(tok.Timestamp, 10) {
		t.Errorf("MR3_APPLICATION_ID_TIMESTAMP=%q, want the release's %d", got, tok.Timestamp)
	}
	site, err := os.ReadFile(filepath.Join(node.Base(), "conf", "mr3-site.xml"))
	must(t, err)
	mr3Site, err := mr3conf.ParseSite("mr3-site.xml", site)
	must(t, err)
	for _, msg := range optionDisagreements(s, "the node's conf/mr3-site.xml", mr3Site, nil) {
		t.Error(msg)
	}
	if r.Staging == "" {
		t.Error("MR3's client made no application folder")
	}
}

// TestContractReadOnlyRootFailsTheJob: the default install runs a job; a driver whose root
// filesystem is read-only and that has no writable volume at mr3.am.staging-dir fails the job
// in the Pod where MR3's image fails, and submit exits non-zero. The plugin refuses to install
// that shape (an overlay removing the staging dir's mount).
func TestContractReadOnlyRootFailsTheJob(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	if out, errOut, code := m.runCLI(nil, "submit", m.rel, "--timeout", "60s", "--", "app.jar"); code != 0 {
		t.Fatalf("the default install cannot run a job: exit %d\nstdout:\n%s\nstderr:\n%s", code, scriptErrors(out), errOut)
	}
	staging := m.lastRun("spark1").Staging
	staging = staging[:strings.Index(staging+"/.mr3", "/.mr3")]
	if staging == "" {
		staging = "/opt/mr3-run/work-dir"
	}
	unmount := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"driver",
		"securityContext":{"readOnlyRootFilesystem":true},
		"volumeMounts":[{"mountPath":%q,"$patch":"delete"}]}]}}}}`, staging)

	// The plugin's check sees it through an overlay.
	overlay := t.TempDir()
	must(t, os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(`resources: [helm-output.yaml]
patches:
- target: {kind: StatefulSet, name: `+driverObjectName("ro", "spark9")+`}
  patch: |-
    apiVersion: apps/v1
    kind: StatefulSet
    metadata: {name: `+driverObjectName("ro", "spark9")+`}
    spec:
      template:
        spec:
          containers:
          - name: driver
            securityContext: {readOnlyRootFilesystem: true}
            volumeMounts:
            - mountPath: `+staging+`
              $patch: delete
`), 0o600))
	// In a namespace of its own, so that a refusal that still installed something cannot touch m's release.
	other := m.c.Namespace(t, nil)
	out, errOut, code := m.runCLI(nil, append([]string{"install", "ro", "-n", other, "--kustomize", overlay, "--timeout", "60s"}, m.root.SetValues("spark9")...)...)
	if code == 0 {
		m.runCLI(nil, "teardown", "ro", "-n", other, "--yes")
	}
	if code != 3 || !strings.Contains(out+errOut, staging) {
		t.Errorf("install with a read-only root and no writable %s: exit %d, want 3 and a violation naming it\nstdout:\n%s\nstderr:\n%s", staging, code, out, errOut)
	}

	// The same shape on the cluster (the StatefulSet patched behind the plugin's back).
	_, err := m.cs.AppsV1().StatefulSets(m.ns).Patch(context.Background(), driverObjectName(m.rel, "spark1"), types.StrategicMergePatchType, []byte(unmount), metav1.PatchOptions{})
	must(t, err)
	m.untilPod(driverPodName(m.rel, "spark1"), func(p *corev1.Pod) bool {
		for _, vm := range p.Spec.Containers[0].VolumeMounts {
			if vm.MountPath == staging {
				return false
			}
		}
		return p.DeletionTimestamp == nil && chartPodReady(p)
	})
	ds, err := mr3model.StageRelease(context.Background(), m.cs, m.ns, m.rel, m.root)
	must(t, err)
	out, errOut, code = m.runCLI(nil, "submit", m.rel, "--timeout", "60s", "--", "app.jar")
	r, err := ds["spark1"].LastRun()
	must(t, err)
	if code == 0 || r.Exit == 0 || !strings.Contains(out, "Read-only file system") || !strings.Contains(out, staging+"/.mr3/application_") {
		t.Fatalf("submit exit %d (spark-submit %d), want the job to fail on the read-only %s\nstdout:\n%s\nstderr:\n%s", code, r.Exit, staging, scriptErrors(out), errOut)
	}
}
