package release

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	sparkmr3 "github.com/spark-mr3/spark-mr3"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	tf "github.com/spark-mr3/spark-mr3/plugin/mr3runtime/mr3runtimetest"
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
		Data: map[string][]byte{contract.KeyToken: []byte(tok.Key), contract.KeyTimestamp: []byte("4242")},
	}
}

// olderPluginInstall makes revision 1 as the plugin did before it kept its own Secret: the
// token pinned in the values, the chart's F-token in the manifest.
func olderPluginInstall(t *testing.T, cfg *action.Configuration, ch *chart.Chart, tok token.Token) {
	t.Helper()
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace = "r1", "ns"
	if _, err := in.Run(ch, tok.Values()); err != nil {
		t.Fatal(err)
	}
}

// assertTokenOutOfRecord: the release's values and manifest name the plugin's Secret and the
// token's checksum, never the token; the plugin's Secret holds it.
func assertTokenOutOfRecord(t *testing.T, cs kubernetes.Interface, rel *release.Release, want token.Token) {
	t.Helper()
	cfgYAML, _ := yaml.Marshal(rel.Config)
	for _, secret := range []string{want.Key, b64(want.Key)} {
		if strings.Contains(string(cfgYAML), secret) || strings.Contains(rel.Manifest, secret) {
			t.Fatalf("the release record holds the token (values:\n%s)", cfgYAML)
		}
	}
	tok, _ := rel.Config["token"].(map[string]any)
	if tok["existingSecret"] != rel.Name+"-mr3-token" || tok["checksum"] != want.Checksum() {
		t.Fatalf("values token = %v, want existingSecret %s-mr3-token and checksum of the token", tok, rel.Name)
	}
	if _, pinned, _ := token.FromValues(rel.Config); pinned {
		t.Fatal("values pin a token")
	}
	if !strings.Contains(rel.Manifest, "checksum/token: \""+want.Checksum()+"\"") {
		t.Fatal("manifest: drivers' checksum/token is not the token's checksum")
	}
	if strings.Contains(rel.Manifest, "name: "+rel.Name+"-token\n") {
		t.Fatal("manifest still renders or references the chart's token Secret")
	}
	s, err := cs.CoreV1().Secrets(rel.Namespace).Get(context.Background(), rel.Name+"-mr3-token", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := token.FromSecret(s); err != nil || got != want {
		t.Fatalf("plugin Secret holds %v (%v), want %v", got, err, want)
	}
	if s.Labels[contract.LabelManagedBy] != contract.ManagedByPlugin || s.Labels["app.kubernetes.io/instance"] != rel.Name || s.Annotations["meta.helm.sh/release-name"] != "" {
		t.Fatalf("plugin Secret labels %v annotations %v", s.Labels, s.Annotations)
	}
}

func TestInstallKeepsTokenInItsOwnSecret(t *testing.T) {
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	res, err := Install(context.Background(), cfg, cs, Options{
		Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.TokenSource != "generated" || res.Token.Validate("t") != nil {
		t.Fatalf("token %v source %s", res.Token, res.TokenSource)
	}
	assertTokenOutOfRecord(t, cs, res.Release, res.Token)
	// Rotation updates the plugin's Secret; the record still holds only the checksum.
	up, err := Upgrade(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), RotateToken: true})
	if err != nil {
		t.Fatal(err)
	}
	if up.Token == res.Token || up.Previous != res.Token {
		t.Fatalf("rotation: %v (previous %v), installed %v", up.Token, up.Previous, res.Token)
	}
	assertTokenOutOfRecord(t, cs, up.Release, up.Token)
	// The Secret remembers the earlier timestamp (Helm's history no longer does).
	s, _ := cs.CoreV1().Secrets("ns").Get(context.Background(), "r1-mr3-token", metav1.GetOptions{})
	if s.Annotations[contract.AnnotationPastTimestamps] != strconv.FormatInt(res.Token.Timestamp, 10) {
		t.Fatalf("past timestamps %q, want %d", s.Annotations[contract.AnnotationPastTimestamps], res.Token.Timestamp)
	}
}

// A pinned token at install goes to the Secret, not into the record.
func TestInstallPinnedTokenStaysOutOfRecord(t *testing.T) {
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	pin := token.Token{Key: "pinned-key-123", Timestamp: 777}
	res, err := Install(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: pin.Values()})
	if err != nil {
		t.Fatal(err)
	}
	assertTokenOutOfRecord(t, cs, res.Release, pin)
}

