package rollout

import (
	"context"
	"errors"
	"fmt"
	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"io"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

// Options tunes Wait.
type Options struct {
	// Timeout bounds the wait; zero waits as long as ctx allows.
	Timeout time.Duration
	// Clock times the wait and stamps events; nil means the real clock.
	Clock clock.Clock
	// Progress, when set, receives every resource's state at the first look and again each
	// time it changes.
	Progress func(Event)
	// FirstLook says how the current objects are read; the zero value streams them from a real
	// API server and lists them from a client without a REST client (client-go's fake).
	FirstLook FirstLook

	// initialEventsTimeout replaces initialEventsTimeout (tests).
	initialEventsTimeout time.Duration
}

// FirstLook is how Wait reads the release's objects before it watches them.
type FirstLook int

const (
	// FirstLookAuto streams when the client talks to an API server, else lists.
	FirstLookAuto FirstLook = iota
	// FirstLookStream opens one watch per kind that streams the current objects
	// (sendInitialEvents) and keeps it for changes; a kind whose server refuses or does not mark
	// the end of the initial events is listed instead.
	FirstLookStream
	// FirstLookList lists each kind, then watches from the list's resourceVersion.
	FirstLookList
)

// Event is a resource's new state.
type Event struct {
	Time  time.Time
	State ResourceState
	// Initial marks the states of the first look, before any watch.
	Initial bool
	// Done marks the last event of a wait that succeeded; State is then zero.
	Done bool
}

// Wait returns once the target release is ready to take a job (see Target), watching its
// objects rather than polling. Against a real API server the first look is one WATCH per kind
// (five with drivers, three without), issued in parallel, that streams the current objects
// first (sendInitialEvents, Kubernetes' watch-list) and then keeps the same connection for
// changes: five requests in all, whatever the number of drivers. Where the server does not
// stream (or for in-memory fakes, unless opts.FirstLook asks to stream) it LISTs each kind
// instead and then watches from the list's resourceVersion. Either way a watch that ends is resumed with a RetryWatcher (which survives
// API server restarts), and an expired one is listed again.
//
// Errors: *NotReadyError when opts.Timeout passes, *UnknownDriverError when Target.Driver names
// no driver of the release, ctx.Err() when ctx ends, else an API error.
func Wait(ctx context.Context, client kubernetes.Interface, t Target, opts Options) (*Ready, error) {
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	start := clk.Now()
	var timeout <-chan time.Time
	if opts.Timeout > 0 {
		timer := clk.NewTimer(opts.Timeout)
		defer timer.Stop()
		timeout = timer.C()
	}
	kinds := kindsFor(client, t)
	s := newSnapshot()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rvs []string
	var watches []watch.Interface
	var err error
	if opts.FirstLook == FirstLookStream || opts.FirstLook == FirstLookAuto && streams(client) {
		initialTimeout := opts.initialEventsTimeout
		if initialTimeout == 0 {
			initialTimeout = initialEventsTimeout
		}
		rvs, watches, err = firstLookStreaming(ctx, kinds, s, initialTimeout)
	} else {
		rvs, err = firstLook(ctx, kinds, s)
	}
	if err != nil {
		return nil, err
	}
	defer func() {
		cancel() // first: a follower that sees its watch stopped must not open a new one
		for _, w := range watches {
			if w != nil {
				w.Stop()
			}
		}
	}()
	rep := &reporter{clock: clk, progress: opts.Progress, last: map[string]ResourceState{}}
	ev, err := evaluate(t, s)
	if err != nil {
		return nil, err
	}
	rep.report(ev, true)
	if ev.ready != nil {
		ev.ready.At = clk.Now()
		rep.done()
		return ev.ready, nil
	}

	updates := make(chan update)
	for i, k := range kinds {
		var w watch.Interface
		if watches != nil {
			w = watches[i]
		}
		go follow(ctx, k, rvs[i], w, updates)
	}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timeout:
			return nil, notReady(ctx, client, t, clk.Since(start), ev)
		case u := <-updates:
			if u.err != nil {
				return nil, u.err
			}
			u.apply(s)
			if ev, err = evaluate(t, s); err != nil {
				return nil, err
			}
			rep.report(ev, false)
			if ev.ready != nil {
				ev.ready.At = clk.Now()
				ev.ready.Waited = true
				rep.done()
				return ev.ready, nil
			}
		}
	}
}

