package e2e

// Contract tests: the chart, the plugin and MR3's driver scripts (as test/mr3model runs them)
// must agree. The offline ones render the chart with Helm's SDK and run the model on this
// machine; the others install a release on the local cluster and submit through kwok.

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
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
		})
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
		"spark.driver.host":   name + "." + contractNamespace + ".svc.cluster.local",
		"spark.driver.port":   fmt.Sprint(ports["driver"]),
		"spark.ui.port":       fmt.Sprint(ports["webui"]),
	}
	for k, v := range want {
		got, _ := s.ConfValue(k)
		if got != v || v == "" || v == "m" || v == "0" {
			t.Errorf("driver %s: --conf %s=%q, want %q (from the Pod's env and ports)", name, k, got, v)
		}
	}
	if pb, _ := s.ConfValue("spark.ui.proxyBase"); !strings.HasSuffix(pb, "/"+name) {
		t.Errorf("driver %s: --conf spark.ui.proxyBase=%q, want PROXY_BASE/%s", name, pb, name)
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