// A failed install that recorded nothing removes the Secret it made.
func TestInstallFailureRemovesItsSecret(t *testing.T) {
	cs := fake.NewClientset()
	_, err := Install(context.Background(), actionConfig(t), cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t),
		Values: map[string]any{"drivers": "not-a-list"}})
	if err == nil {
		t.Fatal("bad values installed")
	}
	if l, _ := cs.CoreV1().Secrets("ns").List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatalf("left %d Secrets", len(l.Items))
	}
}

// A Secret of the plugin's name that the plugin did not make is refused, not overwritten.
func TestInstallRefusesForeignSecret(t *testing.T) {
	cs := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "r1-mr3-token", Namespace: "ns"}})
	_, err := Install(context.Background(), actionConfig(t), cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), "not made by helm sparkmr3") {
		t.Fatalf("err %v", err)
	}
}

// A user's token.existingSecret is passed through; rotating it is refused.
func TestUserExistingSecret(t *testing.T) {
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	vals := map[string]any{"token": map[string]any{"existingSecret": "sealed", "checksum": "abc"}}
	res, err := Install(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: vals})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Release.Manifest, "name: sealed") || strings.Contains(res.Release.Manifest, "CLIENT_TO_AM_TOKEN_KEY: ") {
		t.Fatal("drivers do not read Secret sealed, or the chart rendered a token Secret")
	}
	if l, _ := cs.CoreV1().Secrets("ns").List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatal("the plugin made a Secret for a user-kept token")
	}
	_, err = Upgrade(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), ReuseValues: true, RotateToken: true})
	var re *RefusedError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "existingSecret=sealed") {
		t.Fatalf("rotate with a user Secret: %v", err)
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

// Every value path of an upgrade: what this command's values pin, what the reused values of
// the last revision pin (the plugin wrote the token there), the release's Secret, and
// --rotate-token. Reused pins never win over the Secret or over a rotation.
func TestUpgradeToken(t *testing.T) {
	existing := token.Token{Key: "kept-key-77c1a", Timestamp: 4242}
	other := token.Token{Key: "other-key-5b1e9", Timestamp: 99}
	type flags struct{ reuse, reset, resetThenReuse, rotate bool }
	cases := []struct {
		name       string
		secret     bool
		values     map[string]any
		f          flags
		wantSource string
		want       token.Token
		wantErr    string
		wantWarn   string
	}{
		{"kept", true, map[string]any{"logging": map[string]any{"rootLevel": "WARN"}}, flags{}, "kept", existing, "", ""},
		{"kept, no values", true, map[string]any{}, flags{}, "kept", existing, "", ""},
		{"kept, reuse", true, map[string]any{}, flags{reuse: true}, "kept", existing, "", ""},
		{"kept, reset", true, map[string]any{}, flags{reset: true}, "kept", existing, "", ""},
		{"same pinned is kept", true, existing.Values(), flags{}, "kept", existing, "", ""},
		{"different pinned refused", true, other.Values(), flags{}, "", token.Token{}, "-f/--set pin token.clientToAMTokenKey/applicationIdTimestamp that differ", ""},
		{"different pinned refused with reuse", true, other.Values(), flags{reuse: true}, "", token.Token{}, "add --rotate-token", ""},
		{"half pinned refused", true, map[string]any{"token": map[string]any{"applicationIdTimestamp": "77"}}, flags{reuse: true}, "", token.Token{}, "values from -f/--set: values pin only one", ""},
		{"rotate", true, map[string]any{}, flags{rotate: true}, "rotated", token.Token{}, "", "--rotate-token"},
		{"rotate, reuse", true, map[string]any{}, flags{reuse: true, rotate: true}, "rotated", token.Token{}, "", "reused from revision 1 is replaced"},
		{"rotate, reset then reuse", true, map[string]any{}, flags{resetThenReuse: true, rotate: true}, "rotated", token.Token{}, "", "reused from revision 1 is replaced"},
		{"rotate, reset", true, map[string]any{}, flags{reset: true, rotate: true}, "rotated", token.Token{}, "", "--rotate-token"},
		{"rotate, reuse, other values", true, map[string]any{"logging": map[string]any{"rootLevel": "WARN"}}, flags{reuse: true, rotate: true}, "rotated", token.Token{}, "", "--rotate-token"},
		{"rotate to pinned", true, other.Values(), flags{rotate: true}, "rotated", other, "", "--rotate-token"},
		{"rotate to pinned, reuse", true, other.Values(), flags{reuse: true, rotate: true}, "rotated", other, "", "--rotate-token"},
		{"rotate to the current token refused", true, existing.Values(), flags{reuse: true, rotate: true}, "", token.Token{}, "pin the release's current one (timestamp 4242)", ""},
		{"no secret, pinned", false, other.Values(), flags{}, "pinned", other, "", ""},
		{"no secret, restored from reused values", false, map[string]any{}, flags{reuse: true}, "pinned", existing, "", "restoring the token pinned in the values of revision 1"},
		{"no secret, no values restores", false, map[string]any{}, flags{}, "pinned", existing, "", "restoring"},
		{"no secret, reset", false, map[string]any{}, flags{reset: true}, "", token.Token{}, "no token Secret", ""},
		{"no secret, rotate", false, map[string]any{}, flags{reuse: true, rotate: true}, "rotated", token.Token{}, "", "--rotate-token"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := actionConfig(t)
			ch := shippedChart(t)
			// Revision 1 by the older plugin: upgrading migrates it.
			olderPluginInstall(t, cfg, ch, existing)
			var cs kubernetes.Interface = fake.NewClientset()
			if c.secret {
				cs = fake.NewClientset(tokenSecret("ns", "r1", existing))
			}
			var warn bytes.Buffer
			res, err := Upgrade(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: ch, Values: c.values,
				ReuseValues: c.f.reuse, ResetValues: c.f.reset, ResetThenReuseValues: c.f.resetThenReuse, RotateToken: c.f.rotate, Warn: &warn})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				var re *RefusedError
				if !errors.As(err, &re) {
					t.Fatalf("%v is not a RefusedError (exit 2)", err)
				}
				if rel, _ := cfg.Releases.Last("r1"); rel.Version != 1 {
					t.Fatalf("refused upgrade applied revision %d", rel.Version)
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
			// What the new revision's drivers read is the token reported, in every value path,
			// and the record holds none of it.
			assertTokenOutOfRecord(t, cs, res.Release, res.Token)
			if c.f.rotate && res.Token == existing {
				t.Fatal("--rotate-token kept the old token")
			}
			if c.wantWarn != "" && !strings.Contains(warn.String(), c.wantWarn) {
				t.Fatalf("warning %q, want %q", warn.String(), c.wantWarn)
			}
			if strings.Contains(warn.String(), res.Token.Key) || strings.Contains(warn.String(), existing.Key) {
				t.Fatalf("warning %q shows a key", warn.String())
			}
		})
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// An upgrade without values keeps the release's values, as helm upgrade does; before, the
// plugin's own token values made helm treat it as "new values" and reset everything else.
func TestUpgradeWithoutValuesKeepsThem(t *testing.T) {
	existing := token.Token{Key: "kept-key-77c1a", Timestamp: 4242}
	cfg := actionConfig(t)
	ch := shippedChart(t)
	vals := existing.Values()
	vals["logging"] = map[string]any{"rootLevel": "WARN"}
	if _, err := Install(context.Background(), cfg, fake.NewClientset(), Options{Release: "r1", Namespace: "ns", Chart: ch, Values: vals}); err != nil {
		t.Fatal(err)
	}
	res, err := Upgrade(context.Background(), cfg, fake.NewClientset(tokenSecret("ns", "r1", existing)), Options{Release: "r1", Namespace: "ns", Chart: ch, Values: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := res.Release.Config["logging"].(map[string]any); l["rootLevel"] != "WARN" {
		t.Fatalf("values after an upgrade without values: %v", res.Release.Config)
	}
}

// Two releases in one namespace never share a timestamp: a pinned one in use is refused,
// naming the other release and the fix; a generated one avoids every timestamp in use.
func TestTimestampInUse(t *testing.T) {
	b := token.Token{Key: "b-key", Timestamp: 4242}
	objs := []runtime.Object{tokenSecretLabelled("ns", "b", b)}
	t.Run("install pinned", func(t *testing.T) {
		_, err := Install(context.Background(), actionConfig(t), fake.NewClientset(objs...), Options{Release: "a", Namespace: "ns", Chart: shippedChart(t),
			Values: token.Token{Key: "a-key", Timestamp: 4242}.Values()})
		var re *RefusedError
		if !errors.As(err, &re) {
			t.Fatalf("%v is not a RefusedError", err)
		}
		for _, want := range []string{"token.applicationIdTimestamp from -f/--set", "timestamp 4242 is already used", `release "b" (Secret b-token)`, "leave token.clientToAMTokenKey and token.applicationIdTimestamp empty"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err %v, want %q", err, want)
			}
		}
	})
	t.Run("install pinned, held by a DAGAppMaster", func(t *testing.T) {
		am := tf.AMDeployment("ns", "hive", "5151", nil)
		_, err := Install(context.Background(), actionConfig(t), fake.NewClientset(am), Options{Release: "a", Namespace: "ns", Chart: shippedChart(t),
			Values: token.Token{Key: "a-key", Timestamp: 5151}.Values()})
		if err == nil || !strings.Contains(err.Error(), "by Deployment mr3master-spark-5151-0") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("install generated avoids", func(t *testing.T) {
		// The first draw of this source is b's timestamp.
		src := fixedDraws(t, 4242, 7777)
		res, err := Install(context.Background(), actionConfig(t), fake.NewClientset(objs...), Options{Release: "a", Namespace: "ns", Chart: shippedChart(t),
			Values: map[string]any{}, Rand: src})
		if err != nil || res.Token.Timestamp != 7777 {
			t.Fatalf("token %v err %v, want timestamp 7777", res, err)
		}
	})
	t.Run("rotate pinned to another release's", func(t *testing.T) {
		cfg := actionConfig(t)
		a := token.Token{Key: "a-key", Timestamp: 1000}
		if _, err := Install(context.Background(), cfg, fake.NewClientset(), Options{Release: "a", Namespace: "ns", Chart: shippedChart(t), Values: a.Values()}); err != nil {
			t.Fatal(err)
		}
		cs := fake.NewClientset(tokenSecretLabelled("ns", "a", a), tokenSecretLabelled("ns", "b", b))
		_, err := Upgrade(context.Background(), cfg, cs, Options{Release: "a", Namespace: "ns", Chart: shippedChart(t), RotateToken: true,
			Values: token.Token{Key: "new", Timestamp: 4242}.Values()})
		if err == nil || !strings.Contains(err.Error(), `release "b"`) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("rotate generated avoids the release's old DAGAppMaster", func(t *testing.T) {
		cfg := actionConfig(t)
		a := token.Token{Key: "a-key", Timestamp: 1000}
		if _, err := Install(context.Background(), cfg, fake.NewClientset(), Options{Release: "a", Namespace: "ns", Chart: shippedChart(t), Values: a.Values()}); err != nil {
			t.Fatal(err)
		}
		cs := fake.NewClientset(tokenSecretLabelled("ns", "a", a), tf.AMDeployment("ns", "a", "1000", nil), tf.AMDeployment("ns", "a", "2000", nil))
		res, err := Upgrade(context.Background(), cfg, cs, Options{Release: "a", Namespace: "ns", Chart: shippedChart(t), RotateToken: true,
			Values: map[string]any{}, Rand: fixedDraws(t, 1000, 2000, 3000)})
		if err != nil || res.Token.Timestamp != 3000 {
			t.Fatalf("token %v err %v, want 3000", res, err)
		}
	})
}

// fixedDraws is a random source whose successive Generate calls yield the given timestamps.
func fixedDraws(t *testing.T, timestamps ...int64) io.Reader {
	t.Helper()
	var buf bytes.Buffer
	for _, ts := range timestamps {
		buf.Write(bytes.Repeat([]byte{0x42}, 16)) // the UUID
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(ts-token.MinTimestamp))
		buf.Write(b[:])
	}
	return &buf
}

func tokenSecretLabelled(ns, rel string, tok token.Token) *corev1.Secret {
	s := tokenSecret(ns, rel, tok)
	s.Labels["app.kubernetes.io/name"] = "spark-mr3"
	s.Data[contract.KeyTimestamp] = []byte(strconv.FormatInt(tok.Timestamp, 10))
	return s
}

// A token change restarts the drivers unless the chart's Pod template carries a
// checksum/token annotation (then the StatefulSet controller rolls them, on rollback too).
func TestRestartDrivers(t *testing.T) {
	for _, withChecksum := range []bool{false, true} {
		t.Run(fmt.Sprintf("checksum=%v", withChecksum), func(t *testing.T) {
			l := map[string]string{"app.kubernetes.io/instance": "a", "app.kubernetes.io/component": "driver"}
			sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "spark1", Namespace: "ns", Labels: l}}
			if withChecksum {
				sts.Spec.Template.Annotations = map[string]string{contract.AnnotationChecksumToken: "abc"}
			}
			cs := fake.NewClientset(sts)
			if err := restartDrivers(context.Background(), cs, Options{Release: "a", Namespace: "ns"}, "the new token"); err != nil {
				t.Fatal(err)
			}
			deleted := false
			for _, a := range cs.Actions() {
				if a.GetVerb() == "delete-collection" && a.GetResource().Resource == "pods" {
					deleted = true
				}
			}
			if deleted == withChecksum {
				t.Fatalf("driver Pods deleted: %v, with a checksum annotation: %v", deleted, withChecksum)
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

func TestStorageExposure(t *testing.T) {
	for drv, want := range map[string]string{"": "", "secret": "", "secrets": "", "memory": "", "configmap": "'view' role in namespace \"ns\"", "ConfigMaps": "unset HELM_DRIVER", "sql": "SQL database"} {
		got := StorageExposure(drv, "ns")
		if want == "" && got != "" || want != "" && !strings.Contains(got, want) {
			t.Errorf("HELM_DRIVER=%q: %q, want %q", drv, got, want)
		}
	}
}

// refusingPostRenderer is a post-renderer whose rules refuse every render, as check does.
type refusingPostRenderer struct{}

func (refusingPostRenderer) Run(*bytes.Buffer) (*bytes.Buffer, error) {
	return nil, errors.New("refused by the rules")
}

// A post-renderer refusal records nothing: an install leaves no token Secret, and a rotating
// upgrade leaves the Secret with the token the release still uses.
func TestRefusedRenderLeavesTokenSecretAsItWas(t *testing.T) {
	ctx := context.Background()
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	if _, err := Install(ctx, cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t),
		Values: map[string]any{}, PostRenderer: refusingPostRenderer{}}); err == nil {
		t.Fatal("refused render installed")
	}
	if l, _ := cs.CoreV1().Secrets("ns").List(ctx, metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatalf("refused install left %d Secrets", len(l.Items))
	}
	res, err := Install(ctx, cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Upgrade(ctx, cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t),
		RotateToken: true, PostRenderer: refusingPostRenderer{}}); err == nil {
		t.Fatal("refused render upgraded")
	}
	s, err := cs.CoreV1().Secrets("ns").Get(ctx, "r1-mr3-token", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := token.FromSecret(s); err != nil || got != res.Token {
		t.Fatalf("after a refused rotation the Secret holds %v (%v), the release uses %v", got, err, res.Token)
	}
}

// upgrade --install follows helm 3.22's rules: install when there is no release or only its
// uninstalled history (as install --replace, a new token), upgrade otherwise (a failed last
// revision too), keeping the token; --reuse-values means nothing to the install.
func TestUpgradeInstall(t *testing.T) {
	ctx := context.Background()
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	o := Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}, Install: true, ReuseValues: true}
	first, err := Upgrade(ctx, cfg, cs, o)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Installed || first.TokenSource != TokenGenerated || first.Release.Version != 1 || first.Release.Info.Status != release.StatusDeployed {
		t.Fatalf("missing release: installed %v, source %s, revision %d %s", first.Installed, first.TokenSource, first.Release.Version, first.Release.Info.Status)
	}
	assertTokenOutOfRecord(t, cs, first.Release, first.Token)
	second, err := Upgrade(ctx, cfg, cs, o)
	if err != nil {
		t.Fatal(err)
	}
	if second.Installed || second.TokenSource != TokenKept || second.Token != first.Token || second.Release.Version != 2 {
		t.Fatalf("existing release: installed %v, source %s, revision %d, token kept %v", second.Installed, second.TokenSource, second.Release.Version, second.Token == first.Token)
	}
	// A failed last revision is upgraded, as helm does (not installed again).
	second.Release.SetStatus(release.StatusFailed, "made to fail")
	if err := cfg.Releases.Update(second.Release); err != nil {
		t.Fatal(err)
	}
	third, err := Upgrade(ctx, cfg, cs, o)
	if err != nil || third.Installed || third.Release.Version != 3 || third.Token != first.Token {
		t.Fatalf("failed last revision: %+v, %v", third, err)
	}
	// A pending last revision is refused as helm refuses it, and the token Secret is as before.
	third.Release.SetStatus(release.StatusPendingUpgrade, "in progress elsewhere")
	if err := cfg.Releases.Update(third.Release); err != nil {
		t.Fatal(err)
	}
	if _, err := Upgrade(ctx, cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Install: true, RotateToken: true}); err == nil || !strings.Contains(err.Error(), "another operation") {
		t.Fatalf("pending last revision: %v", err)
	}
	if s, _ := cs.CoreV1().Secrets("ns").Get(ctx, "r1-mr3-token", metav1.GetOptions{}); s == nil || string(s.Data[contract.KeyToken]) != first.Token.Key {
		t.Fatal("a refused upgrade --install left another token in the Secret")
	}
	third.Release.SetStatus(release.StatusDeployed, "")
	if err := cfg.Releases.Update(third.Release); err != nil {
		t.Fatal(err)
	}
	// Only the uninstalled history left (helm uninstall --keep-history): installed again as
	// install --replace, with a new token.
	u := action.NewUninstall(cfg)
	u.KeepHistory = true
	if _, err := u.Run("r1"); err != nil {
		t.Fatal(err)
	}
	fourth, err := Upgrade(ctx, cfg, cs, o)
	if err != nil {
		t.Fatal(err)
	}
	if !fourth.Installed || fourth.Release.Version != 4 || fourth.Release.Info.Status != release.StatusDeployed || fourth.TokenSource != TokenGenerated || fourth.Token == first.Token {
		t.Fatalf("uninstalled history: installed %v, revision %d %s, source %s", fourth.Installed, fourth.Release.Version, fourth.Release.Info.Status, fourth.TokenSource)
	}
	// Plain install still refuses an existing name and names the fix.
	if _, err := Install(ctx, cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}}); err == nil || !strings.Contains(err.Error(), "upgrade --install") {
		t.Fatalf("install over an existing release: %v", err)
	}
}

// Without Install an upgrade of a missing release still fails.
func TestUpgradeWithoutInstallNeedsRelease(t *testing.T) {
	_, err := Upgrade(context.Background(), actionConfig(t), fake.NewClientset(), Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t)})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("err %v", err)
	}
}

