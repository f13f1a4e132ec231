package check

import (
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// load reads the hand-written passing release (testdata/release.yaml).
func load(t *testing.T) *Release {
	t.Helper()
	f, err := os.Open("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadRelease(f, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func drv(t *testing.T, r *Release, name string) *Driver {
	t.Helper()
	for _, d := range r.Drivers {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no driver %s", name)
	return nil
}

func setEnv(c *corev1.Container, name, value string) {
	for i := range c.Env {
		if c.Env[i].Name == name {
			c.Env[i] = corev1.EnvVar{Name: name, Value: value}
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
}

func dropEnv(c *corev1.Container, name string) {
	for i := range c.Env {
		if c.Env[i].Name == name {
			c.Env = append(c.Env[:i], c.Env[i+1:]...)
			return
		}
	}
}

type ruleCase struct {
	name   string
	mutate func(t *testing.T, r *Release)
	// want holds one substring per expected violation, in order, matched against
	// "Object [Key]: Message; fix: Fix".
	want []string
}

func runRuleCases(t *testing.T, rule string, check func(*Release) []Violation, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := load(t)
			if tc.mutate != nil {
				tc.mutate(t, r)
			}
			got := check(r)
			if len(got) != len(tc.want) {
				t.Fatalf("%d violations, want %d:\n%s", len(got), len(tc.want), lines(got))
			}
			for i, v := range got {
				if v.Rule != rule || v.Object == "" || v.Message == "" || v.Fix == "" {
					t.Errorf("incomplete violation %+v", v)
				}
				if !strings.Contains(v.String(), tc.want[i]) {
					t.Errorf("violation %d =\n  %s\nwant it to contain\n  %s", i, v, tc.want[i])
				}
			}
		})
	}
}

func lines(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

func TestGoodReleaseHasNoViolations(t *testing.T) {
	r := load(t)
	if len(r.Drivers) != 2 || r.Conf == nil || r.Conf.Outside == nil || r.Token == nil || r.AMService == nil || r.Env == nil || len(r.PVCs) != 1 {
		t.Fatalf("release not read fully: drivers=%d conf=%v token=%v am=%v env=%v pvcs=%d", len(r.Drivers), r.Conf != nil, r.Token != nil, r.AMService != nil, r.Env != nil, len(r.PVCs))
	}
	if vs := Run(r, nil); len(vs) != 0 {
		t.Fatalf("violations in the passing release:\n%s", lines(vs))
	}
}

func TestHostAliases(t *testing.T) {
	runRuleCases(t, RuleHostAliases, HostAliases, []ruleCase{
		{name: "pass"},
		{name: "conf value does not parse",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyHostAliases, "gold0=") },
			want:   []string{`ConfigMap/rel-conf [mr3-site.xml mr3.k8s.host.aliases]: mr3-site.xml mr3.k8s.host.aliases="gold0=": entry 1 "gold0=" has no IP address`}},
		{name: "pod lacks a conf host",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = p.HostAliases[:1]
			},
			want: []string{"StatefulSet/spark1 [mr3-site.xml mr3.k8s.host.aliases]: mr3-site.xml mr3.k8s.host.aliases maps namenode to 10.1.90.20, but StatefulSet/spark1 spec.template.spec.hostAliases has no entry for namenode"}},
		{name: "same host different IP",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Pod().Spec.HostAliases[0].IP = "10.1.90.8" },
			want:   []string{"mr3.k8s.host.aliases maps gold0 to 10.1.90.9, but StatefulSet/spark2 spec.template.spec.hostAliases maps it to 10.1.90.8"}},
		{name: "pod host missing from conf",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = append(p.HostAliases, corev1.HostAlias{IP: "10.0.0.7", Hostnames: []string{"extra"}})
			},
			want: []string{"StatefulSet/spark1 spec.template.spec.hostAliases maps extra to 10.0.0.7, but mr3-site.xml mr3.k8s.host.aliases has no entry for extra, so ContainerWorkers cannot resolve it"}},
		{name: "pod maps one host twice",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = append(p.HostAliases, corev1.HostAlias{IP: "10.0.0.7", Hostnames: []string{"gold0"}})
			},
			want: []string{"spec.template.spec.hostAliases maps gold0 to both 10.1.90.9 and 10.0.0.7"}},
		{name: "pod alias IP invalid",
			mutate: func(t *testing.T, r *Release) {
				p := &drv(t, r, "spark1").Pod().Spec
				p.HostAliases = append(p.HostAliases, corev1.HostAlias{IP: "nope", Hostnames: []string{"x"}})
			},
			want: []string{`has ip "nope" for [x], which is not an IP address`}},
		{name: "outside file differs",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(KeyHostAliases, "gold0=10.1.90.9") },
			want:   []string{`mr3-site-outside.xml mr3.k8s.host.aliases="gold0=10.1.90.9" differs from mr3-site.xml mr3.k8s.host.aliases="gold0=10.1.90.9,namenode=10.1.90.20"`}},
		{name: "outside file does not parse",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(KeyHostAliases, "=1.1.1.1") },
			want:   []string{`mr3-site-outside.xml mr3.k8s.host.aliases="=1.1.1.1": entry 1`}},
		{name: "outside driver host not aliased",
			mutate: func(t *testing.T, r *Release) {
				r.OutsideHosts = []string{"gold0", "silver1"}
			},
			want: []string{"outside driver host silver1 (annotation sparkmr3.io/outside-driver-hosts) is not in mr3-site.xml mr3.k8s.host.aliases"}},
	})
}

