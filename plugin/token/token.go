// Package token owns CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP, the pair that
// lets every Spark driver of a release share one DAGAppMaster: generated once, found again in
// the release's token Secret (the plugin keeps its own, F-mr3-token, out of Helm's record), and
// never rotated silently.
package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Timestamps are drawn from [MinTimestamp, MaxTimestamp]: positive (MR3's own setup script
// can yield 0 from bash $RANDOM), and small enough for MR3's application_<ts>_0000 IDs.
const (
	MinTimestamp = 1000
	MaxTimestamp = 999999999
)

// Token is the shared DAGAppMaster identity of a release.
type Token struct {
	Key       string
	Timestamp int64
}

// String never shows the key, so a Token can be logged or wrapped in errors safely.
func (t Token) String() string {
	return fmt.Sprintf("token(timestamp=%d, key=%s)", t.Timestamp, Mask(t.Key))
}

// Mask hides a secret for display, keeping only its length class.
func Mask(s string) string {
	if s == "" {
		return "<empty>"
	}
	return "********"
}

// ApplicationID is the DAGAppMaster's application ID for this token.
func (t Token) ApplicationID() string { return fmt.Sprintf("application_%d_0000", t.Timestamp) }

// Generate makes a new token from rnd (crypto/rand when nil): a random UUID and a random
// timestamp in [MinTimestamp, MaxTimestamp].
func Generate(rnd io.Reader) (Token, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	id, err := uuid.NewRandomFromReader(rnd)
	if err != nil {
		return Token{}, fmt.Errorf("generate CLIENT_TO_AM_TOKEN_KEY: %w", err)
	}
	var b [8]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return Token{}, fmt.Errorf("generate MR3_APPLICATION_ID_TIMESTAMP: %w", err)
	}
	ts := MinTimestamp + int64(binary.BigEndian.Uint64(b[:])%uint64(MaxTimestamp-MinTimestamp+1))
	return Token{Key: id.String(), Timestamp: ts}, nil
}

// maxDraws bounds GenerateAvoiding: with at most a few hundred timestamps in use out of about
// 10^9, one draw almost always suffices.
const maxDraws = 64

// GenerateAvoiding is Generate, drawing again while inUse reports the timestamp as taken (by
// another release or MR3 application in the namespace, or by a DAGAppMaster that still runs).
func GenerateAvoiding(rnd io.Reader, inUse func(int64) bool) (Token, error) {
	for range maxDraws {
		t, err := Generate(rnd)
		if err != nil || inUse == nil || !inUse(t.Timestamp) {
			return t, err
		}
	}
	return Token{}, fmt.Errorf("generate MR3_APPLICATION_ID_TIMESTAMP: %d random draws were all in use in the namespace; pin one with --set token.applicationIdTimestamp", maxDraws)
}

// Validate checks a token's shape; where names the source for the message.
func (t Token) Validate(where string) error {
	if strings.TrimSpace(t.Key) == "" || strings.ContainsAny(t.Key, " \t\r\n") {
		return fmt.Errorf("%s: %s must be a non-blank string without spaces: pin a valid one or leave it empty to keep the release's", where, contract.KeyToken)
	}
	if t.Timestamp <= 0 {
		return fmt.Errorf("%s: %s must be a positive integer, got %d", where, contract.KeyTimestamp, t.Timestamp)
	}
	return nil
}

// Checksum is the value of the driver Pods' checksum/token annotation for t: the hex sha256 of
// "<key>\n<timestamp>", as the chart computes it for a token it resolves itself, so moving a
// release between the two keeps the annotation.
func (t Token) Checksum() string {
	sum := sha256.Sum256([]byte(t.Key + "\n" + strconv.FormatInt(t.Timestamp, 10)))
	return hex.EncodeToString(sum[:])
}

// RefValues are the chart values that point the release at the token Secret name holding t:
// its name and t's checksum, never the token. The pinned keys are set empty, so values reused
// from a revision of the older plugin (which pinned the token) do not contradict them.
func (t Token) RefValues(name string) map[string]any {
	return map[string]any{"token": map[string]any{
		"existingSecret":         name,
		"checksum":               t.Checksum(),
		"clientToAMTokenKey":     "",
		"applicationIdTimestamp": "",
	}}
}

