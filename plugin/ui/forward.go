package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/portforward"
	"k8s.io/client-go/transport/spdy"
	streamhttp "k8s.io/streaming/pkg/httpstream"
)

// PortForward forwards a free port on 127.0.0.1 to port of pod, as kubectl port-forward does
// (WebSocket tunnelling first, SPDY when the server refuses the upgrade). It returns the local
// address once the tunnel listens, and a channel that receives the tunnel's end (the Pod went
// away, the connection broke); ctx ending closes it.
func PortForward(ctx context.Context, cfg *rest.Config, pod *corev1.Pod, port int) (string, <-chan error, error) {
	client, err := corev1client.NewForConfig(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("client for port-forward: %w", err)
	}
	req := client.RESTClient().Post().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).SubResource("portforward")
	transport, upgrader, err := spdy.RoundTripperFor(cfg)
	if err != nil {
		return "", nil, fmt.Errorf("spdy round tripper: %w", err)
	}
	var dialer streamhttp.Dialer = spdy.NewDialerForStreaming(upgrader, &http.Client{Transport: transport}, http.MethodPost, req.URL())
	ws, err := portforward.NewSPDYOverWebsocketDialerForStreaming(req.URL(), cfg)
	if err != nil {
		return "", nil, fmt.Errorf("websocket dialer: %w", err)
	}
	dialer = portforward.NewFallbackDialerForStreaming(ws, dialer, func(err error) bool {
		return streamhttp.IsUpgradeFailure(err) || streamhttp.IsHTTPSProxyError(err)
	})
	ready := make(chan struct{})
	fw, err := portforward.NewOnAddressesForStreamingWithContext(ctx, dialer, []string{"127.0.0.1"}, []string{"0:" + strconv.Itoa(port)}, ready, io.Discard, io.Discard)
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() {
		err := fw.ForwardPorts()
		if err == nil {
			err = errors.New("closed")
		}
		done <- err
	}()
	select {
	case <-ready:
	case err := <-done:
		return "", nil, err
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	ports, err := fw.GetPorts()
	if err != nil || len(ports) == 0 {
		fw.Close()
		return "", nil, fmt.Errorf("the port-forward's local port: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(int(ports[0].Local))), done, nil
}
