package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/cli/output"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	"sigs.k8s.io/yaml"

	sparkmr3 "github.com/spark-mr3/spark-mr3"
	"github.com/spark-mr3/spark-mr3/plugin/release"
)

// TestExplainClusterError: the first API failures users meet each become one message naming
// the server or namespace and the fix, also when helm or errors.Join wrapped them.
func TestExplainClusterError(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := NewSettings(nil, &bytes.Buffer{}, &bytes.Buffer{})
	s.Helm.KubeConfig = kc
	s.Helm.SetNamespace("ns1")
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	secrets := schema.GroupResource{Resource: "secrets"}
	cases := []struct {
		name string
		err  error
		want []string
	}{
		{"refused, wrapped by helm", fmt.Errorf("read releases: query: %w", refused), []string{"cannot reach the Kubernetes API server https://127.0.0.1:1", "connection refused", "--kubeconfig"}},
		{"refused, joined by a wait", errors.Join(fmt.Errorf("list pods: %w", refused), fmt.Errorf("list secrets: %w", refused)), []string{"cannot reach", "--kube-context"}},
		{"unauthorized", fmt.Errorf("query: %w", apierrors.NewUnauthorized("Unauthorized")), []string{"rejected the credentials", "refresh the kubeconfig"}},
		{"forbidden", fmt.Errorf("query: %w", apierrors.NewForbidden(secrets, "", errors.New(`User "nobody" cannot list resource "secrets"`))), []string{`User "nobody" cannot list`, `in namespace "ns1"`, "ask a cluster admin"}},
		{"namespace missing", fmt.Errorf("create: %w", apierrors.NewNotFound(schema.GroupResource{Resource: "namespaces"}, "nope")), []string{`namespace "nope" does not exist`, "--create-namespace"}},
	}
	for _, tc := range cases {
		got := explainClusterError(tc.err, s).Error()
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tc.name, got, w)
			}
		}
		if strings.Count(got, "\n") > 0 {
			t.Errorf("%s: more than one line: %q", tc.name, got)
		}
	}
	other := errors.New("something else")
	if explainClusterError(other, s) != other {
		t.Error("an unrelated error was rewritten")
	}
	if !errors.Is(explainClusterError(fmt.Errorf("x: %w", refused), s), refused) {
		t.Error("the explained error no longer wraps the network error")
	}
}

// closedKubeconfig is a kubeconfig whose API server does not answer: a verb that must not
// reach the cluster passes with it, one that does fails fast.
func closedKubeconfig(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://`+addr+`"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: ns1}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}

func runApplyCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	s, out, errOut := teardownTestSettings(false)
	s.Helm.KubeConfig = closedKubeconfig(t)
	root := NewRootCommand(s)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

// Each bad value of helm's install/upgrade flags is a usage error naming the value, the flag
// and the fix, before anything is loaded or the cluster is asked.
func TestApplyFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"install", "r", "--wait=sometimes"}, []string{`"sometimes"`, "--wait", "use one of watcher, hookOnly, legacy"}},
		{[]string{"upgrade", "r", "--wait=Watcher"}, []string{`"Watcher"`, "--wait", "watcher"}},
		{[]string{"install", "r", "--dry-run=maybe"}, []string{`"maybe"`, "--dry-run", "use one of none, client, server"}},
		{[]string{"upgrade", "r", "--dry-run=yes"}, []string{`"yes"`, "--dry-run", "client"}},
		{[]string{"install", "r", "-o", "xml"}, []string{`"xml"`, "--output", "table, json, yaml"}},
		{[]string{"install", "r", "--labels", "owner"}, []string{`"owner"`, "--labels", "key=value"}},
		{[]string{"install", "r", "--labels", "name=x"}, []string{"--labels name=x", "helm sets on every release record", "choose another key"}},
		{[]string{"upgrade", "r", "--labels", "team=a,status=b"}, []string{"--labels status=b", "choose another key"}},
		{[]string{"install", "r", "--labels", "bad key=x"}, []string{`key "bad key"`, "not a Kubernetes label key"}},
		{[]string{"install", "r", "--labels", "team=" + strings.Repeat("x", 64)}, []string{"not a Kubernetes label value", "at most 63"}},
		{[]string{"install", "r", "--labels", "team=a b"}, []string{`value "a b"`}},
		{[]string{"upgrade", "r", "--history-max", "-1"}, []string{"--history-max -1", "0 (no limit)"}},
		{[]string{"install", "r", "--history-max", "3"}, []string{"unknown flag: --history-max"}},
		{[]string{"install", "r", "--install"}, []string{"unknown flag: --install"}},
	} {
		_, _, err := runApplyCmd(t, tc.args...)
		if ExitCode(err) != ExitUsage {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, ExitCode(err), err, ExitUsage)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tc.args, err, w)
			}
		}
		if strings.Contains(err.Error(), "cannot reach") {
			t.Errorf("%v: asked the cluster before refusing: %v", tc.args, err)
		}
	}
}

