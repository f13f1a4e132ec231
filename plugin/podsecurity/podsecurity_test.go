package podsecurity

import (
	"context"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/spark-mr3/spark-mr3/plugin/mr3conf"
)

func TestEvaluate(t *testing.T) {
	hostPath := Settings{WorkerHostPaths: "/data1/k8s,/data2/k8s"}
	sysctls := Settings{WorkerSysctls: "net.core.somaxconn=16384"}
	cases := []struct {
		name     string
		labels   map[string]string
		s        Settings
		refused  bool
		enforced Level
		needed   Level
		want     []string // in Message
	}{
		{"no label", nil, Settings{}, false, "", Baseline, nil},
		{"no label, hostPath", map[string]string{"other": "x"}, hostPath, false, "", Privileged, nil},
		{"privileged", map[string]string{LabelEnforce: "privileged"}, hostPath, false, Privileged, Privileged, nil},
		{"baseline, defaults", map[string]string{LabelEnforce: "baseline"}, Settings{}, false, Baseline, Baseline, nil},
		{"warn and audit only", map[string]string{"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/audit": "restricted"}, Settings{}, false, "", Baseline, nil},
		{"restricted, defaults", map[string]string{LabelEnforce: "restricted"}, Settings{}, true, Restricted, Baseline,
			[]string{`namespace "team" enforces PodSecurity "restricted"`, "label pod-security.kubernetes.io/enforce=restricted",
				"without a security context", "runAsNonRoot", "FailedCreate", "mr3.k8s.pod.creation.timeout.ms",
				"driver Pods and test Pod carry a restricted security context", "refuse the DAGAppMaster's Pod", "kubectl label namespace team pod-security.kubernetes.io/enforce=baseline --overwrite",
				"namespace of its own"}},
		{"restricted with a version", map[string]string{LabelEnforce: "restricted", LabelEnforceVersion: "v1.30"}, Settings{}, true, Restricted, Baseline,
			[]string{"pod-security.kubernetes.io/enforce-version=v1.30"}},
		{"baseline, worker hostPath", map[string]string{LabelEnforce: "baseline"}, hostPath, true, Baseline, Privileged,
			[]string{`enforces PodSecurity "baseline"`, "mr3.k8s.pod.worker.hostpaths=/data1/k8s,/data2/k8s mounts hostPath volumes into every ContainerWorker",
				"refuse every ContainerWorker Pod the DAGAppMaster creates",
				"enforce=privileged", "localDirs.type=emptyDir"}},
		{"baseline, master hostPath", map[string]string{LabelEnforce: "baseline"}, Settings{MasterHostPaths: "/logs"}, true, Baseline, Privileged,
			[]string{"mr3.k8s.pod.master.hostpaths=/logs mounts hostPath volumes into the DAGAppMaster", "refuse the DAGAppMaster's Pod"}},
		{"baseline, additional hostPath", map[string]string{LabelEnforce: "baseline"}, Settings{WorkerAdditionalHostPaths: "/x"}, true, Baseline, Privileged,
			[]string{"mr3.k8s.pod.worker.additional.hostpaths=/x"}},
		{"baseline, sysctls", map[string]string{LabelEnforce: "baseline"}, sysctls, true, Baseline, Privileged,
			[]string{"mr3.k8s.pod.worker.security.context.sysctls=net.core.somaxconn=16384 makes MR3 add a privileged init container", "mr3.workerSysctls empty"}},
		{"restricted, sysctls: every reason", map[string]string{LabelEnforce: "restricted"}, sysctls, true, Restricted, Privileged,
			[]string{"without a security context", "privileged init container", "enforce=privileged"}},
		{"blank hostpaths need nothing", map[string]string{LabelEnforce: "baseline"}, Settings{WorkerHostPaths: " ", WorkerSysctls: ""}, false, Baseline, Baseline, nil},
		{"invalid level counts as restricted", map[string]string{LabelEnforce: "strict"}, Settings{}, true, Restricted, Baseline,
			[]string{`"strict" is not a level, so the API server applies restricted`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate("team", tc.labels, tc.s)
			if v.Refused != tc.refused || v.Enforced != tc.enforced || v.Needed != tc.needed {
				t.Fatalf("verdict %+v, want refused %v enforced %q needed %q", v, tc.refused, tc.enforced, tc.needed)
			}
			msg := v.Message()
			if !tc.refused {
				if msg != "" || len(v.Why) != 0 {
					t.Errorf("admitted, but message %q why %q", msg, v.Why)
				}
				return
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestEvaluateBaselineOmitsRestrictedReasons: under baseline only what baseline refuses is named.
func TestEvaluateBaselineOmitsRestrictedReasons(t *testing.T) {
	v := Evaluate("ns", map[string]string{LabelEnforce: "baseline"}, Settings{WorkerHostPaths: "/d"})
	if len(v.Why) != 1 || strings.Contains(v.Message(), "without a security context") {
		t.Errorf("why %q", v.Why)
	}
}

func TestSettingsFrom(t *testing.T) {
	conf := map[string]string{
		contract.SiteWorkerHostPaths: "/a", KeyWorkerAdditionalHostPaths: "/b", KeyMasterHostPaths: "/c", KeyWorkerSysctls: "k=v",
	}
	got := SettingsFrom(func(k string) string { return conf[k] })
	want := Settings{WorkerHostPaths: "/a", WorkerAdditionalHostPaths: "/b", MasterHostPaths: "/c", WorkerSysctls: "k=v"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestSettingsFromSite(t *testing.T) {
	site, err := mr3conf.ParseSite("mr3-site.xml", []byte(`<configuration>
<property><name>mr3.k8s.pod.worker.hostpaths</name><value>/data1/k8s</value></property>
<property><name>mr3.k8s.pod.worker.security.context.sysctls</name><value></value></property>
</configuration>`))
	if err != nil {
		t.Fatal(err)
	}
	if got := SettingsFromSite(site); got != (Settings{WorkerHostPaths: "/data1/k8s"}) {
		t.Errorf("got %+v", got)
	}
	if got := SettingsFromSite(nil); got != (Settings{}) {
		t.Errorf("nil site: %+v", got)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "locked", Labels: map[string]string{LabelEnforce: "restricted"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "open"}},
	)
	v, err := Check(ctx, client, "locked", Settings{})
	if err != nil || !v.Refused {
		t.Errorf("locked: %+v %v", v, err)
	}
	if w := Warning(ctx, client, "locked", Settings{}); !strings.Contains(w, "enforces PodSecurity") {
		t.Errorf("warning %q", w)
	}
	if w := Warning(ctx, client, "open", Settings{WorkerSysctls: "a=b"}); w != "" {
		t.Errorf("open namespace warned: %q", w)
	}
	if _, err := Check(ctx, client, "missing", Settings{}); !apierrors.IsNotFound(err) || !strings.Contains(err.Error(), "namespace missing") {
		t.Errorf("missing namespace: %v", err)
	}

	// A namespace admin who may not read Namespace objects: a note, never a refusal.
	client.PrependReactor("get", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "namespaces"}, "locked", nil)
	})
	w := Warning(ctx, client, "locked", Settings{WorkerHostPaths: "/d"})
	for _, want := range []string{"could not check", `namespace "locked"`, "forbidden", "PodSecurity privileged"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q: %s", want, w)
		}
	}
}

func TestModelPods(t *testing.T) {
	pods := ModelPods("ns", Settings{WorkerHostPaths: "/d1,/d2", MasterHostPaths: "/m", WorkerSysctls: "a=1,b=2"})
	am, worker := pods[0], pods[1]
	count := func(p *corev1.Pod) (n int) {
		for _, v := range p.Spec.Volumes {
			if v.HostPath != nil {
				n++
			}
		}
		return n
	}
	if count(am) != 1 || count(worker) != 2 {
		t.Errorf("hostPath volumes: AM %d, worker %d", count(am), count(worker))
	}
	if am.Spec.SecurityContext != nil || am.Spec.Containers[0].SecurityContext != nil {
		t.Error("the AM model carries a security context; MR3's does not")
	}
	if len(worker.Spec.InitContainers) != 1 || !*worker.Spec.InitContainers[0].SecurityContext.Privileged {
		t.Errorf("sysctls: init containers %+v", worker.Spec.InitContainers)
	}
	if plain := ModelPods("ns", Settings{}); len(plain[1].Spec.InitContainers) != 0 || count(plain[1]) != 0 {
		t.Error("default settings: the worker model has an init container or hostPath")
	}
}
