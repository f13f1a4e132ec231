package outside

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

const (
	siteInside  = "<configuration><property><name>mr3.k8s.am.service.host</name><value>mr3</value></property></configuration>\n"
	siteOutside = "<configuration><property><name>mr3.k8s.am.service.host</name><value>192.0.2.7</value></property></configuration>\n"
	relEnvSh    = "SPARK_MR3_NAMESPACE='ns'\nSPARK_CONF_DIR_CONFIGMAP='r1-conf'\nDOCKER_SPARK_IMG='img:1'\nexport AWS_SECRET_ACCESS_KEY='s3cr3t'\n"
)

func relLabels(c string) map[string]string {
	return map[string]string{"app.kubernetes.io/instance": "r1", "app.kubernetes.io/component": c}
}

func confMap(withOutside bool) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "r1-conf", Namespace: "ns", Labels: relLabels("conf")},
		Data: map[string]string{"mr3-site.xml": siteInside, "spark-defaults.conf": "spark.executor.cores 1\n", "core-site.xml": "<configuration/>\n"}}
	if withOutside {
		cm.Data["mr3-site-outside.xml"] = siteOutside
	}
	return cm
}

func releaseFiles(t *testing.T, withOutside bool) *ReleaseFiles {
	t.Helper()
	cs := fake.NewClientset(confMap(withOutside),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "r1-env", Namespace: "ns", Labels: relLabels("conf")}, Data: map[string][]byte{"env.sh": []byte(relEnvSh)}})
	r, err := ReadReleaseFiles(context.Background(), cs, "ns", "r1", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReadReleaseFiles(t *testing.T) {
	r := releaseFiles(t, true)
	if r.Fullname() != "r1" || r.EnvSecret != "r1-env" || string(r.EnvSh) != relEnvSh {
		t.Fatalf("%+v", r)
	}
	// No env Secret: the message names it and the fix.
	_, err := ReadReleaseFiles(context.Background(), fake.NewClientset(confMap(true)), "ns", "r1", nil)
	if err == nil || !strings.Contains(err.Error(), "no Secret r1-env") || !strings.Contains(err.Error(), "helm sparkmr3 upgrade r1 -n ns") {
		t.Fatalf("got %v", err)
	}
	_, err = ReadReleaseFiles(context.Background(), fake.NewClientset(), "ns", "r1", nil)
	if err == nil || !strings.Contains(err.Error(), `release "r1" has no conf ConfigMap in namespace "ns"`) {
		t.Fatalf("got %v", err)
	}
}

func TestConfFilesUseTheOutsideSite(t *testing.T) {
	files, err := releaseFiles(t, true).ConfFiles()
	if err != nil {
		t.Fatal(err)
	}
	if string(files["mr3-site.xml"]) != siteOutside || files["mr3-site-outside.xml"] != nil || string(files["spark-defaults.conf"]) == "" || len(files) != 3 {
		t.Fatalf("files %v", files)
	}
	_, err = releaseFiles(t, false).ConfFiles()
	var refused *Refusal
	if !errors.As(err, &refused) || !strings.Contains(err.Error(), "ConfigMap r1-conf of release \"r1\" has no mr3-site-outside.xml") ||
		!strings.Contains(err.Error(), "--set outsideDrivers.enabled=true") {
		t.Fatalf("got %v", err)
	}
}

func readAll(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&os.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteBaseDir(t *testing.T) {
	conf := map[string][]byte{"mr3-site.xml": []byte(siteOutside), "spark-defaults.conf": []byte("a 1\n")}
	env := []byte(relEnvSh)

	t.Run("fresh", func(t *testing.T) {
		dir := t.TempDir()
		w, err := WriteBaseDir(dir, env, conf)
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, dir)
		want := map[string]string{"env.sh": relEnvSh, "conf/mr3-site.xml": siteOutside, "conf/spark-defaults.conf": "a 1\n"}
		if len(got) != len(want) {
			t.Fatalf("files %v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		if fi, _ := os.Stat(filepath.Join(dir, "env.sh")); fi.Mode().Perm() != 0o600 {
			t.Errorf("env.sh mode %v, want 0600", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(filepath.Join(dir, "conf")); fi.Mode().Perm() != 0o755 {
			t.Errorf("conf mode %v", fi.Mode().Perm())
		}
		if strings.Join(w.Files, ",") != "mr3-site.xml,spark-defaults.conf" || len(w.Extra) != 0 {
			t.Errorf("%+v", w)
		}
	})

	t.Run("over old files and symlinks, which are replaced, not followed", func(t *testing.T) {
		dir := t.TempDir()
		victim := filepath.Join(t.TempDir(), "victim")
		if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		must(t, os.WriteFile(filepath.Join(dir, "env.sh"), []byte("SPARK_MR3_NAMESPACE=sparkmr3\n"), 0o644))
		must(t, os.Mkdir(filepath.Join(dir, "conf"), 0o755))
		must(t, os.Symlink(victim, filepath.Join(dir, "conf", "mr3-site.xml")))
		must(t, os.WriteFile(filepath.Join(dir, "conf", "hive-site.xml"), []byte("stale"), 0o644))
		must(t, os.Remove(filepath.Join(dir, "env.sh")))
		must(t, os.Symlink(victim, filepath.Join(dir, "env.sh")))
		w, err := WriteBaseDir(dir, env, conf)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(victim); string(b) != "keep" {
			t.Fatalf("a symlink was followed: the victim holds %q", b)
		}
		if fi, _ := os.Lstat(filepath.Join(dir, "env.sh")); fi.Mode()&os.ModeSymlink != 0 || fi.Mode().Perm() != 0o600 {
			t.Fatalf("env.sh: %v", fi.Mode())
		}
		got := readAll(t, dir)
		if got["conf/mr3-site.xml"] != siteOutside || got["env.sh"] != relEnvSh || got["conf/hive-site.xml"] != "stale" {
			t.Fatalf("files %v", got)
		}
		if strings.Join(w.Extra, ",") != "hive-site.xml" {
			t.Fatalf("extra %v", w.Extra)
		}
		// No temporary file is left beside them.
		entries, _ := os.ReadDir(dir)
		if len(entries) != 2 {
			t.Fatalf("left behind: %v", entries)
		}
	})

	refusals := []struct {
		name  string
		setup func(dir string) string // returns the dir to write
		want  string
	}{
		{"missing dir", func(dir string) string { return filepath.Join(dir, "nope") }, "does not exist: give MR3's BASE_DIR"},
		{"dir is a file", func(dir string) string {
			p := filepath.Join(dir, "file")
			must(t, os.WriteFile(p, nil, 0o644))
			return p
		}, "is not a directory"},
		{"conf is a symlink", func(dir string) string {
			must(t, os.Symlink(t.TempDir(), filepath.Join(dir, "conf")))
			return dir
		}, "conf is a symbolic link"},
		{"conf is a file", func(dir string) string {
			must(t, os.WriteFile(filepath.Join(dir, "conf"), nil, 0o644))
			return dir
		}, "conf is not a directory"},
		{"a conf file is a directory", func(dir string) string {
			must(t, os.MkdirAll(filepath.Join(dir, "conf", "spark-defaults.conf"), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "conf", "mr3-site.xml"), []byte("old"), 0o644))
			return dir
		}, "spark-defaults.conf is a directory"},
		{"env.sh is a directory", func(dir string) string {
			must(t, os.Mkdir(filepath.Join(dir, "env.sh"), 0o755))
			return dir
		}, "env.sh is a directory"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir := tc.setup(root)
			before := readAll(t, root)
			_, err := WriteBaseDir(dir, env, conf)
			var refused *Refusal
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a Refusal with %q", err, tc.want)
			}
			after := readAll(t, root)
			if len(after) != len(before) {
				t.Fatalf("something was written: %v -> %v", before, after)
			}
			for k, v := range before {
				if after[k] != v {
					t.Fatalf("%s changed", k)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestBaseDirCheck(t *testing.T) {
	write := func(dir, name, text string) {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600))
	}
	rel := releaseFiles(t, true)
	tests := []struct {
		name     string
		envSh    string
		site     string
		environ  map[string]string
		mismatch []string // variables
		warn     string
	}{
		{"as written by --write-dir", relEnvSh, siteOutside, nil, nil, ""},
		{"namespace from the environment", "SPARK_CONF_DIR_CONFIGMAP='r1-conf'\nDOCKER_SPARK_IMG='img:1'\n", siteOutside, map[string]string{"SPARK_MR3_NAMESPACE": "ns"}, nil, ""},
		{"namespace unset", "SPARK_CONF_DIR_CONFIGMAP='r1-conf'\nDOCKER_SPARK_IMG='img:1'\n", siteOutside, nil, []string{"SPARK_MR3_NAMESPACE"}, ""},
		{"env.sh wins over the environment", "SPARK_MR3_NAMESPACE=sparkmr3\nSPARK_CONF_DIR_CONFIGMAP=r1-conf\nDOCKER_SPARK_IMG=img:1\n", siteOutside,
			map[string]string{"SPARK_MR3_NAMESPACE": "ns"}, []string{"SPARK_MR3_NAMESPACE"}, ""},
		{"expansions followed", "IMG=img\nSPARK_MR3_NAMESPACE=${NS:-ns}\nSPARK_CONF_DIR_CONFIGMAP=r1-conf\nDOCKER_SPARK_IMG=\"$IMG:1\"\n", siteOutside, nil, nil, ""},
		{"passed variable assigned", relEnvSh + "DRIVER_NAME=x\n", siteOutside, nil, []string{"DRIVER_NAME"}, ""},
		{"site differs", relEnvSh, siteInside, nil, nil, `mr3.k8s.am.service.host is "mr3" here, "192.0.2.7" in the release`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(dir, "env.sh", tc.envSh)
			write(dir, "conf/mr3-site.xml", tc.site)
			b, err := ReadBaseDir(dir, "r1", "ns")
			if err != nil {
				t.Fatal(err)
			}
			ms, warnings, err := b.Check(rel, tc.environ)
			if err != nil {
				t.Fatal(err)
			}
			var vars []string
			for _, m := range ms {
				vars = append(vars, m.Var)
			}
			if strings.Join(vars, ",") != strings.Join(tc.mismatch, ",") {
				t.Fatalf("mismatches %v, want %v", ms, tc.mismatch)
			}
			if tc.warn == "" && len(warnings) > 0 || tc.warn != "" && (len(warnings) != 1 || !strings.Contains(warnings[0], tc.warn)) {
				t.Fatalf("warnings %q, want %q", warnings, tc.warn)
			}
		})
	}
}

func TestDriverDefaultsAndVars(t *testing.T) {
	sts := func(name, cores, mem string) *appsv1.StatefulSet {
		return &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: relLabels("driver")},
			Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "driver",
				Env: []corev1.EnvVar{{Name: VarDriverCores, Value: cores}, {Name: VarDriverMemoryMB, Value: mem}}}}}}}}
	}
	cores, mem, from, err := DriverDefaults(context.Background(), fake.NewClientset(sts("spark2", "4", "8192"), sts("spark1", "2", "3276")), "ns", "r1")
	if err != nil || cores != 2 || mem != 3276 || from != "driver spark1 of the release" {
		t.Fatalf("got %d %d %q %v", cores, mem, from, err)
	}
	cores, mem, from, err = DriverDefaults(context.Background(), fake.NewClientset(), "ns", "r1")
	if err != nil || cores != 1 || mem != 1024 || !strings.Contains(from, "defaults") {
		t.Fatalf("got %d %d %q %v", cores, mem, from, err)
	}
	e := Env{Namespace: "ns", Driver: Driver{Name: "gold0", Cores: 2, MemoryMB: 3276}}
	var got []string
	for _, v := range e.Vars() {
		got = append(got, v.Name+"="+v.Value)
	}
	if !strings.HasSuffix(strings.Join(got, " "), "SPARK_MR3_NAMESPACE=ns DRIVER_NAME=gold0 SPARK_DRIVER_CORES=2 SPARK_DRIVER_MEMORY_MB=3276") {
		t.Fatalf("vars %v", got)
	}
}

