package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// swapHowTo is how to check a node by hand when the API cannot tell.
const swapHowTo = "run `swapon --show` (no output: no swap) or `free -b` (Swap total 0) on each node, and `swapoff -a` (and remove swap from /etc/fstab) where swap is on"

// maxNamed caps the node names a message lists.
const maxNamed = 5

// maxConfigz caps the kubelets asked for their configuration (one request each, through the
// API server's node proxy).
const maxConfigz = 10

// Swap reads what each node's status reports about swap (status.nodeInfo.swap.capacity, set
// by kubelets of Kubernetes 1.30 and later). MR3 asks for swap to be disabled on the nodes.
// For a node whose status says nothing it asks the kubelet's own configuration (configz,
// through the API server's node proxy: needs nodes/proxy): a kubelet with failSwapOn=true
// (its default) refuses to start on a node with swap on. A node neither answers cannot be
// judged from the API, and the message says so plainly, with the command to check by hand.
func Swap(ctx context.Context, client kubernetes.Interface) Result {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return result(CheckSwap, Warn, "cannot list nodes (%v), so whether swap is off cannot be known from the API; %s", err, swapHowTo)
	}
	if len(nodes.Items) == 0 {
		return result(CheckSwap, Warn, "the cluster has no nodes, so whether swap is off cannot be known")
	}
	var on, unknown, off []string
	for _, n := range nodes.Items {
		s := n.Status.NodeInfo.Swap
		switch {
		case s == nil || s.Capacity == nil:
			unknown = append(unknown, n.Name)
		case *s.Capacity > 0:
			on = append(on, fmt.Sprintf("%s (%d bytes)", n.Name, *s.Capacity))
		default:
			off = append(off, n.Name)
		}
	}
	guarded, unknown, why := kubeletsRefusingSwap(ctx, client, unknown)
	total := len(nodes.Items)
	switch {
	case len(on) > 0:
		msg := fmt.Sprintf("%d of %d node(s) report swap: %s. MR3 expects swap disabled on the nodes "+
			"(with the kubelet's default memorySwap.swapBehavior NoSwap, Pods do not use it, but the node's other processes do)",
			len(on), total, names(on))
		if len(unknown) > 0 {
			msg += fmt.Sprintf("; %d node(s) report nothing about swap (%s)", len(unknown), names(unknown))
		}
		return result(CheckSwap, Warn, "%s; fix: %s", msg, swapHowTo)
	case len(unknown) > 0:
		return result(CheckSwap, Warn, "%d of %d node(s) do not report swap in status.nodeInfo.swap (kubelets before Kubernetes 1.30, or simulated nodes): %s, and %s; whether swap is off there cannot be known from the API; %s",
			len(unknown), total, names(unknown), why, swapHowTo)
	}
	msg := fmt.Sprintf("all %d node(s) have swap off", total)
	if len(off) > 0 {
		msg += fmt.Sprintf("; %d report swap capacity 0 (status.nodeInfo.swap)", len(off))
	}
	if len(guarded) > 0 {
		msg += fmt.Sprintf("; %d run a kubelet with failSwapOn=true, which refuses to start with swap on (%s)", len(guarded), names(guarded))
	}
	return result(CheckSwap, OK, "%s", msg)
}

// kubeletConfig is the part of a kubelet's configz answer that speaks of swap.
type kubeletConfig struct {
	KubeletConfig struct {
		FailSwapOn *bool `json:"failSwapOn"`
		MemorySwap struct {
			SwapBehavior string `json:"swapBehavior"`
		} `json:"memorySwap"`
	} `json:"kubeletconfig"`
}

// kubeletsRefusingSwap asks the kubelets of nodes (up to maxConfigz) for their configuration
// and returns those running with failSwapOn=true, the rest, and why the rest stay unknown.
func kubeletsRefusingSwap(ctx context.Context, client kubernetes.Interface, nodes []string) (guarded, unknown []string, why string) {
	rc, ok := client.CoreV1().RESTClient().(*rest.RESTClient)
	if len(nodes) == 0 || !ok || rc == nil {
		return nil, nodes, "their kubelets' configuration was not asked"
	}
	type answer struct {
		node string
		cfg  *kubeletConfig
		err  error
	}
	asked := nodes
	if len(asked) > maxConfigz {
		asked = asked[:maxConfigz]
	}
	answers := make([]answer, len(asked))
	var wg sync.WaitGroup
	for i, n := range asked {
		wg.Add(1)
		go func(i int, n string) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			answers[i].node = n
			raw, err := rc.Get().AbsPath("/api/v1/nodes", n, "proxy", "configz").Do(cctx).Raw()
			if err != nil {
				answers[i].err = proxyError(err, raw)
				return
			}
			var c kubeletConfig
			if err := json.Unmarshal(raw, &c); err != nil {
				answers[i].err = fmt.Errorf("read configz: %w", err)
				return
			}
			answers[i].cfg = &c
		}(i, n)
	}
	wg.Wait()
	var reasons []string
	for _, a := range answers {
		switch {
		case a.err != nil:
			unknown = append(unknown, a.node)
			reasons = append(reasons, fmt.Sprintf("%s: %v", a.node, a.err))
		case a.cfg.KubeletConfig.FailSwapOn == nil || *a.cfg.KubeletConfig.FailSwapOn:
			guarded = append(guarded, a.node)
		default:
			unknown = append(unknown, a.node)
			reasons = append(reasons, fmt.Sprintf("%s: its kubelet runs with failSwapOn=false (memorySwap.swapBehavior %q)", a.node, a.cfg.KubeletConfig.MemorySwap.SwapBehavior))
		}
	}
	unknown = append(unknown, nodes[len(asked):]...)
	why = "their kubelets' configuration (configz through the node proxy) says nothing either"
	if len(reasons) > 0 {
		why = fmt.Sprintf("their kubelets' configuration (configz through the node proxy) does not tell (%s)", reasons[0])
		if len(reasons) > 1 {
			why = fmt.Sprintf("%s, and %d more", why[:len(why)-1], len(reasons)-1) + ")"
		}
	}
	if len(nodes) > len(asked) {
		why += fmt.Sprintf("; %d node(s) beyond the first %d were not asked", len(nodes)-len(asked), maxConfigz)
	}
	return guarded, unknown, why
}

// names lists up to maxNamed items, sorted, and how many more.
func names(items []string) string {
	sort.Strings(items)
	if len(items) <= maxNamed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxNamed], ", "), len(items)-maxNamed)
}

// proxyError says what a node proxy request's failure was: client-go reports an answer it
// cannot decode (the kubelet's, or a proxy's) as "an unknown reason"; its body says more.
func proxyError(err error, body []byte) error {
	var st apierrors.APIStatus
	msg := strings.TrimSpace(string(body))
	if !errors.As(err, &st) || msg == "" {
		return err
	}
	var status struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &status) == nil && status.Message != "" {
		msg = status.Message
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return fmt.Errorf("HTTP %d: %s", st.Status().Code, msg)
}
