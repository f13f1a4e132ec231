package teardown

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/kube"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/resource"
)

// uninstallClient wraps helm's KubeClient for action.Uninstall:
//   - with --keep-data it drops the PersistentVolumeClaims and PersistentVolumes from what
//     uninstall deletes and waits for. (helm.sh/resource-policy=keep would only work if the
//     chart had rendered it: action.Uninstall reads the annotation from the stored manifest,
//     not from the live object, so annotating the live PVC would not keep it.)
//   - WaitForDelete follows watch events instead of helm's 2-second Get poll.
type uninstallClient struct {
	kube.Interface
	keepData bool
	ctx      context.Context
	kept     []string
	mu       sync.Mutex
}

func (c *uninstallClient) filter(rl kube.ResourceList) kube.ResourceList {
	if !c.keepData {
		return rl
	}
	out := kube.ResourceList{}
	for _, info := range rl {
		if info.Mapping != nil && info.Mapping.GroupVersionKind.Group == "" {
			switch info.Mapping.GroupVersionKind.Kind {
			case "PersistentVolumeClaim", "PersistentVolume":
				c.mu.Lock()
				c.kept = append(c.kept, info.Mapping.GroupVersionKind.Kind+"/"+info.Name)
				c.mu.Unlock()
				continue
			}
		}
		out = append(out, info)
	}
	return out
}

func (c *uninstallClient) Delete(rl kube.ResourceList) (*kube.Result, []error) {
	return c.Interface.Delete(c.filter(rl))
}

func (c *uninstallClient) DeleteWithPropagationPolicy(rl kube.ResourceList, p metav1.DeletionPropagation) (*kube.Result, []error) {
	if d, ok := c.Interface.(kube.InterfaceDeletionPropagation); ok {
		return d.DeleteWithPropagationPolicy(c.filter(rl), p)
	}
	return c.Interface.Delete(c.filter(rl))
}

// WaitForDelete waits, with one watch per object, until every resource is gone.
func (c *uninstallClient) WaitForDelete(rl kube.ResourceList, timeout time.Duration) error {
	rl = c.filter(rl)
	ctx, cancel := context.WithTimeout(c.ctx, timeout)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(rl))
	for i, info := range rl {
		if info.Client == nil || info.Mapping == nil {
			continue // a fake or local resource: nothing to watch
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = waitInfoGone(ctx, info)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func waitInfoGone(ctx context.Context, info *resource.Info) error {
	h := resource.NewHelper(info.Client, info.Mapping)
	for {
		obj, err := h.Get(info.Namespace, info.Name)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get %s %s: %w", info.Mapping.GroupVersionKind.Kind, info.Name, err)
		}
		m, err := meta.Accessor(obj)
		if err != nil {
			return err
		}
		w, err := h.WatchSingle(info.Namespace, info.Name, m.GetResourceVersion())
		if err != nil {
			return fmt.Errorf("watch %s %s: %w", info.Mapping.GroupVersionKind.Kind, info.Name, err)
		}
		deleted, err := untilDeleted(ctx, w)
		w.Stop()
		if deleted {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s %s still present: %w", info.Mapping.GroupVersionKind.Kind, info.Name, err)
		}
		// The watch closed or expired: look again.
	}
}

func untilDeleted(ctx context.Context, w watch.Interface) (bool, error) {
	for {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				return false, nil
			}
			if ev.Type == watch.Deleted {
				return true, nil
			}
		}
	}
}