func TestLocalDirs(t *testing.T) {
	runRuleCases(t, RuleLocalDirs, LocalDirs, []ruleCase{
		{name: "pass"},
		{name: "unset spark.local.dir checks nothing",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.SparkDefaults.Delete(KeyLocalDir)
				r.Conf.Site.Set(KeyWorkerHostPaths, "")
			}},
		{name: "driver lacks mount",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark2").Container
				c.VolumeMounts = nil
			},
			want: []string{"StatefulSet/spark2 [spark-defaults.conf spark.local.dir]: spark-defaults.conf spark.local.dir lists /data1/k8s, but StatefulSet/spark2 container driver volumeMounts has no mount at /data1/k8s"}},
		{name: "read-only mount",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Container.VolumeMounts[0].ReadOnly = true },
			want:   []string{"mounts volume local-dir-0 there read-only"}},
		{name: "relative dir and second dir everywhere missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.SparkDefaults.Set(KeyLocalDir, "/data1/k8s,tmp") },
			want: []string{
				`spark-defaults.conf spark.local.dir="/data1/k8s,tmp" has "tmp", which is not an absolute path`,
				"StatefulSet/spark1 container driver volumeMounts has no mount at tmp",
				"StatefulSet/spark2 container driver volumeMounts has no mount at tmp",
				"ConfigMap/rel-conf [mr3-site.xml mr3.k8s.pod.worker.hostpaths]: spark-defaults.conf spark.local.dir lists tmp, but mr3-site.xml mr3.k8s.pod.worker.hostpaths=\"/data1/k8s\"",
			}},
		{name: "workers lack the dir",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyWorkerHostPaths, "/data2/k8s") },
			want:   []string{`spark.local.dir lists /data1/k8s, but mr3-site.xml mr3.k8s.pod.worker.hostpaths="/data2/k8s", mr3.k8s.pod.worker.emptydirs="" and mr3.k8s.worker.local.dir.persistentvolumes="" do not`}},
		{name: "workers use emptyDirs",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(KeyWorkerHostPaths, "")
				r.Conf.Site.Set(KeyWorkerEmptyDirs, "/data1/k8s")
			}},
		{name: "persistentVolumeClaim local dirs: worker PVs and driver volumeClaimTemplates",
			mutate: func(t *testing.T, r *Release) { pvcLocalDirs(t, r) }},
		{name: "persistentVolumeClaim local dirs without the worker key",
			mutate: func(t *testing.T, r *Release) {
				pvcLocalDirs(t, r)
				r.Conf.Site.Delete(KeyWorkerLocalDirPVs)
			},
			want: []string{`mr3.k8s.pod.worker.hostpaths="", mr3.k8s.pod.worker.emptydirs="" and mr3.k8s.worker.local.dir.persistentvolumes="" do not, so ContainerWorkers write it inside the container; fix: add /data1/k8s to mr3.k8s.pod.worker.hostpaths (host directories), mr3.k8s.pod.worker.emptydirs or mr3.k8s.worker.local.dir.persistentvolumes`}},
		{name: "mount of a volume that does not exist",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Container.VolumeMounts[0].Name = "nope" },
			want:   []string{"StatefulSet/spark2 container driver volumeMounts mounts volume nope there, but StatefulSet/spark2 has neither a Pod volume nor a volumeClaimTemplate called nope"}},
		{name: "mount of a configMap volume",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark2").Pod().Spec.Volumes[0].VolumeSource = corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "rel-conf"}}}
			},
			want: []string{"mounts volume local-dir-0 there from a configMap volume, which Kubernetes mounts read-only"}},
	})
}

