package outside

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestAMAddress(t *testing.T) {
	ports := []corev1.ServicePort{{Port: 9862, NodePort: 30962}}
	cases := []struct {
		name     string
		svc      corev1.Service
		host     string
		port     int32
		exposure string
	}{
		{"externalIP", corev1.Service{Spec: corev1.ServiceSpec{Ports: ports, ExternalIPs: []string{"10.1.90.10"}, ClusterIP: "10.0.0.5"}}, "10.1.90.10", 9862, "externalIP"},
		{"lb ip", corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}}}}, "1.2.3.4", 9862, "loadBalancer"},
		{"lb host", corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: ports},
			Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{Hostname: "am.example"}}}}}, "am.example", 9862, "loadBalancer"},
		{"nodePort", corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: ports}}, "<any node address>", 30962, "nodePort"},
		{"clusterIP", corev1.Service{Spec: corev1.ServiceSpec{Ports: ports, ClusterIP: "10.0.0.5"}}, "10.0.0.5", 9862, "clusterIP"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, p, e := AMAddress(&c.svc)
			if h != c.host || p != c.port || e != c.exposure {
				t.Fatalf("got %s:%d (%s), want %s:%d (%s)", h, p, e, c.host, c.port, c.exposure)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	lbl := func(c string) map[string]string {
		return map[string]string{"app.kubernetes.io/instance": "r1", "app.kubernetes.io/component": c}
	}
	cs := fake.NewClientset(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "r1-token", Namespace: "ns", Labels: lbl("token")},
			Data: map[string][]byte{"CLIENT_TO_AM_TOKEN_KEY": []byte("k"), "MR3_APPLICATION_ID_TIMESTAMP": []byte("1234")}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "mr3", Namespace: "ns", Labels: lbl("am-service")},
			Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 9862}}, ExternalIPs: []string{"10.1.90.10"}}},
	)
	env, err := Lookup(context.Background(), cs, "ns", "r1")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range env.Vars() {
		names = append(names, v.Name+"="+v.Value)
	}
	got := strings.Join(names, " ")
	want := "CLIENT_TO_AM_TOKEN_KEY=k MR3_APPLICATION_ID_TIMESTAMP=1234 SPARK_MR3_NAMESPACE=ns SPARKMR3_AM_SERVICE_HOST=10.1.90.10 SPARKMR3_AM_SERVICE_PORT=9862"
	if got != want {
		t.Fatalf("vars %s\nwant %s", got, want)
	}
	if _, err := Lookup(context.Background(), cs, "other", "r1"); err == nil || !strings.Contains(err.Error(), `namespace "other"`) {
		t.Fatalf("unknown namespace: %v", err)
	}
}
