package cluster

import (
	"syscall"

	"context"
	"io"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func needTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a control plane; run without -short")
	}
	if _, err := os.Stat(filepath.Join(ToolsDirFromEnv(), "kube-apiserver")); err != nil {
		t.Fatalf("control-plane binaries missing in %s: run 'hack/tools.sh cluster'", ToolsDirFromEnv())
	}
}

func TestUpTwiceIsHarmlessAndDownFreesEverything(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	ctx := context.Background()
	st, err := Up(ctx, Options{Dir: dir, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Down(dir, io.Discard) })
	var log strings.Builder
	again, err := Up(ctx, Options{Dir: dir, Log: &log})
	if err != nil {
		t.Fatalf("second up: %v", err)
	}
	if again.Ports != st.Ports || again.PIDs["kube-apiserver"] != st.PIDs["kube-apiserver"] {
		t.Fatalf("second up started a new control plane: %+v vs %+v", again, st)
	}
	if strings.Contains(log.String(), "warning") {
		t.Fatalf("second up warned:\n%s", log.String())
	}
	// A cluster started by older code (kwok not watching its Logs/PortForward objects) is kept
	// running, with a warning that says how to restart it.
	kc := filepath.Join(dir, "kwok.yaml")
	b, err := os.ReadFile(kc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kc, []byte(strings.Replace(string(b), "enableCRDs: [Logs, PortForward]", "enableCRDs: []", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	again, err = Up(ctx, Options{Dir: dir, Log: &log})
	if err != nil || again.PIDs["kwok"] != st.PIDs["kwok"] {
		t.Fatalf("up over an older configuration: %v, pids %v vs %v", err, again, st)
	}
	if !strings.Contains(log.String(), "warning: it runs kwok with an older configuration") || !strings.Contains(log.String(), "make cluster-down && make cluster") {
		t.Fatalf("up over an older configuration did not warn with the fix:\n%s", log.String())
	}
	cs, err := st.Client()
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil || v.GitVersion != "v1.37.2" {
		t.Fatalf("server version %v (%v), want v1.37.2 stamped at build", v, err)
	}
	if err := Down(dir, io.Discard); err != nil {
		t.Fatal(err)
	}
	for c, pid := range st.PIDs {
		if st.alive(pid) {
			t.Errorf("%s (pid %d) still running after down", c, pid)
		}
	}
	for _, p := range []int{st.Ports.EtcdClient, st.Ports.APIServer, st.Ports.Kwok} {
		if portOpen(p) {
			t.Errorf("port %d still open after down", p)
		}
	}
}

func TestUpWithBusyPortFailsCleanly(t *testing.T) {
	needTools(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := freePorts(5)
	if err != nil {
		t.Fatal(err)
	}
	// etcd's client port is taken by someone else.
	ports := append([]int{busy.Addr().(*net.TCPAddr).Port}, free...)
	dir := t.TempDir()
	_, err = Up(context.Background(), Options{Dir: dir, Log: io.Discard, ports: ports})
	if err == nil || !strings.Contains(err.Error(), "etcd") {
		t.Fatalf("up with etcd's port busy: got %v, want an error naming etcd with its log", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); !os.IsNotExist(err) {
		t.Fatalf("a failed up left state behind: %v", err)
	}
	if _, rerr := Running(dir); rerr == nil {
		t.Fatal("a failed up left processes running")
	}
}

func TestRestartAPIServerKeepsData(t *testing.T) {
	needTools(t)
	c := Private(t)
	st := c.State(t)
	ctx := context.Background()
	cs, err := st.Client()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, "kwok-node-0", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := st.StopComponent("kube-apiserver", syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, "kwok-node-0", metav1.GetOptions{}); err == nil {
		t.Fatal("the API server answered while stopped")
	}
	if err := st.StartComponent(ctx, "kube-apiserver"); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Nodes().Get(ctx, "kwok-node-0", metav1.GetOptions{}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func TestUpOverStaleStateStartsFresh(t *testing.T) {
	needTools(t)
	dir := t.TempDir()
	stale := &State{Dir: dir, PIDs: map[string]int{"etcd": 999999999, "kube-apiserver": 999999998}, Ports: Ports{EtcdClient: 1}}
	if err := stale.write(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	st, err := Up(context.Background(), Options{Dir: dir, Log: &log})
	if err != nil {
		t.Fatalf("up over stale state: %v", err)
	}
	t.Cleanup(func() { _ = Down(dir, io.Discard) })
	if !strings.Contains(log.String(), "stale state") {
		t.Errorf("up did not say it replaced stale state:\n%s", log.String())
	}
	if _, err := Running(dir); err != nil || st.PIDs["etcd"] == 999999999 {
		t.Fatalf("not running after up over stale state: %v", err)
	}
}