// PluginSecret is the plugin's token Secret for release (labels as the chart's, plus contract.ManagedByPlugin).
func PluginSecret(namespace, release, fullname string, t Token) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: contract.PluginTokenName(fullname), Namespace: namespace,
			Labels: map[string]string{
				contract.LabelName:      contract.ChartName,
				contract.LabelInstance:  release,
				contract.LabelComponent: contract.ComponentToken,
				contract.LabelManagedBy: contract.ManagedByPlugin,
			},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{contract.KeyToken: []byte(t.Key), contract.KeyTimestamp: []byte(strconv.FormatInt(t.Timestamp, 10))},
	}
}

// Store creates the plugin's token Secret for release, or updates it to hold t. It refuses a
// Secret of that name the plugin did not make (no contract.ManagedByPlugin label, or another release's).
func Store(ctx context.Context, client kubernetes.Interface, namespace, release, fullname string, t Token) error {
	want := PluginSecret(namespace, release, fullname, t)
	secrets := client.CoreV1().Secrets(namespace)
	cur, err := secrets.Get(ctx, want.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if _, err = secrets.Create(ctx, want, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create token Secret %s/%s: %w", namespace, want.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read token Secret %s/%s: %w", namespace, want.Name, err)
	}
	if cur.Labels[contract.LabelManagedBy] != contract.ManagedByPlugin || cur.Labels[contract.LabelInstance] != release {
		return fmt.Errorf("Secret %s/%s exists but was not made by helm sparkmr3 for release %q (labels %s=%q, %s=%q): rename or delete it, or use another release name or fullnameOverride", namespace, want.Name, release, contract.LabelManagedBy, cur.Labels[contract.LabelManagedBy], contract.LabelInstance, cur.Labels[contract.LabelInstance])
	}
	if old, err := FromSecret(cur); err == nil && old.Timestamp != t.Timestamp {
		// Remembered for status and teardown: the DAGAppMaster of an earlier token is still the
		// release's (Helm's record holds only the checksum now).
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		cur.Annotations[contract.AnnotationPastTimestamps] = appendPast(cur.Annotations[contract.AnnotationPastTimestamps], old.Timestamp)
	}
	cur.Data, cur.StringData, cur.Type = want.Data, nil, want.Type
	if cur.Labels == nil {
		cur.Labels = map[string]string{}
	}
	for k, v := range want.Labels {
		cur.Labels[k] = v
	}
	if _, err = secrets.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("update token Secret %s/%s: %w", namespace, want.Name, err)
	}
	return nil
}

// contract.AnnotationPastTimestamps on the plugin's token Secret lists the timestamps it held
// before, comma-separated, newest last (at most maxPast): mr3runtime ties their DAGAppMasters to
// the release.
const maxPast = 32

func appendPast(list string, ts int64) string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" && s != strconv.FormatInt(ts, 10) {
			out = append(out, s)
		}
	}
	out = append(out, strconv.FormatInt(ts, 10))
	if len(out) > maxPast {
		out = out[len(out)-maxPast:]
	}
	return strings.Join(out, ",")
}

// Delete removes the plugin's token Secret of release (only one it made); gone is fine.
func Delete(ctx context.Context, client kubernetes.Interface, namespace, release, fullname string) error {
	name := contract.PluginTokenName(fullname)
	cur, err := client.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read token Secret %s/%s: %w", namespace, name, err)
	}
	if cur.Labels[contract.LabelManagedBy] != contract.ManagedByPlugin || cur.Labels[contract.LabelInstance] != release {
		return nil
	}
	err = client.CoreV1().Secrets(namespace).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete token Secret %s/%s: %w", namespace, name, err)
	}
	return nil
}

// FromSecret reads a token Secret's data.
func FromSecret(s *corev1.Secret) (Token, error) {
	key := string(s.Data[contract.KeyToken])
	if key == "" {
		key = s.StringData[contract.KeyToken]
	}
	tsRaw := string(s.Data[contract.KeyTimestamp])
	if tsRaw == "" {
		tsRaw = s.StringData[contract.KeyTimestamp]
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(tsRaw), 10, 64)
	if err != nil {
		return Token{}, fmt.Errorf("Secret %s/%s: %s is not an integer: fix or delete the Secret, or pin the token with --set token.applicationIdTimestamp", s.Namespace, s.Name, contract.KeyTimestamp)
	}
	t := Token{Key: key, Timestamp: ts}
	return t, t.Validate(fmt.Sprintf("Secret %s/%s", s.Namespace, s.Name))
}