// kindClient lists and watches one kind of the release's objects.
type kindClient struct {
	kind     string
	selector string
	list     func(context.Context, metav1.ListOptions) ([]runtime.Object, string, error)
	watch    func(context.Context, metav1.ListOptions) (watch.Interface, error)
}

// typedKind adapts one typed client (List returning *XList with Items []X) to kindClient.
func typedKind[T any, PT interface {
	*T
	runtime.Object
}, L interface{ GetResourceVersion() string }](
	kind, selector string,
	list func(context.Context, metav1.ListOptions) (L, error),
	items func(L) []T,
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
) kindClient {
	return kindClient{kind: kind, selector: selector, watch: watchFn,
		list: func(ctx context.Context, o metav1.ListOptions) ([]runtime.Object, string, error) {
			l, err := list(ctx, o)
			if err != nil {
				return nil, "", err
			}
			all := items(l)
			objs := make([]runtime.Object, len(all))
			for i := range all {
				objs[i] = PT(&all[i])
			}
			return objs, l.GetResourceVersion(), nil
		}}
}

func kindsFor(c kubernetes.Interface, t Target) []kindClient {
	ns := t.Namespace
	var kinds []kindClient
	if !t.SkipDrivers {
		sets, pods := c.AppsV1().StatefulSets(ns), c.CoreV1().Pods(ns)
		kinds = append(kinds,
			typedKind(KindStatefulSet, t.selector(contract.ComponentDriver), sets.List,
				func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items }, sets.Watch),
			typedKind(KindPod, t.selector(contract.ComponentDriver), pods.List,
				func(l *corev1.PodList) []corev1.Pod { return l.Items }, pods.Watch))
	}
	secrets, cms, svcs := c.CoreV1().Secrets(ns), c.CoreV1().ConfigMaps(ns), c.CoreV1().Services(ns)
	return append(kinds,
		typedKind(KindSecret, t.selector(contract.ComponentToken), secrets.List,
			func(l *corev1.SecretList) []corev1.Secret { return l.Items }, secrets.Watch),
		typedKind(KindConfigMap, t.selector(contract.ComponentConf), cms.List,
			func(l *corev1.ConfigMapList) []corev1.ConfigMap { return l.Items }, cms.Watch),
		typedKind(KindService, t.selector(contract.ComponentAMService), svcs.List,
			func(l *corev1.ServiceList) []corev1.Service { return l.Items }, svcs.Watch))
}

// firstLook lists every kind in parallel into s and returns each list's resourceVersion.
func firstLook(ctx context.Context, kinds []kindClient, s *snapshot) ([]string, error) {
	objs := make([][]runtime.Object, len(kinds))
	rvs := make([]string, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			objs[i], rvs[i], errs[i] = k.list(ctx, metav1.ListOptions{LabelSelector: k.selector})
			if errs[i] != nil {
				errs[i] = fmt.Errorf("list %ss with labels %s: %w", k.kind, k.selector, errs[i])
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i, k := range kinds {
		s.replace(k.kind, objs[i])
	}
	return rvs, nil
}

// update is one change to the snapshot from a watch, or a fresh list after the watch expired.
type update struct {
	kind    string
	typ     watch.EventType
	obj     runtime.Object
	relist  bool
	objects []runtime.Object
	err     error
}

func (u update) apply(s *snapshot) {
	switch {
	case u.relist:
		s.replace(u.kind, u.objects)
	case u.typ == watch.Deleted:
		s.remove(u.obj)
	case u.typ == watch.Added || u.typ == watch.Modified:
		s.put(u.obj)
	}
}

func (s *snapshot) replace(kind string, objs []runtime.Object) {
	switch kind {
	case KindStatefulSet:
		s.sets = map[string]*appsv1.StatefulSet{}
	case KindPod:
		s.pods = map[string]*corev1.Pod{}
	case KindSecret:
		s.secrets = map[string]*corev1.Secret{}
	case KindConfigMap:
		s.confs = map[string]*corev1.ConfigMap{}
	case KindService:
		s.services = map[string]*corev1.Service{}
	}
	for _, o := range objs {
		s.put(o)
	}
}

func (s *snapshot) put(obj runtime.Object) {
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		s.sets[o.Name] = o
	case *corev1.Pod:
		s.pods[o.Name] = o
	case *corev1.Secret:
		s.secrets[o.Name] = o
	case *corev1.ConfigMap:
		s.confs[o.Name] = o
	case *corev1.Service:
		s.services[o.Name] = o
	}
}

func (s *snapshot) remove(obj runtime.Object) {
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		delete(s.sets, o.Name)
	case *corev1.Pod:
		delete(s.pods, o.Name)
	case *corev1.Secret:
		delete(s.secrets, o.Name)
	case *corev1.ConfigMap:
		delete(s.confs, o.Name)
	case *corev1.Service:
		delete(s.services, o.Name)
	}
}