// pvcLocalDirs turns the release into localDirs.type=persistentVolumeClaim as the chart renders
// it: workers get mr3.k8s.worker.local.dir.persistentvolumes, drivers a volumeClaimTemplate
// per dir instead of a Pod volume.
func pvcLocalDirs(t *testing.T, r *Release) {
	t.Helper()
	r.Conf.Site.Set(KeyWorkerHostPaths, "")
	r.Conf.Site.Set(KeyWorkerLocalDirPVs, "/data1/k8s")
	for _, d := range r.Drivers {
		spec := &d.StatefulSet.Spec
		vols := spec.Template.Spec.Volumes
		for i := 0; i < len(vols); i++ {
			if vols[i].Name == "local-dir-0" {
				vols = append(vols[:i], vols[i+1:]...)
				i--
			}
		}
		spec.Template.Spec.Volumes = vols
		spec.VolumeClaimTemplates = append(spec.VolumeClaimTemplates, corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "local-dir-0"}})
	}
}

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

// editEnvSh replaces old by new in the release's env.sh and runs MR3's scripts on it again.
func editEnvSh(t *testing.T, r *Release, old, new string) {
	t.Helper()
	sh := r.Env.Data[FileEnvSh]
	if !strings.Contains(sh, old) {
		t.Fatalf("env.sh lacks %q", old)
	}
	r.Env.Data[FileEnvSh] = strings.Replace(sh, old, new, 1)
	r.runScripts()
}

// editFiles changes the conf files as rendered and runs MR3's scripts on them again.
func editFiles(r *Release, f func(c *Conf)) {
	f(r.Conf)
	r.runScripts()
}

func TestDAGRecovery(t *testing.T) {
	noEnvClaim := func(t *testing.T, r *Release) {
		editEnvSh(t, r, "WORK_DIR_PERSISTENT_VOLUME_CLAIM='rel-workdir'", "WORK_DIR_PERSISTENT_VOLUME_CLAIM=''")
	}
	runRuleCases(t, RuleDAGRecovery, DAGRecovery, []ruleCase{
		{name: "pass"},
		{name: "off needs nothing",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) {
					c.SiteFile.Set(KeyDAGRecovery, "false")
					c.SiteFile.Delete(KeyMasterPVCMounts)
				})
				noEnvClaim(t, r)
			}},
		{name: "env.sh claim alone is enough",
			mutate: func(t *testing.T, r *Release) { editFiles(r, func(c *Conf) { c.SiteFile.Delete(KeyMasterPVCMounts) }) }},
		{name: "staging dir under the mount",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyStagingDir, "/opt/mr3-run/work-dir/staging") }},
		{name: "not explicit",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Delete(KeyDAGRecovery) },
			want:   []string{"mr3-site.xml does not set mr3.dag.recovery.enabled, and MR3 then enables DAG recovery"}},
		{name: "not a boolean",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyDAGRecovery, "on") },
			want:   []string{`mr3.dag.recovery.enabled: "on" is not a boolean`}},
		{name: "no PVC",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Delete(KeyMasterPVCMounts) })
				noEnvClaim(t, r)
			},
			want: []string{"mr3-site.xml mr3.dag.recovery.enabled=true with mr3.am.staging-dir=/opt/mr3-run/work-dir, but no PVC is mounted in the DAGAppMaster"}},
		{name: "staging dir off the PVC",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyStagingDir, "/tmp/staging") },
			want: []string{"mr3.am.staging-dir=/tmp/staging, but the DAGAppMaster mounts " +
				"rel-workdir at /opt/mr3-run/work-dir (env.sh WORK_DIR_PERSISTENT_VOLUME_CLAIM/WORK_DIR_PERSISTENT_VOLUME_CLAIM_MOUNT_DIR via -Dmr3.k8s.master.persistentvolumeclaim.mounts), which does not hold /tmp/staging"}},
		{name: "staging dir missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Delete(KeyStagingDir) },
			want:   []string{"mr3.dag.recovery.enabled=true, but mr3.am.staging-dir is not set"}},
		{name: "mount without dir",
			mutate: func(t *testing.T, r *Release) {
				editFiles(r, func(c *Conf) { c.SiteFile.Set(KeyMasterPVCMounts, "rel-workdir") })
				noEnvClaim(t, r)
			},
			want: []string{`mr3-site.xml mr3.k8s.master.persistentvolumeclaim.mounts names claim "rel-workdir" at ""`}},
	})
}

