package doctor

import (
	"context"
	"fmt"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// swapHowTo is how to check a node by hand when the API cannot tell.
const swapHowTo = "run `swapon --show` (no output: no swap) or `free -b` (Swap total 0) on each node, and `swapoff -a` (and remove swap from /etc/fstab) where swap is on"

// maxNamed caps the node names a message lists.
const maxNamed = 5

// Swap reads what each node's status reports about swap (status.nodeInfo.swap.capacity, set
// by kubelets of Kubernetes 1.30 and later). MR3 asks for swap to be disabled on the nodes;
// a node that reports no swap information cannot be judged from the API, and the message
// says so plainly, with the command to check it by hand.
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
		return result(CheckSwap, Warn, "%d of %d node(s) do not report swap in status.nodeInfo.swap (kubelets before Kubernetes 1.30, or simulated nodes): %s; whether swap is off there cannot be known from the API; %s",
			len(unknown), total, names(unknown), swapHowTo)
	}
	return result(CheckSwap, OK, "all %d node(s) report no swap (status.nodeInfo.swap.capacity 0)", len(off))
}

// names lists up to maxNamed items, sorted, and how many more.
func names(items []string) string {
	sort.Strings(items)
	if len(items) <= maxNamed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxNamed], ", "), len(items)-maxNamed)
}