var errRelist = errors.New("watch expired: list again")

// follow watches one kind from rv and sends each change to out until ctx ends. When the watch
// expires (410 Gone) it lists again and resumes from the new list.
func follow(ctx context.Context, k kindClient, rv string, open watch.Interface, out chan<- update) {
	send := func(u update) bool {
		select {
		case out <- u:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if open != nil {
		// Keep the first look's connection: its changes come first, then a RetryWatcher
		// resumes from the last resourceVersion seen if the server ends it.
		var err error
		if rv, err = forward(ctx, k, open, rv, send); err != nil && !errors.Is(err, errRelist) {
			if ctx.Err() == nil {
				send(update{err: err})
			}
			return
		} else if errors.Is(err, errRelist) {
			rv = ""
		}
		if ctx.Err() != nil {
			return
		}
	}
	backoff := wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 1 << 30, Cap: 5 * time.Second}
	for {
		err := errRelist
		if rv != "" {
			err = watchFrom(ctx, k, rv, send)
		}
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, errRelist) {
			send(update{err: err})
			return
		}
		var objs []runtime.Object
		err = wait.ExponentialBackoffWithContext(ctx, backoff, func(ctx context.Context) (bool, error) {
			var lerr error
			objs, rv, lerr = k.list(ctx, metav1.ListOptions{LabelSelector: k.selector})
			// An API server that is restarting answers with errors for a while: retry those.
			return lerr == nil, nil
		})
		if err != nil {
			return // ctx ended
		}
		if !send(update{kind: k.kind, relist: true, objects: objs}) {
			return
		}
	}
}

func watchFrom(ctx context.Context, k kindClient, rv string, send func(update) bool) error {
	lw := &cache.ListWatch{WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
		o.LabelSelector = k.selector
		w, err := k.watch(ctx, o)
		if err != nil && ctx.Err() != nil {
			// The wait is over while this watch was being opened. io.EOF makes the RetryWatcher
			// stop quietly instead of logging "Watch failed" to the user's terminal.
			return nil, io.EOF
		}
		return w, err
	}}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, lw)
	if err != nil {
		return fmt.Errorf("watch %ss with labels %s: %w", k.kind, k.selector, err)
	}
	defer rw.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-rw.ResultChan():
			if !ok {
				return errRelist
			}
			switch e.Type {
			case watch.Bookmark:
				continue
			case watch.Error:
				err := apierrors.FromObject(e.Object)
				if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
					return errRelist
				}
				return fmt.Errorf("watch %ss with labels %s: %w", k.kind, k.selector, err)
			default:
				if !send(update{kind: k.kind, typ: e.Type, obj: e.Object}) {
					return nil
				}
			}
		}
	}
}

// reporter turns evaluations into progress events: each resource's state once, then each change.
type reporter struct {
	clock    clock.PassiveClock
	progress func(Event)
	last     map[string]ResourceState
}

func (r *reporter) report(ev evaluation, initial bool) {
	if r.progress == nil {
		return
	}
	now := r.clock.Now()
	for _, st := range ev.states {
		if prev, ok := r.last[st.Key()]; ok && prev == st {
			continue
		}
		r.last[st.Key()] = st
		r.progress(Event{Time: now, State: st, Initial: initial})
	}
}