func TestAMService(t *testing.T) {
	runRuleCases(t, RuleAMService, AMService, []ruleCase{
		{name: "pass"},
		{name: "inside host is the service DNS name",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServiceHost, "mr3.ns1.svc.cluster.local") }},
		{name: "node port for outside drivers",
			mutate: func(t *testing.T, r *Release) {
				r.AMService.Spec.Type = corev1.ServiceTypeNodePort
				r.AMService.Spec.ExternalIPs = nil
				r.AMService.Spec.Ports[0].NodePort = 30862
				r.Conf.Outside.Set(KeyAMServiceHost, "192.168.1.5")
				r.Conf.Outside.Set(KeyAMServicePort, "30862")
			}},
		{name: "no service",
			mutate: func(t *testing.T, r *Release) { r.AMService = nil },
			want:   []string{"the release has no DAGAppMaster Service"}},
		{name: "port differs",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServicePort, "9999") },
			want:   []string{"Service/mr3 [mr3-site.xml mr3.k8s.am.service.port]: mr3-site.xml mr3.k8s.am.service.port=9999, but Service/mr3 spec.ports are [9862]"}},
		{name: "outside port differs",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(KeyAMServicePort, "9863") },
			want:   []string{"mr3-site-outside.xml mr3.k8s.am.service.port=9863, but Service/mr3 spec.ports are [9862]"}},
		{name: "port not a number",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServicePort, "x") },
			want:   []string{`mr3-site.xml mr3.k8s.am.service.port: "x" is not an integer`}},
		{name: "selector not in master labels",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyMasterLabels, "sparkmr3_app=am") },
			want:   []string{`Service/mr3 spec.selector has sparkmr3_app=mr3, but mr3-site.xml mr3.k8s.master.pod.additional.labels="sparkmr3_app=am" does not give the DAGAppMaster Pod that label`}},
		{name: "master labels do not parse",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyMasterLabels, "sparkmr3_app") },
			want:   []string{`mr3.k8s.master.pod.additional.labels="sparkmr3_app": entry 1 "sparkmr3_app" has no '='`}},
		{name: "empty selector",
			mutate: func(t *testing.T, r *Release) { r.AMService.Spec.Selector = nil },
			want:   []string{"Service/mr3 has no selector"}},
		{name: "selector matches drivers",
			mutate: func(t *testing.T, r *Release) {
				r.AMService.Spec.Selector = map[string]string{"mr3-pod-role": "master-role"}
				r.Conf.Site.Set(KeyMasterLabels, "mr3-pod-role=master-role")
			},
			want: []string{"also selects the Pods of driver StatefulSet/spark1", "also selects the Pods of driver StatefulSet/spark2"}},
		{name: "inside host unknown",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyAMServiceHost, "other.example.com") },
			want:   []string{"mr3-site.xml mr3.k8s.am.service.host=other.example.com is neither Service/mr3's DNS name nor one of its addresses [10.1.90.10]"}},
		{name: "outside host missing",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Delete(KeyAMServiceHost) },
			want:   []string{"mr3-site-outside.xml does not set mr3.k8s.am.service.host"}},
		{name: "outside host not exposed",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside.Set(KeyAMServiceHost, "10.1.90.11") },
			want:   []string{"mr3-site-outside.xml mr3.k8s.am.service.host=10.1.90.11, but Service/mr3 (type ClusterIP) is exposed only on [10.1.90.10]"}},
		{name: "load balancer IP",
			mutate: func(t *testing.T, r *Release) {
				r.AMService.Spec.Type = corev1.ServiceTypeLoadBalancer
				r.AMService.Spec.ExternalIPs = nil
				r.AMService.Spec.LoadBalancerIP = "10.1.90.11"
				r.Conf.Outside.Set(KeyAMServiceHost, "10.1.90.11")
			}},
	})
}