// --description, --labels and --history-max reach helm's actions.
func TestDescriptionLabelsHistoryMax(t *testing.T) {
	ctx := context.Background()
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	o := Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{},
		Description: "first", Labels: map[string]string{"team": "data", "tier": "batch"}}
	res, err := Install(ctx, cfg, cs, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Info.Description != "first" || res.Release.Labels["team"] != "data" {
		t.Fatalf("install: description %q labels %v", res.Release.Info.Description, res.Release.Labels)
	}
	o.MaxHistory = 2
	for i := 0; i < 3; i++ {
		o.Description = fmt.Sprintf("upgrade %d", i)
		o.Labels = map[string]string{"tier": "null", "run": strconv.Itoa(i)}
		if res, err = Upgrade(ctx, cfg, cs, o); err != nil {
			t.Fatal(err)
		}
	}
	if res.Release.Info.Description != "upgrade 2" || res.Release.Labels["team"] != "data" || res.Release.Labels["run"] != "2" {
		t.Fatalf("upgrade: description %q labels %v", res.Release.Info.Description, res.Release.Labels)
	}
	if _, ok := res.Release.Labels["tier"]; ok {
		t.Fatalf("tier=null did not remove the label: %v", res.Release.Labels)
	}
	h, err := cfg.Releases.History("r1")
	if err != nil || len(h) != 2 {
		t.Fatalf("history-max 2 after 4 revisions kept %d (%v)", len(h), err)
	}
}

