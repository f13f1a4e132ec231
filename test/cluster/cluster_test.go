package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPKIGeneratesVerifiableChain(t *testing.T) {
	p := pki{dir: t.TempDir()}
	if err := p.generate(); err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(p.path("ca.crt"))
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("ca.crt is not PEM")
	}
	for name, usage := range map[string]x509.ExtKeyUsage{"apiserver": x509.ExtKeyUsageServerAuth, "admin": x509.ExtKeyUsageClientAuth, "kwok": x509.ExtKeyUsageClientAuth} {
		pair, err := tls.LoadX509KeyPair(p.path(name+".crt"), p.path(name+".key"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cert, _ := x509.ParseCertificate(pair.Certificate[0])
		opts := x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{usage}}
		if name == "apiserver" {
			opts.DNSName = "127.0.0.1"
		}
		if _, err := cert.Verify(opts); err != nil {
			t.Errorf("%s certificate does not verify against the CA: %v", name, err)
		}
	}
}

func TestFreePortsAreDistinct(t *testing.T) {
	ports, err := freePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p <= 0 {
			t.Fatalf("ports %v are not distinct and positive", ports)
		}
		seen[p] = true
	}
}

func TestUpMissingToolSaysHowToBuildIt(t *testing.T) {
	_, err := Up(context.Background(), Options{Dir: t.TempDir(), ToolsDir: t.TempDir(), Log: io.Discard})
	if err == nil || !strings.Contains(err.Error(), "etcd not found") || !strings.Contains(err.Error(), "hack/tools.sh cluster") {
		t.Fatalf("got %v, want an error naming etcd and the fix", err)
	}
}

func TestDownWithoutStateIsHarmless(t *testing.T) {
	if err := Down(t.TempDir(), io.Discard); err != nil {
		t.Fatalf("down with nothing running: %v", err)
	}
}

func TestStaleStateIsDetectedAndCleaned(t *testing.T) {
	dir := t.TempDir()
	st := &State{Dir: dir, PIDs: map[string]int{"etcd": 999999999}, Ports: Ports{EtcdClient: 1}}
	if err := st.write(); err != nil {
		t.Fatal(err)
	}
	if _, err := Running(dir); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("Running on stale state: got %v, want 'not running'", err)
	}
	if err := Down(dir, io.Discard); err != nil {
		t.Fatalf("down on stale state: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); !os.IsNotExist(err) {
		t.Fatalf("stale state.json left behind: %v", err)
	}
}

func TestAliveIgnoresReusedPIDs(t *testing.T) {
	// Our own PID is alive but its command line does not name the state dir.
	st := &State{Dir: "/nonexistent/sparkmr3-state"}
	if st.alive(os.Getpid()) {
		t.Fatal("a process that is not ours was taken for a cluster component")
	}
}

func TestCorruptStateNamesTheFix(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Running(dir); err == nil || !strings.Contains(err.Error(), "remove") {
		t.Fatalf("got %v, want a message telling to remove the dir", err)
	}
}
