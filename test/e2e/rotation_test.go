package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/spark-mr3/spark-mr3/plugin/teardown"
	"github.com/spark-mr3/spark-mr3/plugin/token"
)

// rotationRun runs the built plugin against the env's namespace and checks the exit code.
func rotationRun(t *testing.T, p pluginProc, e *teardownEnv, wantCode int, args ...string) string {
	t.Helper()
	out, errOut, code := p.run(t, append(args, "-n", e.ns)...)
	if code != wantCode {
		t.Fatalf("helm sparkmr3 %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), code, wantCode, out, errOut)
	}
	return out + errOut
}

func rotationToken(t *testing.T, e *teardownEnv, rel string) token.Token {
	t.Helper()
	tok, found, err := token.FindForRelease(context.Background(), e.cs, e.ns, rel)
	if err != nil || !found {
		t.Fatalf("token Secret of %s: found=%v err=%v", rel, found, err)
	}
	return tok
}

var rotationNewApp = regexp.MustCompile(`start a new DAGAppMaster \(application_([0-9]+)_0000\)`)

// TestRotationThenTeardownLeavesNothing changes the token of one release on every path that
// changes it — --rotate-token with --reuse-values, with --reset-then-reuse-values, to a
// token pinned with --set, and an --atomic upgrade that fails and is rolled back (`helm
// rollback` must NOT change it: the token is not in Helm's record) — and after each lets "MR3"
// start a DAGAppMaster for the token the drivers then hold
// (an AM Deployment that uses the release's ServiceAccount and conf ConfigMap, workers, the
// AM Service, MR3's shared objects). Every value path must really change the token; the
// refused contradictions change nothing; status shows every DAGAppMaster; teardown leaves
// no object of the release, of any kind, for any of the timestamps.
func TestRotationThenTeardownLeavesNothing(t *testing.T) {
	e := teardownNewEnv(t)
	p := newPluginProc(t, e.c.Kubeconfig())
	h := newHelmCLI(t, e.c)
	master := map[string]string{"sparkmr3_app": "mr3"}
	run := func(code int, args ...string) string { t.Helper(); return rotationRun(t, p, e, code, args...) }

	run(0, "install", "rt", "--set", "drivers[0].name=spark1", "--timeout", "90s")
	var timestamps, workers []string
	hex := 0xa000
	simulate := func(ts string) {
		t.Helper()
		hex++
		h := strconv.FormatInt(int64(hex), 16)
		e.teardownSimulateMR3(t, "rt", ts, h, master, 1, 1, len(timestamps) == 0)
		timestamps = append(timestamps, ts)
		workers = append(workers, teardownWorkerNames(h, 2)...)
	}
	first := rotationToken(t, e, "rt")
	simulate(strconv.FormatInt(first.Timestamp, 10))

	// Each rotation path: the Secret holds a new token afterwards and the output says so.
	prev := first
	rotated := func(why string, args ...string) token.Token {
		t.Helper()
		out := run(0, append([]string{"upgrade", "rt", "--wait=false"}, args...)...)
		now := rotationToken(t, e, "rt")
		if !strings.Contains(out, "TOKEN: rotated") || now.Key == prev.Key || now.Timestamp == prev.Timestamp {
			t.Fatalf("%s: timestamp %d -> %d\n%s", why, prev.Timestamp, now.Timestamp, out)
		}
		prev = now
		simulate(strconv.FormatInt(now.Timestamp, 10))
		return now
	}
	rotated("--reuse-values --rotate-token", "--reuse-values", "--rotate-token")
	rotated("--reset-then-reuse-values --rotate-token", "--reset-then-reuse-values", "--rotate-token", "--set", "logging.rootLevel=WARN")
	pinned := rotated("--rotate-token to a pinned token", "--reuse-values", "--rotate-token",
		"--set", "token.clientToAMTokenKey=e2e-pinned-key", "--set", "token.applicationIdTimestamp=424242")
	if pinned.Timestamp != 424242 {
		t.Fatalf("pinned rotation gave timestamp %d", pinned.Timestamp)
	}

	// Contradictions are refused (exit 2) and change nothing.
	before, err := e.helm.Releases.Last("rt")
	must(t, err)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--reuse-values", "--set", "token.clientToAMTokenKey=other", "--set", "token.applicationIdTimestamp=5555"}, "add --rotate-token to change it on purpose"},
		{[]string{"--reuse-values", "--rotate-token", "--set", "token.clientToAMTokenKey=e2e-pinned-key", "--set", "token.applicationIdTimestamp=424242"}, "pin the release's current one"},
		{[]string{"--reuse-values", "--set", "token.applicationIdTimestamp=5555"}, "pin both"},
	} {
		out := run(2, append([]string{"upgrade", "rt", "--wait=false"}, c.args...)...)
		if !strings.Contains(out, c.want) {
			t.Errorf("upgrade %v: output lacks %q:\n%s", c.args, c.want, out)
		}
	}
	if after, _ := e.helm.Releases.Last("rt"); after.Version != before.Version || rotationToken(t, e, "rt") != pinned {
		t.Fatalf("a refused upgrade changed the release (revision %d -> %d)", before.Version, after.Version)
	}

	// helm rollback (the helm CLI, not the plugin) to the first revision: the token is in the
	// plugin's own Secret, not in Helm's record, so a rollback does not change it.
	h.mustRun(t, "rollback", "rt", "1", "-n", e.ns, "--wait")
	if got := rotationToken(t, e, "rt"); got != pinned {
		t.Fatalf("helm rollback changed the token: timestamp %d, want %d", got.Timestamp, pinned.Timestamp)
	}

	// --atomic: the rotated upgrade cannot become ready (no node matches), is rolled back, and
	// the plugin's Secret gets the token back; a driver had started a DAGAppMaster with the
	// rotated one meanwhile.
	out := run(4, "upgrade", "rt", "--reuse-values", "--rotate-token", "--atomic", "--timeout", "20s",
		"--set", "driverDefaults.nodeSelector.sparkmr3-e2e=nowhere")
	if !strings.Contains(out, "rollback on failure: rolled back") {
		t.Fatalf("atomic upgrade:\n%s", out)
	}
	if got := rotationToken(t, e, "rt"); got != pinned {
		t.Fatalf("after the --atomic rollback: timestamp %d, want %d", got.Timestamp, pinned.Timestamp)
	}
	m := rotationNewApp.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no rotated application in the output:\n%s", out)
	}
	simulate(m[1])

	// status: every DAGAppMaster, all but the current one marked as of an earlier token.
	js := run(0, "status", "rt", "-o", "json")
	var rep struct {
		Application string   `json:"mr3Application"`
		AMs         []string `json:"dagAppMasterDeployments"`
		Stale       []string `json:"staleDagAppMasterDeployments"`
		Workers     []any    `json:"containerWorkers"`
		MR3Objects  []string `json:"mr3Objects"`
		NotTied     []string `json:"unattributed"`
	}
	if err := json.Unmarshal([]byte(js[:strings.LastIndex(js, "}")+1]), &rep); err != nil {
		t.Fatalf("status -o json: %v\n%s", err, js)
	}
	if rep.Application != pinned.ApplicationID() || len(rep.AMs) != len(timestamps) || len(rep.Stale) != len(timestamps)-1 ||
		len(rep.Workers) != len(workers) || len(rep.MR3Objects) != len(timestamps)+3 || len(rep.NotTied) != 0 {
		t.Errorf("status after %d tokens: %+v", len(timestamps), rep)
	}

	var tdOut bytes.Buffer
	o := e.teardownOptions("rt", &tdOut)
	var shown string
	o.Confirm = func(p *teardown.Plan) (bool, error) { shown = p.Summary(); return true, nil }
	if _, err := o.Run(context.Background()); err != nil {
		t.Fatalf("teardown: %v\n%s", err, tdOut.String())
	}
	for _, ts := range timestamps {
		if !strings.Contains(shown, "deployment/mr3master-spark-"+ts+"-0") {
			t.Errorf("teardown plan lacks the DAGAppMaster of %s:\n%s", ts, shown)
		}
	}
	var left []string
	for _, ts := range timestamps {
		left = append(left, e.teardownLeftovers(t, "rt", ts, append(workers, teardownSharedNames...)...)...)
	}
	if len(left) > 0 {
		t.Errorf("left after teardown: %v\n%s", left, tdOut.String())
	}
}

