package rollout

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
)

// NotReadyError says which resources kept the release from being ready, and why.
type NotReadyError struct {
	Release string
	Waited  time.Duration
	// Blocking lists the resources that were not ready, the first being the one to look at.
	Blocking []ResourceState
	// Events holds recent events of the first blocking resource (or of the StatefulSet that
	// has not created its Pod), oldest first, as "Type Reason: message".
	Events []string
}

func (e *NotReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "release %q not ready after %s", e.Release, e.Waited.Round(100*time.Millisecond))
	if len(e.Blocking) == 0 {
		return b.String()
	}
	first := e.Blocking[0]
	fmt.Fprintf(&b, ": %s is not ready: %s", first.Key(), first.Reason)
	if first.Message != "" {
		fmt.Fprintf(&b, " (%s)", first.Message)
	}
	if len(e.Events) > 0 {
		fmt.Fprintf(&b, "\n  recent events:")
		for _, ev := range e.Events {
			fmt.Fprintf(&b, "\n    %s", ev)
		}
	}
	for _, st := range e.Blocking[1:] {
		fmt.Fprintf(&b, "\n  also not ready: %s", st)
	}
	return b.String()
}

// notReady builds the timeout error from the last evaluation, adding the blocking resource's
// events (one extra API request, made only on this failure path).
func notReady(ctx context.Context, client kubernetes.Interface, t Target, waited time.Duration, ev evaluation) *NotReadyError {
	e := &NotReadyError{Release: t.Release, Waited: waited}
	for _, st := range ev.states {
		if !st.Ready {
			e.Blocking = append(e.Blocking, st)
		}
	}
	if len(e.Blocking) == 0 {
		return e
	}
	first := e.Blocking[0]
	kind, name := "", first.Name
	switch {
	case first.Kind == KindPod && first.Reason == "NotCreated":
		kind, name = "StatefulSet", strings.TrimSuffix(first.Name, "-0")
	case first.Kind == KindPod:
		kind = "Pod"
	case first.Kind == KindStatefulSet && first.Reason != "NotFound":
		kind = "StatefulSet"
	}
	if kind == "" {
		return e
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name}.AsSelector().String()
	list, err := client.CoreV1().Events(t.Namespace).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil {
		e.Events = []string{fmt.Sprintf("(could not list events of %s %s: %v)", kind, name, err)}
		return e
	}
	e.Events = formatEvents(list.Items, 5)
	return e
}

func formatEvents(items []corev1.Event, max int) []string {
	sort.SliceStable(items, func(i, j int) bool { return eventTime(items[i]).Before(eventTime(items[j])) })
	if len(items) > max {
		items = items[len(items)-max:]
	}
	out := make([]string, 0, len(items))
	for _, ev := range items {
		line := fmt.Sprintf("%s %s: %s", ev.Type, ev.Reason, strings.TrimSpace(ev.Message))
		if ev.Count > 1 {
			line += fmt.Sprintf(" (x%d)", ev.Count)
		}
		out = append(out, line)
	}
	return out
}

func eventTime(ev corev1.Event) time.Time {
	switch {
	case !ev.LastTimestamp.IsZero():
		return ev.LastTimestamp.Time
	case !ev.EventTime.IsZero():
		return ev.EventTime.Time
	}
	return ev.CreationTimestamp.Time
}
