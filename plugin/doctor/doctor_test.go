package doctor

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"helm.sh/helm/v3/pkg/cli/output"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/internal/golden"
	"github.com/spark-mr3/spark-mr3/plugin/podsecurity"
	"github.com/spark-mr3/spark-mr3/plugin/status"
)

// manifestOf is the manifest text of typed objects.
func manifestOf(t *testing.T, objs ...runtime.Object) string {
	t.Helper()
	var b strings.Builder
	for _, d := range releaseOf(t, objs...).Documents {
		b.WriteString("---\n")
		b.Write(d.Raw)
		b.WriteString("\n")
	}
	return b.String()
}

func TestRunStopsWhenTheAPIServerFails(t *testing.T) {
	c := newClient(nil)
	c.PrependReactor("get", "version", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	})
	o := &Options{Namespace: testNS, Client: c, Target: APITarget{Server: "https://127.0.0.1:1"},
		Manifest: func(context.Context) (string, error) {
			t.Fatal("rendered although the API server is down")
			return "", nil
		}}
	rep, err := o.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Checks) != 1 || rep.Failed != 1 || rep.Checks[0].Name != CheckAPIServer {
		t.Fatalf("report %+v", rep)
	}
}

func TestRunManifestErrorEndsDoctor(t *testing.T) {
	bad := errors.New("values don't meet the specifications of the schema")
	o := &Options{Namespace: testNS, Client: newClient(nil), Manifest: func(context.Context) (string, error) { return "", bad }}
	if _, err := o.Run(context.Background()); !errors.Is(err, bad) {
		t.Fatalf("error %v", err)
	}
}

// TestReportGolden runs every check against a fake cluster (a restricted namespace, a node
// without swap information, a user who may not touch cluster-scoped objects) and keeps the
// report in each output format.
func TestReportGolden(t *testing.T) {
	objs := append(rbacObjects(), driverSet("spark1", "rel-mr3-token"),
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "rel-mr3", Namespace: testNS}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 9862}}}})
	m := manifestOf(t, objs...)
	cluster := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: testNS, Labels: map[string]string{podsecurity.LabelEnforce: "restricted"}}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node1"}},
		&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node2"}, Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{Swap: &corev1.NodeSwapStatus{Capacity: ptr.To[int64](0)}}}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "rel-mr3-token", Namespace: testNS},
			Data: map[string][]byte{"CLIENT_TO_AM_TOKEN_KEY": []byte("k"), "MR3_APPLICATION_ID_TIMESTAMP": []byte("1234")}},
	}
	c := newClient(deny("create clusterroles", "get clusterroles", "create clusterrolebindings", "get clusterrolebindings",
		"list nodes", "watch nodes", "get nodes", "escalate clusterroles", "bind clusterroles"), cluster...)
	c.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.37.2"}
	o := &Options{Namespace: testNS, Release: "rel", Client: c, Target: APITarget{Server: "https://127.0.0.1:6443", Context: "kind", Kubeconfig: "/home/u/.kube/config"},
		KubeVersionConstraint: ">= 1.29.0-0", Manifest: func(context.Context) (string, error) { return m, nil },
		Status: func(context.Context) (*status.Report, error) {
			return &status.Report{Release: status.Release{Name: "rel", Installed: true, State: "deployed", Revision: 1, Chart: "spark-mr3-0.1.0"},
				Drivers: []status.Pod{{Name: "driver-pod", Phase: "Running", Ready: "1/1"}}}, nil
		}}
	rep, err := o.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rep.Checks {
		names = append(names, r.Name)
	}
	wantNames := []string{CheckAPIServer, CheckSwap, CheckNamespace, CheckPermissions, CheckEscalation, CheckPodSecurity,
		CheckStorage, CheckExternalIPs, CheckHostAliases, CheckRelease, CheckDrivers, CheckToken}
	if strings.Join(names, " ") != strings.Join(wantNames, " ") {
		t.Errorf("checks %v, want %v", names, wantNames)
	}
	if rep.Failed != 3 {
		t.Errorf("failed = %d, want 3 (permissions, rbac-escalation, pod-security)", rep.Failed)
	}
	for _, f := range []output.Format{output.Table, output.JSON, output.YAML} {
		var b bytes.Buffer
		if err := f.Write(&b, rep); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, filepath.Join("testdata", "report."+f.String()), b.Bytes())
	}
	var back Report
	var b bytes.Buffer
	if err := output.JSON.Write(&b, rep); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b.Bytes(), &back); err != nil || back.Failed != 3 || len(back.Checks) != len(rep.Checks) {
		t.Fatalf("JSON does not read back: %v %+v", err, back)
	}
}
