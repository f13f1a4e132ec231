package e2e

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/spark-mr3/spark-mr3/test/cluster"
)

// TestHelmConventions: install and upgrade read as helm's own (issue 16), on the real API
// server, cross-checked with the real helm CLIs: upgrade --install installs a missing release
// (new token) and upgrades an existing one (token kept); the chart's NOTES follow the result
// unless --hide-notes; -o json is pure JSON with status deployed and no token anywhere in the
// output; --description and --labels show in helm history / helm get metadata / helm list -l;
// --history-max 2 keeps 2 revisions; --dry-run=client and =server change nothing.
func TestHelmConventions(t *testing.T) {
	e := teardownNewEnv(t)
	p := newPluginProc(t, e.c.Kubeconfig())
	h3 := newHelmCLI(t, e.c)
	h4 := helmCLI{bin: cluster.Tool(t, "helm4"), kubeconfig: e.c.Kubeconfig(), home: t.TempDir()}
	run := func(code int, args ...string) (string, string) {
		t.Helper()
		out, errOut, got := p.run(t, append(args, "-n", e.ns)...)
		if got != code {
			t.Fatalf("helm sparkmr3 %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), got, code, out, errOut)
		}
		return out, errOut
	}
	t.Cleanup(func() { p.run(t, "teardown", "hc", "-n", e.ns, "--yes") })

	// upgrade --install on a missing release installs it, with a new token, the NOTES, and
	// helm's description and labels.
	out, _ := run(0, "upgrade", "--install", "hc", "--set", "drivers[0].name=spark1", "--timeout", "90s",
		"--description", "first install", "--labels", "team=data,tier=batch")
	// The NOTES as helm prints them (helm get notes: "NOTES:" and the chart's NOTES.txt).
	notes := strings.TrimSpace(h3.mustRun(t, "get", "notes", "hc", "-n", e.ns))
	if !strings.HasPrefix(notes, "NOTES:\n") || len(notes) < 40 {
		t.Fatalf("helm get notes: %q", notes)
	}
	for _, w := range []string{`Release "hc" does not exist. Installing it now.`, "REVISION: 1\n", "TOKEN: generated", "READY: all drivers ready", "\n" + notes + "\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("upgrade --install of a missing release: stdout lacks %q\n%s", w, out)
		}
	}
	first := rotationToken(t, e, "hc")
	if hist := h3.mustRun(t, "history", "hc", "-n", e.ns); !strings.Contains(hist, "first install") {
		t.Errorf("helm history lacks the --description:\n%s", hist)
	}
	if meta := h4.mustRun(t, "get", "metadata", "hc", "-n", e.ns); !strings.Contains(meta, "team=data") || !strings.Contains(meta, "tier=batch") {
		t.Errorf("helm 4 get metadata lacks the --labels:\n%s", meta)
	}
	if list := h3.mustRun(t, "list", "-n", e.ns, "-q", "-l", "team=data"); strings.TrimSpace(list) != "hc" {
		t.Errorf("helm list -l team=data: %q, want hc", list)
	}

	// upgrade --install on the existing release upgrades it, keeping the token; -o json is pure
	// JSON (progress on stderr) holding the release as helm prints it, and never the token.
	out, errOut := run(0, "upgrade", "-i", "hc", "--reuse-values", "--timeout", "90s", "-o", "json", "--description", "second", "--labels", "tier=null")
	var got struct {
		Name   string         `json:"name"`
		Config map[string]any `json:"config"`
		Info   struct {
			Status, Notes, Description string
		} `json:"info"`
		Version  int `json:"version"`
		SparkMR3 struct {
			Installed   bool   `json:"installed"`
			TokenSource string `json:"tokenSource"`
		} `json:"sparkmr3"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-o json stdout is not JSON: %v\n%s", err, out)
	}
	if got.Name != "hc" || got.Version != 2 || got.Info.Status != "deployed" || got.Info.Description != "second" || got.SparkMR3.Installed || got.SparkMR3.TokenSource != "kept" || !strings.Contains(notes, strings.TrimSpace(got.Info.Notes)) || got.Info.Notes == "" {
		t.Errorf("upgrade --install of an existing release, -o json: %+v", got)
	}
	if tok := got.Config["token"].(map[string]any); tok["existingSecret"] != "hc-mr3-token" || tok["checksum"] != first.Checksum() {
		t.Errorf("values' token: %v", tok)
	}
	if rotationToken(t, e, "hc") != first {
		t.Fatal("upgrade --install of an existing release changed the token")
	}
	for _, secret := range []string{first.Key, base64.StdEncoding.EncodeToString([]byte(first.Key))} {
		if strings.Contains(out+errOut, secret) {
			t.Fatal("-o json output holds the token")
		}
	}
	if meta := h4.mustRun(t, "get", "metadata", "hc", "-n", e.ns); !strings.Contains(meta, "team=data") || strings.Contains(meta, "tier=") {
		t.Errorf("after --labels tier=null, helm 4 get metadata:\n%s", meta)
	}

	// --hide-notes; --history-max 2 keeps 2 revisions after 3 more upgrades.
	for i := 0; i < 3; i++ {
		out, _ = run(0, "upgrade", "hc", "--reuse-values", "--wait=hookOnly", "--history-max", "2", "--hide-notes")
		if strings.Contains(out, "NOTES:") || strings.Contains(out, "READY:") {
			t.Fatalf("--hide-notes --wait=hookOnly printed NOTES or waited:\n%s", out)
		}
	}
	var hist []map[string]any
	if err := json.Unmarshal([]byte(h3.mustRun(t, "history", "hc", "-n", e.ns, "-o", "json")), &hist); err != nil || len(hist) != 2 {
		t.Fatalf("helm history after --history-max 2: %d revisions (%v)", len(hist), err)
	}

	// Dry runs change nothing: server against the cluster, client without lookup.
	for _, mode := range []string{"--dry-run=server", "--dry-run=client", "--dry-run"} {
		out, _ = run(0, "upgrade", "hc", "--reuse-values", "--rotate-token", mode)
		if !strings.HasPrefix(out, "# dry run of hc (") || strings.Contains(out, "NOTES:") {
			t.Errorf("upgrade %s: stdout\n%s", mode, out)
		}
	}
	if last, err := e.helm.Releases.Last("hc"); err != nil || last.Version != 5 || rotationToken(t, e, "hc") != first {
		t.Fatalf("a dry run changed the release or its token (revision %v, %v)", last, err)
	}

	// install --dry-run=client needs no cluster at all: the API server here is a closed port.
	closed := closedPort(t)
	noCluster := newPluginProc(t, writeKubeconfig(t, e.c.Kubeconfig(), func(c *clientcmdapi.Cluster, _ *clientcmdapi.AuthInfo) {
		c.Server = "https://" + closed
	}))
	out, errOut, code := noCluster.run(t, "install", "other", "-n", e.ns, "--dry-run=client", "--set", "drivers[0].name=spark1")
	if code != 0 || !strings.HasPrefix(out, "# dry run of other (client)") || !strings.Contains(out, "kind: StatefulSet") {
		t.Fatalf("install --dry-run=client without a cluster: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code := noCluster.run(t, "install", "other", "-n", e.ns, "--dry-run=server"); code == 0 || !strings.Contains(errOut, "cannot reach") {
		t.Fatalf("install --dry-run=server without a cluster: exit %d\n%s", code, errOut)
	}

	// --rollback-on-failure (Helm 4's --atomic) rolls back an upgrade whose drivers cannot
	// become ready, waiting although --wait=hookOnly (as Helm 4); -o json leaves stdout empty on
	// failure, the error and progress go to stderr.
	out, errOut = run(4, "upgrade", "hc", "--reuse-values", "--rollback-on-failure", "--wait=hookOnly", "--timeout", "8s", "-o", "json",
		"--set", "driverDefaults.nodeSelector.sparkmr3-e2e=nowhere")
	if out != "" || !strings.Contains(errOut, "rolled back to revision 5") {
		t.Fatalf("--rollback-on-failure: stdout %q\nstderr %s", out, errOut)
	}
	if last, err := e.helm.Releases.Last("hc"); err != nil || last.Version != 7 || last.Info.Status != "deployed" || rotationToken(t, e, "hc") != first {
		t.Fatalf("after --rollback-on-failure: %v %v", last, err)
	}

	// A bad --wait value is a usage error naming it and the allowed ones.
	_, errOut = run(2, "upgrade", "hc", "--wait=sometimes")
	if !strings.Contains(errOut, `"sometimes"`) || !strings.Contains(errOut, "watcher, hookOnly, legacy") {
		t.Errorf("--wait=sometimes: %s", errOut)
	}
}