func (r *reporter) done() {
	if r.progress != nil {
		r.progress(Event{Time: r.clock.Now(), Done: true})
	}
}

// streams reports whether client talks to a real API server, which can stream a watch's
// initial state; client-go's in-memory fake cannot (its REST client is a nil
// *rest.RESTClient).
func streams(client kubernetes.Interface) bool {
	switch rc := client.CoreV1().RESTClient().(type) {
	case nil:
		return false
	case *rest.RESTClient:
		return rc != nil
	default:
		return true
	}
}

// initialEventsTimeout bounds the wait for the "initial events end" bookmark: a server that
// ignores sendInitialEvents never sends it, and the first look then falls back to a LIST.
const initialEventsTimeout = 3 * time.Second

// firstLookStreaming opens one watch per kind, in parallel, that streams the current objects
// (sendInitialEvents) up to a bookmark marking their end; it fills s and returns the watches,
// still open, with the bookmark's resourceVersion. A kind whose server refuses or does not
// stream is LISTed instead (its watch is nil).
func firstLookStreaming(ctx context.Context, kinds []kindClient, s *snapshot, initialTimeout time.Duration) ([]string, []watch.Interface, error) {
	objs := make([][]runtime.Object, len(kinds))
	rvs := make([]string, len(kinds))
	ws := make([]watch.Interface, len(kinds))
	errs := make([]error, len(kinds))
	var wg sync.WaitGroup
	for i, k := range kinds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			objs[i], rvs[i], ws[i] = streamInitial(ctx, k, initialTimeout)
			if ws[i] == nil {
				objs[i], rvs[i], errs[i] = k.list(ctx, metav1.ListOptions{LabelSelector: k.selector})
				if errs[i] != nil {
					errs[i] = fmt.Errorf("list %ss with labels %s: %w", k.kind, k.selector, errs[i])
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		for _, w := range ws {
			if w != nil {
				w.Stop()
			}
		}
		return nil, nil, err
	}
	for i, k := range kinds {
		s.replace(k.kind, objs[i])
	}
	return rvs, ws, nil
}

// streamInitial opens a watch-list for k and reads its initial objects; w is nil when the
// server refused or did not mark the end of the initial events within initialTimeout.
func streamInitial(ctx context.Context, k kindClient, initialTimeout time.Duration) (objs []runtime.Object, rv string, w watch.Interface) {
	w, err := k.watch(ctx, metav1.ListOptions{
		LabelSelector:        k.selector,
		SendInitialEvents:    ptr.To(true),
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		AllowWatchBookmarks:  true,
	})
	if err != nil {
		return nil, "", nil
	}
	timer := time.NewTimer(initialTimeout)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			w.Stop()
			return nil, "", nil
		case <-timer.C:
			w.Stop()
			return nil, "", nil
		case e, ok := <-w.ResultChan():
			if !ok || e.Type == watch.Error {
				w.Stop()
				return nil, "", nil
			}
			m, merr := meta.Accessor(e.Object)
			if merr != nil {
				continue
			}
			if e.Type == watch.Bookmark {
				if m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true" {
					return objs, m.GetResourceVersion(), w
				}
				continue
			}
			objs = append(objs, e.Object)
		}
	}
}

// forward sends the changes of an open watch until it ends, and returns the last
// resourceVersion seen (errRelist when the server says it expired).
func forward(ctx context.Context, k kindClient, w watch.Interface, rv string, send func(update) bool) (string, error) {
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return rv, nil
		case e, ok := <-w.ResultChan():
			if !ok {
				return rv, nil
			}
			if m, err := meta.Accessor(e.Object); err == nil && m.GetResourceVersion() != "" {
				rv = m.GetResourceVersion()
			}
			switch e.Type {
			case watch.Bookmark:
			case watch.Error:
				err := apierrors.FromObject(e.Object)
				if apierrors.IsGone(err) || apierrors.IsResourceExpired(err) {
					return rv, errRelist
				}
				return rv, fmt.Errorf("watch %ss with labels %s: %w", k.kind, k.selector, err)
			default:
				if !send(update{kind: k.kind, typ: e.Type, obj: e.Object}) {
					return rv, nil
				}
			}
		}
	}
}