// How --wait, --dry-run, --rollback-on-failure/--atomic and --history-max read, as helm 4
// (and helm 3 for the booleans) read them.
func TestApplyFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		wait     string
		dry      release.DryRun
		atomic   bool
		warn     string
		history  int
		waits    bool
		labelLen int
	}{
		{nil, waitWatcher, release.DryRunNone, false, "", 10, true, 0},
		{[]string{"--wait"}, waitWatcher, release.DryRunNone, false, "", 10, true, 0},
		{[]string{"--wait=true"}, waitWatcher, release.DryRunNone, false, "", 10, true, 0},
		{[]string{"--wait=legacy"}, waitLegacy, release.DryRunNone, false, "", 10, true, 0},
		{[]string{"--wait=false"}, waitHookOnly, release.DryRunNone, false, "", 10, false, 0},
		{[]string{"--wait=hookOnly"}, waitHookOnly, release.DryRunNone, false, "", 10, false, 0},
		{[]string{"--dry-run"}, waitWatcher, release.DryRunClient, false, "", 10, true, 0},
		{[]string{"--dry-run=true"}, waitWatcher, release.DryRunClient, false, "", 10, true, 0},
		{[]string{"--dry-run=server"}, waitWatcher, release.DryRunServer, false, "", 10, true, 0},
		{[]string{"--dry-run=none"}, waitWatcher, release.DryRunNone, false, "", 10, true, 0},
		{[]string{"--dry-run=false"}, waitWatcher, release.DryRunNone, false, "", 10, true, 0},
		{[]string{"--rollback-on-failure"}, waitWatcher, release.DryRunNone, true, "", 10, true, 0},
		{[]string{"--rollback-on-failure", "--wait=hookOnly"}, waitWatcher, release.DryRunNone, true, "", 10, true, 0},
		{[]string{"--atomic"}, waitWatcher, release.DryRunNone, true, "--atomic is deprecated (Helm 4): use --rollback-on-failure", 10, true, 0},
		{[]string{"--history-max", "0"}, waitWatcher, release.DryRunNone, false, "", 0, true, 0},
		{[]string{"-l", "team=data,tier=null", "--labels", "run=1"}, waitWatcher, release.DryRunNone, false, "", 10, true, 3},
	} {
		o := &applyOptions{}
		fs := pflag.NewFlagSet("upgrade", pflag.ContinueOnError)
		o.addFlags(fs, true, 10)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		s, _, errOut := teardownTestSettings(false)
		if err := o.complete(s, "upgrade"); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if o.wait != tc.wait || o.dryRun != tc.dry || o.atomic != tc.atomic || o.historyMax != tc.history || o.waits() != tc.waits || len(o.labels) != tc.labelLen {
			t.Errorf("%v: wait %s dry-run %q atomic %v history %d labels %v", tc.args, o.wait, o.dryRun, o.atomic, o.historyMax, o.labels)
		}
		if tc.warn != "" && !strings.Contains(errOut.String(), tc.warn) || tc.warn == "" && errOut.Len() > 0 {
			t.Errorf("%v: stderr %q, want %q", tc.args, errOut, tc.warn)
		}
	}
}

