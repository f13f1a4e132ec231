package check

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// load reads the hand-written passing release (testdata/release.yaml).
func load(t *testing.T) *Release {
	t.Helper()
	f, err := os.Open("testdata/release.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ReadRelease(f, manifest.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func drv(t *testing.T, r *Release, name string) *Driver {
	t.Helper()
	for _, d := range r.Drivers {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no driver %s", name)
	return nil
}

func setEnv(c *corev1.Container, name, value string) {
	for i := range c.Env {
		if c.Env[i].Name == name {
			c.Env[i] = corev1.EnvVar{Name: name, Value: value}
			return
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: name, Value: value})
}

func dropEnv(c *corev1.Container, name string) {
	for i := range c.Env {
		if c.Env[i].Name == name {
			c.Env = append(c.Env[:i], c.Env[i+1:]...)
			return
		}
	}
}

type ruleCase struct {
	name   string
	mutate func(t *testing.T, r *Release)
	// want holds one substring per expected violation, in order, matched against
	// "Object [Key]: Message; fix: Fix".
	want []string
}

func runRuleCases(t *testing.T, rule string, check func(*Release) []Violation, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := load(t)
			if tc.mutate != nil {
				tc.mutate(t, r)
			}
			got := check(r)
			if len(got) != len(tc.want) {
				t.Fatalf("%d violations, want %d:\n%s", len(got), len(tc.want), lines(got))
			}
			for i, v := range got {
				if v.Rule != rule || v.Object == "" || v.Message == "" || v.Fix == "" {
					t.Errorf("incomplete violation %+v", v)
				}
				if !strings.Contains(v.String(), tc.want[i]) {
					t.Errorf("violation %d =\n  %s\nwant it to contain\n  %s", i, v, tc.want[i])
				}
			}
		})
	}
}

func lines(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	return b.String()
}

func TestGoodReleaseHasNoViolations(t *testing.T) {
	r := load(t)
	if len(r.Drivers) != 2 || r.Conf == nil || r.Conf.Outside == nil || r.Token == nil || r.AMService == nil || r.Env == nil || len(r.PVCs) != 1 {
		t.Fatalf("release not read fully: drivers=%d conf=%v token=%v am=%v env=%v pvcs=%d", len(r.Drivers), r.Conf != nil, r.Token != nil, r.AMService != nil, r.Env != nil, len(r.PVCs))
	}
	if vs := Run(r, nil); len(vs) != 0 {
		t.Fatalf("violations in the passing release:\n%s", lines(vs))
	}
}

// editEnvSh replaces old by new in the release's env.sh and runs MR3's scripts on it again.
func editEnvSh(t *testing.T, r *Release, old, new string) {
	t.Helper()
	sh := r.Env.Data[contract.FileEnvSh]
	if !strings.Contains(sh, old) {
		t.Fatalf("env.sh lacks %q", old)
	}
	r.Env.Data[contract.FileEnvSh] = strings.Replace(sh, old, new, 1)
	r.runScripts()
}

// editFiles changes the conf files as rendered and runs MR3's scripts on them again.
func editFiles(r *Release, f func(c *Conf)) {
	f(r.Conf)
	r.runScripts()
}

func TestFromManifestsProblems(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "mr3-site.xml does not parse",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration>\n  spark-defaults.conf: \"a 1\"\n",
			want: []string{"ConfigMap/c [mr3-site.xml]: ConfigMap c key mr3-site.xml does not parse: mr3-site.xml: invalid XML"}},
		{name: "spark-defaults.conf missing",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration/>\n",
			want: []string{"ConfigMap c has no key spark-defaults.conf"}},
		{name: "spark-defaults.conf and outside file do not parse",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration/>\n  mr3-site-outside.xml: <x/>\n  spark-defaults.conf: \"a 1\\na 2\"\n",
			want: []string{"key mr3-site-outside.xml does not parse", "key spark-defaults.conf does not parse: spark-defaults.conf line 2: a is set twice"}},
		{name: "wrong type in a StatefulSet",
			in:      "# Source: t.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\nspec: {replicas: many}\n",
			wantErr: "manifest document 1 (t.yaml): decode StatefulSet/s"},
		{name: "non-driver StatefulSet ignored",
			in: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  template:\n    spec:\n      containers: [{name: postgres}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadRelease(strings.NewReader(tt.in), manifest.Limits{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) != len(tt.want) {
				t.Fatalf("%d problems, want %d:\n%s", len(r.Problems), len(tt.want), lines(r.Problems))
			}
			for i, p := range r.Problems {
				if p.Rule != RuleConfFiles || !strings.Contains(p.String(), tt.want[i]) {
					t.Errorf("problem %d = %s, want %q", i, p, tt.want[i])
				}
			}
			if len(r.Drivers) != 0 {
				t.Errorf("drivers = %d, want 0", len(r.Drivers))
			}
		})
	}
}
