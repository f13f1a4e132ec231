package chart_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelmTestChecksCanFail runs the `helm test` Pod's script locally with sh against a fake
// Pod (conf dir, env.sh, token env, a fake getent) and breaks one thing at a time: every check
// must be able to fail the test on its own (a check that cannot fail proves nothing).
func TestHelmTestChecksCanFail(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	r := parseRelease(t, mustRender(t, ciValues(t, "three-drivers"), pinnedToken))
	if len(r.pods) != 1 {
		t.Fatalf("want one helm test Pod, got %d", len(r.pods))
	}
	pod := r.pods[0]
	if pod.Annotations["helm.sh/hook"] != "test" || pod.Spec.RestartPolicy != "Never" {
		t.Fatalf("test Pod hook/restartPolicy: %v %s", pod.Annotations, pod.Spec.RestartPolicy)
	}
	cmd := pod.Spec.Containers[0].Command
	if len(cmd) != 3 || cmd[0] != "/bin/sh" || cmd[1] != "-c" {
		t.Fatalf("test command %q: want /bin/sh -c SCRIPT", cmd)
	}
	script := cmd[2]
	conf := r.configMaps["demo-conf"]
	envSh := r.secrets["demo-env"].Data["env.sh"]

	type fakePod struct {
		env      map[string]string
		files    map[string]string // relative to the fake root
		resolves map[string]bool
	}
	good := func() fakePod {
		p := fakePod{
			env:      map[string]string{"CLIENT_TO_AM_TOKEN_KEY": pinnedKey, "MR3_APPLICATION_ID_TIMESTAMP": pinnedTS},
			files:    map[string]string{"env/env.sh": string(envSh)},
			resolves: map[string]bool{},
		}
		for k, v := range conf.Data {
			p.files["conf/"+k] = v
		}
		for _, n := range []string{"demo-mr3", "demo-spark1", "demo-spark2", "demo-etl-nightly"} {
			p.resolves[n+"."+namespace+".svc.cluster.local"] = true
		}
		return p
	}
	run := func(t *testing.T, p fakePod) (string, error) {
		root := t.TempDir()
		for rel, text := range p.files {
			path := filepath.Join(root, rel)
			must(t, os.MkdirAll(filepath.Dir(path), 0o755))
			must(t, os.WriteFile(path, []byte(text), 0o644))
		}
		must(t, os.MkdirAll(filepath.Join(root, "conf"), 0o755))
		bin := filepath.Join(root, "bin")
		must(t, os.MkdirAll(bin, 0o755))
		var known []string
		for h, ok := range p.resolves {
			if ok {
				known = append(known, h)
			}
		}
		getent := "#!/bin/sh\ncase \"$2\" in\n" + strings.Join(append(known, "__none__"), "|") + ") echo \"10.0.0.1 $2\"; exit 0 ;;\nesac\nexit 2\n"
		must(t, os.WriteFile(filepath.Join(bin, "getent"), []byte(getent), 0o755))
		c := exec.Command(sh, "-c", script)
		c.Env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "CONF_DIR=" + filepath.Join(root, "conf"), "ENV_SH=" + filepath.Join(root, "env/env.sh")}
		for k, v := range p.env {
			c.Env = append(c.Env, k+"="+v)
		}
		out, err := c.CombinedOutput()
		return string(out), err
	}

	t.Run("healthy release passes", func(t *testing.T) {
		out, err := run(t, good())
		if err != nil || strings.Contains(out, "FAIL") {
			t.Fatalf("healthy fake Pod failed: %v\n%s", err, out)
		}
		if n := strings.Count(out, "ok "); n < 12 {
			t.Errorf("only %d checks ran:\n%s", n, out)
		}
	})

	breaks := []struct {
		name   string
		break_ func(*fakePod)
		want   string
	}{
		{"token key missing", func(p *fakePod) { delete(p.env, "CLIENT_TO_AM_TOKEN_KEY") }, "FAIL Secret demo-token has CLIENT_TO_AM_TOKEN_KEY"},
		{"timestamp zero", func(p *fakePod) { p.env["MR3_APPLICATION_ID_TIMESTAMP"] = "0" }, "FAIL Secret demo-token has a positive"},
		{"timestamp not a number", func(p *fakePod) { p.env["MR3_APPLICATION_ID_TIMESTAMP"] = "12x" }, "FAIL Secret demo-token has a positive"},
		{"mr3-site.xml missing", func(p *fakePod) { delete(p.files, "conf/mr3-site.xml") }, "FAIL ConfigMap demo-conf has mr3-site.xml"},
		{"spark-defaults.conf missing", func(p *fakePod) { delete(p.files, "conf/spark-defaults.conf") }, "FAIL ConfigMap demo-conf has spark-defaults.conf"},
		{"core-site.xml missing", func(p *fakePod) { delete(p.files, "conf/core-site.xml") }, "FAIL ConfigMap demo-conf has core-site.xml"},
		{"log4j2.properties missing", func(p *fakePod) { delete(p.files, "conf/log4j2.properties") }, "FAIL ConfigMap demo-conf has log4j2.properties"},
		{"recovery key absent", func(p *fakePod) {
			p.files["conf/mr3-site.xml"] = strings.ReplaceAll(p.files["conf/mr3-site.xml"], "mr3.dag.recovery.enabled", "mr3.other")
		}, "FAIL mr3-site.xml sets mr3.dag.recovery.enabled"},
		{"env.sh missing", func(p *fakePod) { delete(p.files, "env/env.sh") }, "FAIL Secret demo-env has env.sh"},
		{"AM Service does not resolve", func(p *fakePod) { p.resolves["demo-mr3.sparkmr3.svc.cluster.local"] = false }, "FAIL Service demo-mr3 resolves"},
		{"first driver does not resolve", func(p *fakePod) { p.resolves["demo-spark1.sparkmr3.svc.cluster.local"] = false }, "FAIL driver spark1: Service demo-spark1 resolves"},
		{"last driver does not resolve", func(p *fakePod) { p.resolves["demo-etl-nightly.sparkmr3.svc.cluster.local"] = false }, "FAIL driver etl-nightly: Service demo-etl-nightly resolves"},
	}
	for _, b := range breaks {
		t.Run(b.name, func(t *testing.T) {
			p := good()
			b.break_(&p)
			out, err := run(t, p)
			if err == nil {
				t.Fatalf("script exited 0 although %s:\n%s", b.name, out)
			}
			if !strings.Contains(out, b.want) {
				t.Errorf("output lacks %q:\n%s", b.want, out)
			}
			// A missing mr3-site.xml also fails the check that reads it; the rest stay isolated.
			want := 1
			if b.name == "mr3-site.xml missing" {
				want = 2
			}
			if n := strings.Count(out, "FAIL"); n != want {
				t.Errorf("%d checks failed, want %d (only the broken one):\n%s", n, want, out)
			}
		})
	}
}
