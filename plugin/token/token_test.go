package token

import (
	"bytes"
	"context"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestGenerateIsRandomPositiveAndDeterministicPerSource(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		tok, err := Generate(nil)
		if err != nil {
			t.Fatal(err)
		}
		if tok.Timestamp < MinTimestamp || tok.Timestamp > MaxTimestamp {
			t.Fatalf("timestamp %d outside [%d,%d]", tok.Timestamp, MinTimestamp, MaxTimestamp)
		}
		if err := tok.Validate("test"); err != nil {
			t.Fatal(err)
		}
		if seen[tok.Key] {
			t.Fatalf("duplicate key after %d draws", len(seen))
		}
		seen[tok.Key] = true
	}
	a, _ := Generate(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	b, _ := Generate(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if a != b {
		t.Fatalf("same random source gave %v and %v", a, b)
	}
}

func TestStringNeverShowsTheKey(t *testing.T) {
	tok := Token{Key: "e07c35ca-1a2c-4d97-9037-9fb84de5f7c4", Timestamp: 29526}
	if s := tok.String(); strings.Contains(s, tok.Key) || !strings.Contains(s, "29526") {
		t.Fatalf("String() = %q", s)
	}
	if tok.ApplicationID() != "application_29526_0000" {
		t.Fatal(tok.ApplicationID())
	}
}

func TestFromValues(t *testing.T) {
	cases := []struct {
		name    string
		vals    map[string]any
		pinned  bool
		wantErr string
	}{
		{"absent", map[string]any{}, false, ""},
		{"empty strings", map[string]any{"token": map[string]any{"clientToAMTokenKey": "", "applicationIdTimestamp": ""}}, false, ""},
		{"pinned string ts", map[string]any{"token": map[string]any{"clientToAMTokenKey": "k", "applicationIdTimestamp": "42"}}, true, ""},
		{"pinned float ts", map[string]any{"token": map[string]any{"clientToAMTokenKey": "k", "applicationIdTimestamp": float64(42)}}, true, ""},
		{"half pinned", map[string]any{"token": map[string]any{"clientToAMTokenKey": "k"}}, false, "pin both"},
		{"bad ts", map[string]any{"token": map[string]any{"clientToAMTokenKey": "k", "applicationIdTimestamp": "x1"}}, false, "token.applicationIdTimestamp"},
		{"negative ts", map[string]any{"token": map[string]any{"clientToAMTokenKey": "k", "applicationIdTimestamp": "-3"}}, true, "positive"},
		{"key with space", map[string]any{"token": map[string]any{"clientToAMTokenKey": "a b", "applicationIdTimestamp": "3"}}, true, "without spaces"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, pinned, err := FromValues(c.vals)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || pinned != c.pinned {
				t.Fatalf("pinned=%v err=%v, want pinned=%v", pinned, err, c.pinned)
			}
		})
	}
}

func TestValuesRoundTrip(t *testing.T) {
	tok := Token{Key: "k-1", Timestamp: 1234}
	got, pinned, err := FromValues(tok.Values())
	if err != nil || !pinned || got != tok {
		t.Fatalf("got %v %v %v", got, pinned, err)
	}
}

func TestFind(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "r1-token", Namespace: "ns"},
		Data:       map[string][]byte{contract.KeyToken: []byte("abc"), contract.KeyTimestamp: []byte("777")},
	}, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bad-token", Namespace: "ns"},
		Data:       map[string][]byte{contract.KeyToken: []byte("abc"), contract.KeyTimestamp: []byte("soon")},
	})
	tok, found, err := Find(ctx, cs, "ns", "r1")
	if err != nil || !found || tok != (Token{Key: "abc", Timestamp: 777}) {
		t.Fatalf("Find r1: %v %v %v", tok, found, err)
	}
	if _, found, err := Find(ctx, cs, "ns", "none"); found || err != nil {
		t.Fatalf("Find none: found=%v err=%v", found, err)
	}
	if _, _, err := Find(ctx, cs, "ns", "bad"); err == nil || !strings.Contains(err.Error(), "Secret ns/bad-token") {
		t.Fatalf("Find bad: %v", err)
	}
}

func TestFindForReleaseUsesLabels(t *testing.T) {
	cs := fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "custom-name", Namespace: "ns", Labels: map[string]string{
			"app.kubernetes.io/instance": "r1", "app.kubernetes.io/component": "token"}},
		Data: map[string][]byte{contract.KeyToken: []byte("abc"), contract.KeyTimestamp: []byte("777")},
	})
	tok, found, err := FindForRelease(context.Background(), cs, "ns", "r1")
	if err != nil || !found || tok.Timestamp != 777 {
		t.Fatalf("%v %v %v", tok, found, err)
	}
	if _, found, _ := FindForRelease(context.Background(), cs, "ns", "r2"); found {
		t.Fatal("found another release's token")
	}
}