func TestOutsideDriverKeys(t *testing.T) {
	runRuleCases(t, RuleOutsideKeys, OutsideDriverKeys, []ruleCase{
		{name: "pass"},
		{name: "no outside file, clean inside",
			mutate: func(t *testing.T, r *Release) { r.Conf.Outside = nil }},
		{name: "outside key inside",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(KeyClientConfigFile, "~/.kube/config")
				r.Conf.Site.Set(KeyUseTokenCACert, "false")
			},
			want: []string{
				`ConfigMap/rel-conf [mr3-site.xml mr3.k8s.client.config.file]: mr3-site.xml sets mr3.k8s.client.config.file="~/.kube/config", a key only for drivers outside Kubernetes; drivers inside (2 in this release)`,
				"mr3-site.xml sets mr3.k8s.service.account.use.token.ca.cert.path",
			}},
		{name: "outside lacks everything",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Outside.Delete(KeyAPIServerURL)
				r.Conf.Outside.Delete(KeyClientConfigFile)
				r.Conf.Outside.Delete(KeyUseTokenCACert)
			},
			want: []string{
				"mr3-site-outside.xml does not set mr3.k8s.api.server.url",
				"mr3-site-outside.xml does not set mr3.k8s.client.config.file",
				`mr3-site-outside.xml mr3.k8s.service.account.use.token.ca.cert.path="", but outside drivers have no service-account token`,
			}},
		{name: "bad URL and true",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Outside.Set(KeyAPIServerURL, "10.1.90.9:6443")
				r.Conf.Outside.Set(KeyUseTokenCACert, "true")
			},
			want: []string{`mr3.k8s.api.server.url="10.1.90.9:6443" is not an http(s) URL with a host`, `use.token.ca.cert.path="true"`}},
	})
}

func TestDriverIdentity(t *testing.T) {
	rename := func(t *testing.T, r *Release, name string) {
		d := drv(t, r, "spark2")
		d.Name, d.StatefulSet.Name, d.StatefulSet.Spec.ServiceName = name, name, name
		d.Pod().Labels[LabelApp] = name
		setEnv(d.Container, EnvDriverName, name)
		d.Service.Ref.Name, d.Service.Name = name, name
		d.Service.Spec.Selector[LabelApp] = name
	}
	runRuleCases(t, RuleDriverIdentity, DriverIdentity, []ruleCase{
		{name: "pass"},
		{name: "upper case",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "Spark2") },
			want:   []string{`StatefulSet/Spark2 [metadata.name]: driver name "Spark2" is not a DNS-1123 label`}},
		{name: "too long for revision label",
			mutate: func(t *testing.T, r *Release) { rename(t, r, strings.Repeat("a", 53)) },
			want:   []string{"is 53 characters; a StatefulSet's Pods get label controller-revision-hash"}},
		{name: "named mr3",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "mr3") },
			want:   []string{`driver name "mr3" is the DAGAppMaster Service's name`}},
		{name: "MR3 run-time service name",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "service-worker") },
			want:   []string{"collides with Services MR3 creates at run time"}},
		{name: "duplicate",
			mutate: func(t *testing.T, r *Release) { rename(t, r, "spark1") },
			want:   []string{`driver name "spark1" is used twice`}},
		{name: "serviceName differs",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").StatefulSet.Spec.ServiceName = "other" },
			want:   []string{`StatefulSet/spark1 spec.serviceName="other" differs from its name`}},
		{name: "replicas 2",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").StatefulSet.Spec.Replicas = ptr.To[int32](2) },
			want:   []string{"StatefulSet/spark1 spec.replicas=2"}},
		{name: "DRIVER_NAME differs",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvDriverName, "spark9") },
			want:   []string{`StatefulSet/spark1 [env DRIVER_NAME]: StatefulSet/spark1 container driver env DRIVER_NAME="spark9" differs from the StatefulSet name "spark1"`}},
		{name: "DRIVER_NAME missing",
			mutate: func(t *testing.T, r *Release) { dropEnv(drv(t, r, "spark1").Container, EnvDriverName) },
			want:   []string{"container driver has no DRIVER_NAME env"}},
		{name: "pod label differs",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Pod().Labels[LabelApp] = "x" },
			want: []string{`StatefulSet/spark1 Pod label sparkmr3_app="x" differs from the driver name "spark1"`,
				"Service/spark1 spec.selector {sparkmr3_app=spark1} does not match StatefulSet/spark1 Pod labels {mr3-pod-role=master-role,sparkmr3.io/driver=spark1,sparkmr3_app=x}"}},
		{name: "no service",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Service = nil },
			want:   []string{"StatefulSet/spark1 has no Service named spark1"}},
		{name: "service selector differs",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Service.Spec.Selector[LabelApp] = "spark2" },
			want:   []string{`Service/spark1 spec.selector sparkmr3_app="spark2" differs from the driver name "spark1"`}},
		{name: "service selector has an extra label",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Service.Spec.Selector["tier"] = "x" },
			want:   []string{"does not match StatefulSet/spark1 Pod labels"}},
	})
}

