package teardown

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
)

// listWatcher is what every typed client (Pods(ns), Deployments(ns), ClusterRoles(), …) has.
type listWatcher[L runtime.Object] interface {
	List(context.Context, metav1.ListOptions) (L, error)
	Watch(context.Context, metav1.ListOptions) (watch.Interface, error)
}

// lw adapts a typed client to a ListerWatcher restricted by a label selector; clientset tells
// the reflector whether the client supports streaming lists (fake clientsets do not).
func lw[L runtime.Object](clientset any, c listWatcher[L], selector string) cache.ListerWatcher {
	return cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.LabelSelector = selector
			return c.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.LabelSelector = selector
			return c.Watch(ctx, o)
		},
	}, clientset)
}

// gone is one kind of object to wait for: a list-watch, an example object of the kind, and
// which listed objects still count.
type gone struct {
	what  string
	lw    cache.ListerWatcher
	obj   runtime.Object
	match func(metav1.Object) bool
}

// byName matches objects whose name is in names.
func byName(names []string) func(metav1.Object) bool {
	set := map[string]bool{}
	for _, n := range names {
		set[n] = true
	}
	return func(o metav1.Object) bool { return set[o.GetName()] }
}

func matchAll(metav1.Object) bool { return true }

// waitGone blocks until, for every g, no object listed by g.lw satisfies g.match. It lists
// once and then follows watch events (re-listing if the watch expires); it never polls.
func waitGone(ctx context.Context, gs ...gone) error {
	var wg sync.WaitGroup
	errs := make([]error, len(gs))
	for i, g := range gs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = waitGoneOne(ctx, g)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func waitGoneOne(ctx context.Context, g gone) error {
	var (
		mu    sync.Mutex
		store cache.Store
		left  []string
	)
	remaining := func() bool {
		mu.Lock()
		defer mu.Unlock()
		left = left[:0]
		for _, item := range store.List() {
			m, err := meta.Accessor(item)
			if err == nil && g.match(m) {
				left = append(left, m.GetName())
			}
		}
		return len(left) > 0
	}
	pre := func(s cache.Store) (bool, error) {
		mu.Lock()
		store = s
		mu.Unlock()
		return !remaining(), nil
	}
	cond := func(watch.Event) (bool, error) { return !remaining(), nil }
	if _, err := watchtools.UntilWithSync(ctx, g.lw, g.obj, pre, cond); err != nil {
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, watchtools.ErrWatchClosed) || ctx.Err() != nil {
			return fmt.Errorf("%s still present (%v): %w", g.what, left, context.Cause(ctx))
		}
		return fmt.Errorf("wait for %s to go: %w", g.what, err)
	}
	return nil
}