func TestGenerateAvoiding(t *testing.T) {
	// A source that repeats two draws: the first timestamp is taken, the second is free.
	first, _ := Generate(bytes.NewReader(bytes.Repeat([]byte{1}, 24)))
	src := bytes.NewReader(append(bytes.Repeat([]byte{1}, 24), bytes.Repeat([]byte{2}, 24)...))
	got, err := GenerateAvoiding(src, func(ts int64) bool { return ts == first.Timestamp })
	if err != nil || got.Timestamp == first.Timestamp {
		t.Fatalf("got %v err %v, first draw %d was in use", got, err, first.Timestamp)
	}
	_, err = GenerateAvoiding(nil, func(int64) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "--set token.applicationIdTimestamp") {
		t.Fatalf("all taken: err %v", err)
	}
}

// The checksum is the chart's (sha256 hex of "<key>\n<timestamp>"), so a release moving from the
// chart's F-token to the plugin's Secret keeps its drivers' annotation.
func TestChecksumMatchesChart(t *testing.T) {
	if got := (Token{Key: "k", Timestamp: 5}).Checksum(); got != "69c5cde8d7b8cc976b5ede1afcc88d933f2ef760841c5027c4e65b5719ca16b7" {
		t.Fatalf("checksum %s", got)
	}
	v := Token{Key: "secret-key", Timestamp: 5}.RefValues("r-mr3-token")
	if tok := v["token"].(map[string]any); tok["existingSecret"] != "r-mr3-token" || tok["clientToAMTokenKey"] != "" {
		t.Fatalf("ref values %v", v)
	}
}

func TestStoreAndDelete(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset()
	a, b := Token{Key: "a", Timestamp: 1}, Token{Key: "b", Timestamp: 2}
	if err := Store(ctx, cs, "ns", "r", "f", a); err != nil {
		t.Fatal(err)
	}
	if err := Store(ctx, cs, "ns", "r", "f", b); err != nil {
		t.Fatal(err)
	}
	if got, found, err := FindForRelease(ctx, cs, "ns", "r"); err != nil || !found || got != b {
		t.Fatalf("after update: %v %v %v", got, found, err)
	}
	// Another release's Secret of that name is neither overwritten nor deleted.
	if err := Store(ctx, cs, "ns", "other", "f", a); err == nil || !strings.Contains(err.Error(), "not made by helm sparkmr3") {
		t.Fatalf("foreign store: %v", err)
	}
	if err := Delete(ctx, cs, "ns", "other", "f"); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets("ns").Get(ctx, "f-mr3-token", metav1.GetOptions{}); err != nil {
		t.Fatal("another release's delete removed it")
	}
	if err := Delete(ctx, cs, "ns", "r", "f"); err != nil {
		t.Fatal(err)
	}
	if err := Delete(ctx, cs, "ns", "r", "f"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

// With both the chart's F-token and the plugin's Secret (a migration, or helm rollback to a
// revision of the older plugin), the one the drivers name wins, else the plugin's.
func TestFindForReleasePrefersTheUsedSecret(t *testing.T) {
	ctx := context.Background()
	chartSecret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "r-token", Namespace: "ns", Labels: map[string]string{
		"app.kubernetes.io/instance": "r", "app.kubernetes.io/component": "token"}},
		Data: map[string][]byte{contract.KeyToken: []byte("old"), contract.KeyTimestamp: []byte("1")}}
	plugin := PluginSecret("ns", "r", "r", Token{Key: "new", Timestamp: 2})
	cs := fake.NewClientset(chartSecret, plugin)
	if got, _, _ := FindForRelease(ctx, cs, "ns", "r"); got.Key != "new" {
		t.Fatalf("no driver: got %v, want the plugin's", got)
	}
	sts := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "r-d", Namespace: "ns", Labels: map[string]string{
		"app.kubernetes.io/instance": "r", "app.kubernetes.io/component": "driver"}}}
	sts.Spec.Template.Spec.Containers = []corev1.Container{{Name: "d", Env: []corev1.EnvVar{{Name: contract.KeyToken,
		ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "r-token"}, Key: contract.KeyToken}}}}}}
	cs = fake.NewClientset(chartSecret, plugin, sts)
	if got, _, _ := FindForRelease(ctx, cs, "ns", "r"); got.Key != "old" {
		t.Fatalf("drivers read r-token: got %v", got)
	}
}