func TestDriverPorts(t *testing.T) {
	runRuleCases(t, RuleDriverPorts, DriverPorts, []ruleCase{
		{name: "pass"},
		{name: "env port not on service or container",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvDriverPort, "9851") },
			want: []string{
				"StatefulSet/spark1 [ports]: StatefulSet/spark1 container driver env SPARK_DRIVER_PORT=9851, but its containerPorts are [9850,4040]",
				"StatefulSet/spark1 [Service/spark1 spec.ports]: StatefulSet/spark1 container driver env SPARK_DRIVER_PORT=9851, but Service/spark1 spec.ports are [9850→9850,4040→4040]",
			}},
		{name: "service targets another port",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Service.Spec.Ports[1].TargetPort = intstr.FromInt32(4041)
			},
			want: []string{"env SPARK_UI_PORT=4040, but Service/spark1 spec.ports are [9850→9850,4040→4041]"}},
		{name: "named target port not in container",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark2").Service.Spec.Ports[0].TargetPort = intstr.FromString("rpc")
			},
			want: []string{"env SPARK_DRIVER_PORT=9850, but Service/spark2 spec.ports are [9850→rpc,4040→0]"}},
		{name: "missing and bad env",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				dropEnv(c, EnvDriverPort)
				setEnv(c, EnvUIPort, "http")
			},
			want: []string{"container driver has no literal SPARK_DRIVER_PORT env", `env SPARK_UI_PORT="http" is not a port number`}},
		{name: "same port twice",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvUIPort, "9850") },
			want:   []string{"uses port 9850 for both SPARK_DRIVER_PORT and SPARK_UI_PORT"}},
	})
}

func TestDriverResources(t *testing.T) {
	runRuleCases(t, RuleDriverResources, DriverResources, []ruleCase{
		{name: "pass"},
		{name: "no limits or requests checks nothing",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.Resources = corev1.ResourceRequirements{}
			}},
		{name: "heap too close to limit",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark2").Container, EnvDriverMemory, "3687") },
			want:   []string{"StatefulSet/spark2 [env SPARK_DRIVER_MEMORY_MB]: StatefulSet/spark2 container driver env SPARK_DRIVER_MEMORY_MB=3687 is 90% of its memory limit 4Gi; the JVM needs about 10% more than the heap and would be OOM-killed; fix: lower SPARK_DRIVER_MEMORY_MB to at most 3686 or raise the memory limit to at least 4097Mi"}},
		{name: "request stands in for a missing limit",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				c.Resources.Limits = nil
				c.Resources.Requests[corev1.ResourceMemory] = resource.MustParse("8Gi")
			},
			want: []string{"SPARK_DRIVER_MEMORY_MB=13107 is 160% of its memory request 8Gi"}},
		{name: "too many cores",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark2").Container, EnvDriverCores, "2") },
			want:   []string{"StatefulSet/spark2 container driver env SPARK_DRIVER_CORES=2 exceeds its CPU limit 1500m; fix: lower SPARK_DRIVER_CORES to at most 1 or raise the CPU limit to 2"}},
		{name: "missing and invalid env",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				dropEnv(c, EnvDriverMemory)
				setEnv(c, EnvDriverCores, "0")
			},
			want: []string{"has no literal SPARK_DRIVER_MEMORY_MB env", `env SPARK_DRIVER_CORES="0" is not a positive whole number`}},
		{name: "memory not a number",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvDriverMemory, "13g") },
			want:   []string{`env SPARK_DRIVER_MEMORY_MB="13g" is not a positive number of MB`}},
	})
}