func TestParseDriverSize(t *testing.T) {
	for _, tc := range []struct {
		flag, in string
		want     int
		err      string
	}{
		{"--driver-cores", "2", 2, ""},
		{"--driver-cores", "0", 0, `--driver-cores "0": must be a positive integer, e.g. 2`},
		{"--driver-cores", "-3", 0, "positive integer"},
		{"--driver-cores", "1.5", 0, "positive integer"},
		{"--driver-memory-mb", "4g", 0, `--driver-memory-mb "4g": must be a positive integer, e.g. 4096 (MiB)`},
		{"--driver-memory-mb", "99999999999999999999", 0, "positive integer"},
		{"--driver-memory-mb", "4096", 4096, ""},
	} {
		n, err := ParseDriverSize(tc.flag, tc.in)
		if tc.err == "" && (err != nil || n != tc.want) || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s %s: %d %v", tc.flag, tc.in, n, err)
		}
	}
}

func TestFirstAMWarning(t *testing.T) {
	w := FirstAMWarning(context.Background(), fake.NewClientset(), "ns", "r1", "4242")
	for _, want := range []string{`no DAGAppMaster runs for release "r1" yet (no Deployment mr3master-spark-4242-0 in namespace ns)`, "helm sparkmr3 submit r1 -n ns", "without --local"} {
		if !strings.Contains(w, want) {
			t.Errorf("lacks %q: %s", want, w)
		}
	}
	for _, name := range []string{"mr3master-spark-4242-0", "mr3master-4242-0"} {
		cs := fake.NewClientset(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}})
		if w := FirstAMWarning(context.Background(), cs, "ns", "r1", "4242"); w != "" {
			t.Errorf("%s exists, got %q", name, w)
		}
	}
	// Another timestamp's DAGAppMaster is not this release's.
	cs := fake.NewClientset(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "mr3master-spark-1-0", Namespace: "ns"}})
	if w := FirstAMWarning(context.Background(), cs, "ns", "r1", "4242"); w == "" {
		t.Error("another timestamp's AM counted")
	}
}