// --atomic is hidden, as in helm 4; --rollback-on-failure is shown.
func TestAtomicHidden(t *testing.T) {
	s, _, _ := teardownTestSettings(false)
	for _, verb := range []string{"install", "upgrade"} {
		cmd, _, err := NewRootCommand(s).Find([]string{verb})
		if err != nil {
			t.Fatal(err)
		}
		if f := cmd.Flags().Lookup("atomic"); f == nil || !f.Hidden {
			t.Errorf("%s --atomic: %v, want a hidden flag", verb, f)
		}
		if f := cmd.Flags().Lookup("rollback-on-failure"); f == nil || f.Hidden {
			t.Errorf("%s --rollback-on-failure missing or hidden", verb)
		}
	}
}

// --dry-run=client renders, post-renders and checks with no cluster reachable; server (and a
// real install) must reach it.
func TestInstallDryRunClientWithoutCluster(t *testing.T) {
	out, errOut, err := runApplyCmd(t, "install", "r1", "--dry-run=client", "--set", "drivers[0].name=spark1")
	if err != nil {
		t.Fatalf("install --dry-run=client without a cluster: %v\n%s", err, errOut)
	}
	if !strings.HasPrefix(out, "# dry run of r1 (client): nothing was changed; Secret data is masked\n") || !strings.Contains(out, "kind: StatefulSet") {
		t.Fatalf("stdout:\n%s", out)
	}
	if strings.Contains(out, "NOTES:") {
		t.Fatal("a dry run's YAML carries the NOTES")
	}
	// The bare flag is client too.
	if _, errOut, err := runApplyCmd(t, "install", "r1", "--dry-run"); err != nil {
		t.Fatalf("install --dry-run without a cluster: %v\n%s", err, errOut)
	}
	// -o json: the release as helm prints it, the manifest masked.
	out, _, err = runApplyCmd(t, "install", "r1", "--dry-run=client", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, out)
	}
	if sum, _ := got["sparkmr3"].(map[string]any); sum["dryRun"] != "client" || got["name"] != "r1" {
		t.Fatalf("json: name %v sparkmr3 %v", got["name"], got["sparkmr3"])
	}
	for _, mode := range []string{"--dry-run=server", "--dry-run=none"} {
		if _, _, err := runApplyCmd(t, "install", "r1", mode); err == nil || !strings.Contains(err.Error(), "cannot reach the Kubernetes API server") {
			t.Errorf("install %s without a cluster: %v, want cannot reach", mode, err)
		}
	}
}