func TestToken(t *testing.T) {
	const token = "e07c35ca-1a2c-4d97-9037-9fb84de5f7c4"
	runRuleCases(t, RuleToken, Token, []ruleCase{
		{name: "pass"},
		{name: "literal env value",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, EnvTokenKey, token) },
			want: []string{"StatefulSet/spark1 [env CLIENT_TO_AM_TOKEN_KEY]: StatefulSet/spark1 container driver env CLIENT_TO_AM_TOKEN_KEY is a literal value, stored in the StatefulSet and helm's release record instead of rel-token; " +
				"fix: set env CLIENT_TO_AM_TOKEN_KEY from secretKeyRef {name: rel-token, key: CLIENT_TO_AM_TOKEN_KEY}"}},
		{name: "wrong secret",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.Env[7].ValueFrom.SecretKeyRef.Name = "other"
			},
			want: []string{"env MR3_APPLICATION_ID_TIMESTAMP comes from Secret other key MR3_APPLICATION_ID_TIMESTAMP, but the token is Secret/rel-token key MR3_APPLICATION_ID_TIMESTAMP"}},
		{name: "configMap ref",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.Env[6].ValueFrom = &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "key"}}
			},
			want: []string{"env CLIENT_TO_AM_TOKEN_KEY does not come from a secretKeyRef"}},
		{name: "missing env and envFrom",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Container.EnvFrom = nil },
			want: []string{
				"StatefulSet/spark2 container driver has no CLIENT_TO_AM_TOKEN_KEY env, so the driver starts its own DAGAppMaster",
				"has no MR3_APPLICATION_ID_TIMESTAMP env",
			}},
		{name: "no token secret",
			mutate: func(t *testing.T, r *Release) { r.Token = nil },
			want: []string{
				"the release has no Secret with key CLIENT_TO_AM_TOKEN_KEY, but 2 driver(s) need the token",
				"has no CLIENT_TO_AM_TOKEN_KEY env", "has no MR3_APPLICATION_ID_TIMESTAMP env",
			}},
		{name: "bad secret contents",
			mutate: func(t *testing.T, r *Release) {
				r.Token.Data[EnvTokenKey] = ""
				r.Token.Data[EnvTimestamp] = "0"
			},
			want: []string{"Secret/rel-token key CLIENT_TO_AM_TOKEN_KEY is empty", `Secret/rel-token key MR3_APPLICATION_ID_TIMESTAMP="0" is not a positive integer`}},
		{name: "token in an annotation",
			mutate: func(t *testing.T, r *Release) {
				d, err := manifest.Parse([]byte("# Source: spark-mr3/templates/statefulset.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: leak\nspec:\n  template:\n    metadata:\n      annotations:\n        token: "+token+"\n"), manifest.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				r.Documents = append(r.Documents, d...)
			},
			want: []string{"StatefulSet/leak [token]: StatefulSet/leak holds the value of Secret/rel-token key CLIENT_TO_AM_TOKEN_KEY in annotation spec.template.metadata.annotations.token"}},
		{name: "token in a ConfigMap",
			mutate: func(t *testing.T, r *Release) {
				d, err := manifest.Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-am-config\ndata:\n  key: "+token+"\n"), manifest.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				r.Documents = append(r.Documents, d...)
			},
			want: []string{"ConfigMap/client-am-config holds the value of Secret/rel-token key CLIENT_TO_AM_TOKEN_KEY in its text"}},
	})
}

func TestFromManifestsProblems(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "mr3-site.xml does not parse",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration>\n  spark-defaults.conf: \"a 1\"\n",
			want: []string{"ConfigMap/c [mr3-site.xml]: ConfigMap c key mr3-site.xml does not parse: mr3-site.xml: invalid XML"}},
		{name: "spark-defaults.conf missing",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration/>\n",
			want: []string{"ConfigMap c has no key spark-defaults.conf"}},
		{name: "spark-defaults.conf and outside file do not parse",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration/>\n  mr3-site-outside.xml: <x/>\n  spark-defaults.conf: \"a 1\\na 2\"\n",
			want: []string{"key mr3-site-outside.xml does not parse", "key spark-defaults.conf does not parse: spark-defaults.conf line 2: a is set twice"}},
		{name: "wrong type in a StatefulSet",
			in:      "# Source: t.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {replicas: many}\n",
			wantErr: "manifest document 1 (t.yaml): decode StatefulSet/s"},
		{name: "non-driver StatefulSet ignored",
			in: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n      containers: [{name: postgres}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadRelease(strings.NewReader(tt.in), manifest.Limits{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(r.Problems), len(tt.want), lines(r.Problems))
			}
			for i, p := range r.Problems {
				if p.Rule != RuleConfFiles || !strings.Contains(p.String(), tt.want[i]) {
					t.Errorf("problem %d = %s, want %q", i, p, tt.want[i])
				}
			}
			if len(r.Drivers) != 0 {
				t.Errorf("drivers = %d, want 0", len(r.Drivers))
			}
		})
	}
}

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

