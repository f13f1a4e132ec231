package release

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	sparkmr3 "github.com/spark-mr3/spark-mr3"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// actionConfig is helm's in-memory configuration: release storage in memory, a kube client
// that prints instead of applying. The real-cluster proof is in test/e2e.
func actionConfig(t *testing.T) *action.Configuration {
	t.Helper()
	rc, _ := registry.NewClient()
	caps := *chartutil.DefaultCapabilities
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	return &action.Configuration{
		Releases:       storage.Init(driver.NewMemory()),
		KubeClient:     &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities:   &caps,
		RegistryClient: rc,
		Log:            func(string, ...any) {},
	}
}

func shippedChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := sparkmr3.Chart()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tokenSecret(ns, rel string, tok token.Token) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: rel + "-token", Namespace: ns, Labels: map[string]string{
			"app.kubernetes.io/instance": rel, "app.kubernetes.io/component": "token"}},
		Data: map[string][]byte{token.KeyToken: []byte(tok.Key), token.KeyTimestamp: []byte("4242")},
	}
}

func TestInstallGeneratesTokenAndPassesItAsValues(t *testing.T) {
	cfg := actionConfig(t)
	res, err := Install(context.Background(), cfg, fake.NewClientset(), Options{
		Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.TokenSource != "generated" || res.Token.Validate("t") != nil {
		t.Fatalf("token %v source %s", res.Token, res.TokenSource)
	}
	got, pinned, err := token.FromValues(res.Release.Config)
	if err != nil || !pinned || got != res.Token {
		t.Fatalf("release values pin %v (pinned %v, err %v), want %v", got, pinned, err, res.Token)
	}
	if !strings.Contains(res.Release.Manifest, "kind: Secret") {
		t.Fatal("manifest has no token Secret")
	}
}

func TestInstallRefusesExistingRelease(t *testing.T) {
	cfg := actionConfig(t)
	o := Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}}
	if _, err := Install(context.Background(), cfg, fake.NewClientset(), o); err != nil {
		t.Fatal(err)
	}
	_, err := Install(context.Background(), cfg, fake.NewClientset(), o)
	if err == nil || !strings.Contains(err.Error(), "already exists") || !strings.Contains(err.Error(), "helm sparkmr3 upgrade r1") {
		t.Fatalf("second install: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	other := &chart.Chart{Metadata: &chart.Metadata{Name: "nginx", Version: "1.0.0", APIVersion: "v2"}}
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no release", Options{Chart: other}, "release name is required"},
		{"bad release", Options{Release: "Bad_Name", Chart: other}, "DNS-1123"},
		{"long release", Options{Release: strings.Repeat("a", 54), Chart: other}, "53"},
		{"no chart", Options{Release: "ok"}, "no chart"},
		{"other chart", Options{Release: "ok", Chart: other}, `chart "nginx" is not the spark-mr3 chart`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.o.validate()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestUpgradeToken(t *testing.T) {
	existing := token.Token{Key: "kept-key", Timestamp: 4242}
	other := token.Token{Key: "other", Timestamp: 99}
	cases := []struct {
		name       string
		secret     bool
		values     map[string]any
		rotate     bool
		wantSource string
		want       token.Token
		wantErr    string
	}{
		{"kept", true, map[string]any{}, false, "kept", existing, ""},
		{"same pinned is kept", true, existing.Values(), false, "kept", existing, ""},
		{"different pinned refused", true, other.Values(), false, "", token.Token{}, "--rotate-token"},
		{"rotate", true, map[string]any{}, true, "rotated", token.Token{}, ""},
		{"rotate to pinned", true, other.Values(), true, "rotated", other, ""},
		{"no secret, pinned", false, other.Values(), false, "pinned", other, ""},
		{"no secret, nothing", false, map[string]any{}, false, "", token.Token{}, "no token Secret"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := actionConfig(t)
			ch := shippedChart(t)
			if _, err := Install(context.Background(), cfg, fake.NewClientset(), Options{Release: "r1", Namespace: "ns", Chart: ch, Values: existing.Values()}); err != nil {
				t.Fatal(err)
			}
			var cs kubernetes.Interface = fake.NewClientset()
			if c.secret {
				cs = fake.NewClientset(tokenSecret("ns", "r1", existing))
			}
			var warn bytes.Buffer
			res, err := Upgrade(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: ch, Values: c.values, RotateToken: c.rotate, Warn: &warn})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.TokenSource != c.wantSource {
				t.Fatalf("source %s, want %s", res.TokenSource, c.wantSource)
			}
			if c.want != (token.Token{}) && res.Token != c.want {
				t.Fatalf("token %v, want %v", res.Token, c.want)
			}
			if c.rotate {
				if res.Token == existing {
					t.Fatal("--rotate-token kept the old token")
				}
				if !strings.Contains(warn.String(), "--rotate-token") || strings.Contains(warn.String(), res.Token.Key) || strings.Contains(warn.String(), existing.Key) {
					t.Fatalf("rotation warning %q must explain and never show a key", warn.String())
				}
			}
		})
	}
}

func TestUpgradeUnknownReleaseNamesNamespaceAndFix(t *testing.T) {
	_, err := Upgrade(context.Background(), actionConfig(t), fake.NewClientset(), Options{Release: "nope", Namespace: "ns", Chart: shippedChart(t)})
	if err == nil || !strings.Contains(err.Error(), `release "nope" not found in namespace "ns"`) || !strings.Contains(err.Error(), "helm sparkmr3 install nope") {
		t.Fatalf("err %v", err)
	}
}