// What install and upgrade print: the table with the chart's NOTES (or not, --hide-notes),
// and -o json|yaml as helm prints a release plus the plugin's summary; never the token.
func TestAppliedOutput(t *testing.T) {
	ch, err := sparkmr3.Chart()
	if err != nil {
		t.Fatal(err)
	}
	caps := *chartutil.DefaultCapabilities
	caps.KubeVersion = chartutil.KubeVersion{Version: "v1.37.0", Major: "1", Minor: "37"}
	cfg := &action.Configuration{Releases: storage.Init(driver.NewMemory()), KubeClient: &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: &caps, Log: func(string, ...any) {}}
	cs := fake.NewClientset()
	res, err := release.Install(context.Background(), cfg, cs, release.Options{Release: "r1", Namespace: "ns", Chart: ch,
		Values: map[string]any{"drivers": []any{map[string]any{"name": "spark1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Release.Info.Notes == "" {
		t.Fatal("the chart rendered no NOTES")
	}
	print := func(format output.Format, hide bool, dry release.DryRun) string {
		var b bytes.Buffer
		if err := printApplied(&b, res, &applyOptions{format: format, hideNotes: hide, wait: waitWatcher, dryRun: dry}, 1500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), res.Token.Key) || strings.Contains(b.String(), base64.StdEncoding.EncodeToString([]byte(res.Token.Key))) {
			t.Fatalf("-o %s prints the token", format)
		}
		return b.String()
	}
	table := print(output.Table, false, release.DryRunNone)
	for _, w := range []string{"NAME: r1\n", "STATUS: deployed\n", "TOKEN: generated (application ", "DRIVERS: spark1\n", "READY: all drivers ready after 1.5s\n", "\nNOTES:\n" + strings.TrimSpace(res.Release.Info.Notes) + "\n"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}
	if strings.Contains(print(output.Table, true, release.DryRunNone), "NOTES:") {
		t.Error("--hide-notes printed the NOTES")
	}
	if strings.Contains(print(output.Table, false, release.DryRunServer), "NOTES:") {
		t.Error("a dry run's YAML carries the NOTES")
	}
	for _, f := range []output.Format{output.JSON, output.YAML} {
		out := print(f, true, release.DryRunNone)
		var got struct {
			Name      string         `json:"name"`
			Namespace string         `json:"namespace"`
			Version   int            `json:"version"`
			Manifest  string         `json:"manifest"`
			Config    map[string]any `json:"config"`
			Info      struct {
				Status string `json:"status"`
				Notes  string `json:"notes"`
			} `json:"info"`
			Chart struct {
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			} `json:"chart"`
			SparkMR3 appliedSummary `json:"sparkmr3"`
		}
		var err error
		if f == output.JSON {
			err = json.Unmarshal([]byte(out), &got)
		} else {
			err = yaml.Unmarshal([]byte(out), &got)
		}
		if err != nil {
			t.Fatalf("-o %s: %v\n%s", f, err, out)
		}
		tok, _ := got.Config["token"].(map[string]any)
		if got.Name != "r1" || got.Namespace != "ns" || got.Version != 1 || got.Info.Status != "deployed" || got.Info.Notes == "" ||
			got.Chart.Metadata.Name != "spark-mr3" || !strings.Contains(got.Manifest, "kind: StatefulSet") ||
			tok["existingSecret"] != "r1-mr3-token" || tok["checksum"] != res.Token.Checksum() || tok["clientToAMTokenKey"] != "" || tok["applicationIdTimestamp"] != "" {
			t.Errorf("-o %s: %+v (token values %v)", f, got, tok)
		}
		if got.SparkMR3.TokenSource != "generated" || got.SparkMR3.ApplicationID != res.Token.ApplicationID() || len(got.SparkMR3.Drivers) != 1 || got.SparkMR3.Wait != waitWatcher {
			t.Errorf("-o %s sparkmr3: %+v", f, got.SparkMR3)
		}
	}
}

// --wait and --dry-run values complete in the shell, as -o does (both take their value
// after "=", since a bare --wait or --dry-run is valid).
func TestApplyFlagCompletion(t *testing.T) {
	for _, tc := range []struct {
		verb, flag string
		want       []string
	}{
		{"install", "--wait=", []string{"hookOnly", "legacy", "watcher"}},
		{"upgrade", "--wait=", []string{"hookOnly", "legacy", "watcher"}},
		{"install", "--dry-run=", []string{"client", "none", "server"}},
		{"upgrade", "-o", []string{"json", "table", "yaml"}},
	} {
		s, out, _ := teardownTestSettings(false)
		root := NewRootCommand(s)
		args := []string{"__complete", tc.verb, "r", tc.flag}
		if !strings.HasSuffix(tc.flag, "=") {
			args = append(args, "")
		}
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != len(tc.want)+1 || lines[len(lines)-1] != ":4" {
			t.Errorf("%s %s <TAB>: %q", tc.verb, tc.flag, lines)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(lines[i], w+"\t") {
				t.Errorf("%s %s <TAB> line %d = %q, want %q", tc.verb, tc.flag, i, lines[i], w)
			}
		}
	}
}