func TestWritableDirs(t *testing.T) {
	readOnly := func(d *Driver) {
		d.Container.SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(true)}
	}
	const head = "StatefulSet/spark2 [securityContext.readOnlyRootFilesystem]: StatefulSet/spark2 container driver has readOnlyRootFilesystem: true, but no volume is mounted at or above "
	runRuleCases(t, RuleWritableDirs, WritableDirs, []ruleCase{
		{name: "pass"},
		{name: "writable root needs nothing",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.SecurityContext.ReadOnlyRootFilesystem = ptr.To(false)
			}},
		{name: "one writable volume above everything",
			mutate: func(t *testing.T, r *Release) {
				d := drv(t, r, "spark2")
				readOnly(d)
				d.Container.VolumeMounts = append(d.Container.VolumeMounts, corev1.VolumeMount{Name: "local-dir-0", MountPath: "/opt/mr3-run"})
			}},
		{name: "read-only root without writable dirs",
			mutate: func(t *testing.T, r *Release) { readOnly(drv(t, r, "spark2")) },
			want: []string{
				head + "/opt/mr3-run/work-dir (mr3.am.staging-dir in mr3-site.xml, where the MR3 client creates .mr3/application_<ts>_0000), so the driver cannot write there and the job fails; fix: set containerSecurityContext.readOnlyRootFilesystem: false (PodSecurity restricted does not require it), or mount a writable volume at /opt/mr3-run/work-dir",
				head + "/opt/mr3-run/spark/spark-submit-result (where run-spark-submit.sh makes each run's output dir)",
				head + "/opt/mr3-run/spark/spark-shell-result (where run-spark-shell.sh makes each run's output dir)",
			}},
		{name: "result dir missing",
			mutate: func(t *testing.T, r *Release) {
				c := drv(t, r, "spark1").Container
				c.VolumeMounts = c.VolumeMounts[:len(c.VolumeMounts)-1]
			},
			want: []string{"StatefulSet/spark1 container driver has readOnlyRootFilesystem: true, but no volume is mounted at or above /opt/mr3-run/spark/spark-shell-result"}},
		{name: "staging dir mounted read-only",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark1").Container.VolumeMounts[3].ReadOnly = true },
			want:   []string{"and /opt/mr3-run/work-dir (mr3.am.staging-dir in mr3-site.xml, where the MR3 client creates .mr3/application_<ts>_0000) is on volume work-dir mounted at /opt/mr3-run/work-dir read-only"}},
		{name: "staging dir under a Secret volume",
			mutate: func(t *testing.T, r *Release) { r.Conf.Site.Set(KeyStagingDir, "/opt/mr3-run/key/staging") },
			want:   []string{"is on volume key mounted at /opt/mr3-run/key read-only"}},
		{name: "staging dir under a configMap volume mounted without readOnly",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Set(KeyStagingDir, "/opt/mr3-run/conf/staging")
				drv(t, r, "spark1").Container.VolumeMounts[0].ReadOnly = false
			},
			want: []string{"is on volume conf mounted at /opt/mr3-run/conf from a configMap volume, which Kubernetes mounts read-only"}},
		{name: "scripts elsewhere in the image",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Pod().Annotations[AnnotationSubmitCommand] = "/usr/local/mr3/spark/run-spark-submit.sh"
			},
			want: []string{"no volume is mounted at or above /usr/local/mr3/spark/spark-submit-result"}},
		{name: "no staging dir set",
			mutate: func(t *testing.T, r *Release) {
				r.Conf.Site.Delete(KeyStagingDir)
				c := drv(t, r, "spark1").Container
				c.VolumeMounts = slices.DeleteFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == "work-dir" })
			}},
	})
}
