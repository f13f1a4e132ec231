package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// builtPlugin is the real helm-sparkmr3 binary, built once per test binary, for tests that
// run it as a process (exit codes, signals, child processes).
var builtPlugin struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

func pluginBinary(t *testing.T) string {
	t.Helper()
	builtPlugin.once.Do(func() {
		dir, err := os.MkdirTemp("", "sparkmr3-bin-")
		if err != nil {
			builtPlugin.err = err
			return
		}
		builtPlugin.path = filepath.Join(dir, "helm-sparkmr3")
		cmd := exec.Command("go", "build", "-o", builtPlugin.path, "./cmd/helm-sparkmr3")
		cmd.Dir = repoRoot
		builtPlugin.out, builtPlugin.err = cmd.CombinedOutput()
	})
	if builtPlugin.err != nil {
		t.Fatalf("go build ./cmd/helm-sparkmr3: %v\n%s", builtPlugin.err, builtPlugin.out)
	}
	return builtPlugin.path
}

// pluginProc runs the built plugin as helm would start it, with a private HOME and the
// given kubeconfig.
type pluginProc struct {
	bin, kubeconfig, home string
}

func newPluginProc(t *testing.T, kubeconfig string) pluginProc {
	t.Helper()
	return pluginProc{bin: pluginBinary(t), kubeconfig: kubeconfig, home: t.TempDir()}
}

func (p pluginProc) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Env = []string{"HOME=" + p.home, "PATH=/usr/bin:/bin", "KUBECONFIG=" + p.kubeconfig,
		"HELM_CACHE_HOME=" + filepath.Join(p.home, "cache"), "HELM_CONFIG_HOME=" + filepath.Join(p.home, "config"),
		"HELM_DATA_HOME=" + filepath.Join(p.home, "data")}
	return cmd
}

// run returns stdout, stderr and the exit code; each run is bounded to 2 minutes.
func (p pluginProc) run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := p.command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run helm-sparkmr3 %v: %v", args, err)
	}
	return out.String(), errOut.String(), 0
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// writeKubeconfig copies the admin kubeconfig with edit applied to the current context's
// cluster and user, into a temp file.
func writeKubeconfig(t *testing.T, admin string, edit func(*clientcmdapi.Cluster, *clientcmdapi.AuthInfo)) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	edit(cfg.Clusters[ctx.Cluster], cfg.AuthInfos[ctx.AuthInfo])
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}