// TestTimestampUniquePerNamespace: a second release may not pin the timestamp of the first
// (exit 2, naming the first release and the fix); a generated one is always free.
func TestTimestampUniquePerNamespace(t *testing.T) {
	e := teardownNewEnv(t)
	p := newPluginProc(t, e.c.Kubeconfig())
	run := func(code int, args ...string) string { t.Helper(); return rotationRun(t, p, e, code, args...) }
	run(0, "install", "ua", "--set", "drivers[0].name=ua1", "--wait=false")
	a := rotationToken(t, e, "ua")
	// ub has its own AM Service and master labels: two releases in one namespace.
	ub := []string{"install", "ub", "--set", "drivers[0].name=ub1", "--wait=false", "--set", "mr3.amService.name=mr3-ub", "--set", "mr3.masterLabels.sparkmr3_app=mr3-ub"}
	out := run(2, append(ub,
		"--set", "token.clientToAMTokenKey=ub-key", "--set", "token.applicationIdTimestamp="+strconv.FormatInt(a.Timestamp, 10))...)
	for _, want := range []string{"timestamp " + strconv.FormatInt(a.Timestamp, 10) + " is already used", `release "ua" (Secret ua-mr3-token)`, "leave token.clientToAMTokenKey and token.applicationIdTimestamp empty"} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal lacks %q:\n%s", want, out)
		}
	}
	if _, err := e.helm.Releases.Last("ub"); err == nil {
		t.Error("the refused install left a release record")
	}
	if _, err := e.cs.AppsV1().StatefulSets(e.ns).Get(context.Background(), driverObjectName("ub", "ub1"), metav1.GetOptions{}); err == nil {
		t.Error("the refused install created a driver")
	}
	run(0, ub...)
	if b := rotationToken(t, e, "ub"); b.Timestamp == a.Timestamp {
		t.Errorf("generated timestamp %d equals release ua's", b.Timestamp)
	}
	// teardown --dry-run: the plan on stdout, no --yes needed, nothing deleted.
	out = run(0, "teardown", "ua", "--dry-run")
	if !strings.Contains(out, "statefulset/"+driverObjectName("ua", "ua1")) || !strings.Contains(out, "dry run: nothing was deleted") {
		t.Errorf("teardown --dry-run:\n%s", out)
	}
	if _, err := e.helm.Releases.Last("ua"); err != nil {
		t.Errorf("teardown --dry-run removed the release: %v", err)
	}
	if _, err := e.cs.AppsV1().StatefulSets(e.ns).Get(context.Background(), driverObjectName("ua", "ua1"), metav1.GetOptions{}); err != nil {
		t.Errorf("teardown --dry-run deleted a driver: %v", err)
	}
	// A DAGAppMaster of another MR3 application holds its timestamp too.
	e.teardownSimulateMR3(t, "hive", "31337", "beef", map[string]string{"app": "hive"}, 0, 0, false)
	out = run(2, "upgrade", "ub", "--reuse-values", "--rotate-token", "--wait=false",
		"--set", "token.clientToAMTokenKey=x", "--set", "token.applicationIdTimestamp=31337")
	if !strings.Contains(out, "Deployment mr3master-spark-31337-0") {
		t.Errorf("refusal does not name the DAGAppMaster:\n%s", out)
	}
}