// A client-side dry run of install touches neither the cluster nor helm's storage: no
// request at all, nothing recorded, and the rendered release never holds the token.
func TestInstallDryRunClientNeedsNoCluster(t *testing.T) {
	cs := fake.NewClientset()
	cfg := &action.Configuration{Log: func(string, ...any) {}} // no KubeClient, no storage: any use panics
	res, err := Install(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}, DryRun: DryRunClient})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(cs.Actions()); n != 0 {
		t.Fatalf("client dry run made %d requests: %v", n, cs.Actions())
	}
	if res.Release == nil || res.Release.Info.Description != "Dry run complete" || !strings.Contains(res.Release.Manifest, "kind: StatefulSet") {
		t.Fatalf("client dry run rendered %+v", res.Release)
	}
	if strings.Contains(res.Release.Manifest, res.Token.Key) {
		t.Fatal("the manifest holds the token")
	}
}

// A server-side dry run reads the cluster (names in use, timestamps) but writes nothing.
func TestInstallDryRunServerWritesNothing(t *testing.T) {
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	if _, err := Install(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}, DryRun: DryRunServer}); err != nil {
		t.Fatal(err)
	}
	for _, a := range cs.Actions() {
		if v := a.GetVerb(); v != "get" && v != "list" {
			t.Fatalf("server dry run: %s %s", v, a.GetResource().Resource)
		}
	}
	if _, err := cfg.Releases.Last("r1"); !errors.Is(err, driver.ErrReleaseNotFound) {
		t.Fatalf("server dry run recorded a release: %v", err)
	}
}

// An upgrade --rotate-token in a dry run changes nothing, and its warning says so instead of
// announcing restarts.
func TestRotateTokenDryRunWarnsWithoutRestart(t *testing.T) {
	cfg := actionConfig(t)
	cs := fake.NewClientset()
	res, err := Install(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), Values: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	cs.ClearActions()
	var warn strings.Builder
	if _, err := Upgrade(context.Background(), cfg, cs, Options{Release: "r1", Namespace: "ns", Chart: shippedChart(t), RotateToken: true,
		DryRun: DryRunServer, Warn: &warn}); err != nil {
		t.Fatal(err)
	}
	if w := warn.String(); !strings.Contains(w, "(dry run)") || !strings.Contains(w, "nothing was changed") || strings.Contains(w, "restart with the new token") {
		t.Errorf("dry-run rotation warning:\n%s", w)
	}
	for _, a := range cs.Actions() {
		if v := a.GetVerb(); v != "get" && v != "list" {
			t.Fatalf("dry-run rotation: %s %s", v, a.GetResource().Resource)
		}
	}
	if got, _, _ := token.FindForRelease(context.Background(), cs, "ns", "r1"); got != res.Token {
		t.Fatalf("dry-run rotation changed the token: %v, was %v", got, res.Token)
	}
}
