// Package token owns CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP, the pair that
// lets every Spark driver of a release share one DAGAppMaster: generated once, found again in
// the release's token Secret, passed to the chart as values, and never rotated silently.
package token

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/google/uuid"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Keys of the token Secret and of the driver environment.
const (
	KeyToken     = "CLIENT_TO_AM_TOKEN_KEY"
	KeyTimestamp = "MR3_APPLICATION_ID_TIMESTAMP"
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
		return fmt.Errorf("%s: %s must be a non-blank string without spaces: pin a valid one or leave it empty to keep the release's", where, KeyToken)
	}
	if t.Timestamp <= 0 {
		return fmt.Errorf("%s: %s must be a positive integer, got %d", where, KeyTimestamp, t.Timestamp)
	}
	return nil
}

// SecretName is the token Secret of a release whose fullname is fullname (docs/DESIGN.md).
func SecretName(fullname string) string { return fullname + "-token" }

// FromSecret reads a token Secret's data.
func FromSecret(s *corev1.Secret) (Token, error) {
	key := string(s.Data[KeyToken])
	if key == "" {
		key = s.StringData[KeyToken]
	}
	tsRaw := string(s.Data[KeyTimestamp])
	if tsRaw == "" {
		tsRaw = s.StringData[KeyTimestamp]
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(tsRaw), 10, 64)
	if err != nil {
		return Token{}, fmt.Errorf("Secret %s/%s: %s is not an integer: fix or delete the Secret, or pin the token with --set token.applicationIdTimestamp", s.Namespace, s.Name, KeyTimestamp)
	}
	t := Token{Key: key, Timestamp: ts}
	return t, t.Validate(fmt.Sprintf("Secret %s/%s", s.Namespace, s.Name))
}

// Find returns the token of a release from its Secret. found is false when the Secret does
// not exist.
func Find(ctx context.Context, client kubernetes.Interface, namespace, fullname string) (t Token, found bool, err error) {
	s, err := client.CoreV1().Secrets(namespace).Get(ctx, SecretName(fullname), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("read token Secret %s/%s: %w", namespace, SecretName(fullname), err)
	}
	t, err = FromSecret(s)
	return t, err == nil, err
}

// FindForRelease finds a release's token Secret by its labels (docs/DESIGN.md), so it works
// whatever fullnameOverride the release uses. found is false when there is none.
func FindForRelease(ctx context.Context, client kubernetes.Interface, namespace, release string) (t Token, found bool, err error) {
	list, err := client.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: "app.kubernetes.io/instance=" + release + ",app.kubernetes.io/component=token",
	})
	if err != nil {
		return Token{}, false, fmt.Errorf("find the token Secret of release %q in namespace %q: %w", release, namespace, err)
	}
	if len(list.Items) == 0 {
		return Token{}, false, nil
	}
	t, err = FromSecret(&list.Items[0])
	return t, err == nil, err
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
