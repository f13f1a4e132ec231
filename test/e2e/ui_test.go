package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/spark-mr3/spark-mr3/plugin/logs"
)

// fetch GETs u and returns the status, the final path and the body.
func fetch(t *testing.T, u string) (int, string, string) {
	t.Helper()
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Request.URL.Path, string(b)
}

// startUI runs `ui` until the test ends and returns the URL it printed.
func startUI(t *testing.T, m *modelRelease, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- m.runCLIContext(ctx, nil, &out, &errOut, append([]string{"ui", m.rel, "--port", "0"}, args...)...)
	}()
	t.Cleanup(func() {
		cancel()
		// Ctrl-C is how ui ends: exit 0.
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("ui after Ctrl-C: exit %d\n%s", code, errOut.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("ui did not stop on Ctrl-C")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(out.String(), "\n") {
		select {
		case code := <-done:
			t.Fatalf("ui ended: exit %d\n%s", code, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ui printed no URL:\n%s", errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return strings.TrimSpace(out.String())
}

// The UI is reached through the API server's port-forward to the driver Pod (kwok forwards
// it to a loopback server standing for Spark's UI), behind ui's proxy at the path of
// spark.ui.proxyBase, where the UI's links point.
func TestUIServesTheDriversUIUnderItsProxyBase(t *testing.T) {
	m := newModelRelease(t, []string{"spark1"})
	ctx := context.Background()
	drivers, err := logs.FindDrivers(ctx, m.cs, m.ns, m.rel)
	must(t, err)
	if len(drivers) != 1 {
		t.Fatalf("drivers: %v", drivers)
	}
	pod := drivers[0].Pod
	driverName := ""
	for _, e := range pod.Spec.Containers[0].Env {
		if e.Name == "DRIVER_NAME" {
			driverName = e.Value
		}
	}
	// The chart's default spark.uiProxyBase is "": Spark's links are under /DRIVER_NAME/.
	prefix := "/" + driverName

	dyn, err := dynamic.NewForConfig(m.c.RESTConfig(t))
	must(t, err)
	needKwokCRD(t, dyn, kwokPortForwardGVR, m.ns)
	// Before a PortForward object names the Pod, the tunnel still opens through the API server
	// (kwok accepts the stream, then finds no target): the printed URL answers with ui's
	// explanation instead of Spark's page.
	u := startUI(t, m)
	if !strings.HasSuffix(u, prefix+"/") {
		t.Errorf("URL %s is not under %s/", u, prefix)
	}
	// client-go closes the port-forward after the failed connection; ui opens a new one for
	// the next request and keeps running (its exit code after Ctrl-C is checked at cleanup).
	for i := 0; i < 3; i++ {
		code, _, body := fetch(t, u)
		if code != http.StatusBadGateway || !strings.Contains(body, "No Spark UI answers in driver spark1") {
			t.Errorf("without a UI, request %d: %d %s", i, code, body)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// Spark's UI as it answers with spark.ui.proxyBase=prefix: pages at the root, links under prefix.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, prefix+"/jobs/", http.StatusFound) })
	mux.HandleFunc("/jobs/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<html><a href="%s/stages/">Stages</a></html>`, prefix)
	})
	mux.HandleFunc("/stages/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>stages of the job</html>") })
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "PortForward",
		"metadata": map[string]any{"name": pod.Name, "namespace": m.ns},
		"spec": map[string]any{"forwards": []any{map[string]any{
			"ports": []any{int64(4040)}, "target": map[string]any{"address": "127.0.0.1", "port": int64(port)}}}},
	}}
	_, err = dyn.Resource(kwokPortForwardGVR).Namespace(m.ns).Create(ctx, obj, metav1.CreateOptions{})
	must(t, err)

	u = startUI(t, m, "--driver", "spark1")
	if !strings.HasPrefix(u, "http://127.0.0.1:") || !strings.HasSuffix(u, prefix+"/") {
		t.Fatalf("URL: %s", u)
	}
	// kwok learns of the PortForward through its watch: retry the first page until it is there.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, at, body := fetch(t, u)
		if code == 200 {
			if at != prefix+"/jobs/" || !strings.Contains(body, `href="`+prefix+`/stages/"`) {
				t.Fatalf("first page at %s: %s", at, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first page: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Follow the page's link, as a browser would.
	link := strings.TrimSuffix(u, prefix+"/") + prefix + "/stages/"
	if code, _, body := fetch(t, link); code != 200 || !strings.Contains(body, "stages of the job") {
		t.Fatalf("the link %s: %d %s", link, code, body)
	}
}