// Find returns the token of a release from its Secret. found is false when the Secret does
// not exist.
func Find(ctx context.Context, client kubernetes.Interface, namespace, fullname string) (t Token, found bool, err error) {
	s, err := client.CoreV1().Secrets(namespace).Get(ctx, contract.TokenName(fullname), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("read token Secret %s/%s: %w", namespace, contract.TokenName(fullname), err)
	}
	t, err = FromSecret(s)
	return t, err == nil, err
}

// FindForRelease finds the token Secret a release uses, by its labels (docs/DESIGN.md), so it
// works whatever fullnameOverride the release uses. When both the plugin's Secret
// (F-mr3-token, labelled contract.ManagedByPlugin) and the chart's F-token exist (a release being migrated,
// or rolled back to a revision of the older plugin), the one the driver StatefulSets name
// wins, else the plugin's. found is false when there is none.
func FindForRelease(ctx context.Context, client kubernetes.Interface, namespace, release string) (t Token, found bool, err error) {
	s, err := SecretForRelease(ctx, client, namespace, release)
	if err != nil || s == nil {
		return Token{}, false, err
	}
	t, err = FromSecret(s)
	return t, err == nil, err
}

// SecretForRelease is the token Secret of FindForRelease; nil when there is none.
func SecretForRelease(ctx context.Context, client kubernetes.Interface, namespace, release string) (*corev1.Secret, error) {
	list, err := client.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: contract.LabelInstance + "=" + release + "," + contract.LabelComponent + "=" + contract.ComponentToken,
	})
	if err != nil {
		return nil, fmt.Errorf("find the token Secret of release %q in namespace %q: %w", release, namespace, err)
	}
	switch len(list.Items) {
	case 0:
		return nil, nil
	case 1:
		return &list.Items[0], nil
	}
	used := map[string]bool{}
	if sts, err := client.AppsV1().StatefulSets(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: contract.LabelInstance + "=" + release + "," + contract.LabelComponent + "=" + contract.ComponentDriver,
	}); err == nil {
		for _, st := range sts.Items {
			for _, c := range st.Spec.Template.Spec.Containers {
				for _, e := range c.Env {
					if e.Name == contract.KeyToken && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
						used[e.ValueFrom.SecretKeyRef.Name] = true
					}
				}
			}
		}
	}
	var best *corev1.Secret
	rank := func(s *corev1.Secret) int {
		r := 0
		if used[s.Name] {
			r += 2
		}
		if s.Labels[contract.LabelManagedBy] == contract.ManagedByPlugin {
			r++
		}
		return r
	}
	for i := range list.Items {
		if s := &list.Items[i]; best == nil || rank(s) > rank(best) {
			best = s
		}
	}
	return best, nil
}

// Values are the chart values that pin t.
func (t Token) Values() map[string]any {
	return map[string]any{"token": map[string]any{
		"clientToAMTokenKey":     t.Key,
		"applicationIdTimestamp": strconv.FormatInt(t.Timestamp, 10),
	}}
}

// FromValues returns the token pinned in chart values, if any. pinned is false when neither
// key is set; a half-pinned token is an error.
func FromValues(vals map[string]any) (t Token, pinned bool, err error) {
	tok, _ := vals["token"].(map[string]any)
	if tok == nil {
		return Token{}, false, nil
	}
	key, _ := tok["clientToAMTokenKey"].(string)
	var ts int64
	switch v := tok["applicationIdTimestamp"].(type) {
	case string:
		if v != "" {
			if ts, err = strconv.ParseInt(v, 10, 64); err != nil {
				return Token{}, false, fmt.Errorf("values token.applicationIdTimestamp %q is not an integer: give a positive integer or leave it empty", v)
			}
		}
	case int:
		ts = int64(v)
	case int64:
		ts = v
	case float64:
		ts = int64(v)
	case nil:
	default:
		return Token{}, false, fmt.Errorf("values token.applicationIdTimestamp has type %T: give a positive integer", v)
	}
	if key == "" && ts == 0 {
		return Token{}, false, nil
	}
	if key == "" || ts == 0 {
		return Token{}, false, fmt.Errorf("values pin only one of token.clientToAMTokenKey and token.applicationIdTimestamp: pin both (helm sparkmr3 values RELEASE writes them) or neither")
	}
	t = Token{Key: key, Timestamp: ts}
	return t, true, t.Validate("values token.*")
}
