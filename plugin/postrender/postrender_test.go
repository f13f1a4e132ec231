package postrender

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/spark-mr3/spark-mr3/plugin/check"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// overlayFS makes an in-memory overlay directory /overlay with the given files.
func overlayFS(t *testing.T, files map[string]string) filesys.FileSystem {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	if err := fs.MkdirAll("/overlay"); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := fs.WriteFile("/overlay/"+name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	return fs
}

const kustomization = "resources:\n  - helm-output.yaml\n"

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		dir     string
		wantErr string
	}{
		{name: "no overlay", dir: ""},
		{name: "overlay", files: map[string]string{"kustomization.yaml": kustomization}, dir: "/overlay"},
		{name: "missing dir", dir: "/nope", wantErr: "--kustomize /nope: not a directory"},
		{name: "no kustomization", files: map[string]string{"x.yaml": ""}, dir: "/overlay",
			wantErr: `--kustomize /overlay: no kustomization.yaml in the directory; create one with "resources: [helm-output.yaml]"`},
		{name: "does not list helm output", files: map[string]string{"kustomization.yaml": "resources: [base.yaml]\n"}, dir: "/overlay",
			wantErr: `--kustomize /overlay: kustomization.yaml does not list helm-output.yaml under resources`},
		{name: "not yaml", files: map[string]string{"kustomization.yaml": "resources: [\n"}, dir: "/overlay",
			wantErr: "kustomization.yaml is not a kustomization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{KustomizeDir: tt.dir, FS: overlayFS(t, tt.files)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRun(t *testing.T) {
	good := genRelease(2)
	tests := []struct {
		name    string
		in      []byte
		files   map[string]string // overlay; nil for none
		check   func(t *testing.T, out []byte)
		wantErr []string // substrings; every violation must be listed
	}{
		{name: "consistent release passes unchanged", in: good,
			check: func(t *testing.T, out []byte) {
				if !bytes.Equal(out, good) {
					t.Error("output differs from helm's input")
				}
			}},
		{name: "violations fail with every one listed",
			in:      bytes.Replace(bytes.Replace(good, []byte(`value: "13107"`), []byte(`value: "16000"`), 2), []byte("name: DRIVER_NAME\n              value: \"spark2\""), []byte("name: DRIVER_NAME\n              value: \"sparkX\""), 1),
			wantErr: []string{"spark-mr3 check: 3 violations", "StatefulSet/spark1 [env SPARK_DRIVER_MEMORY_MB]", "StatefulSet/spark2 [env SPARK_DRIVER_MEMORY_MB]", `env DRIVER_NAME="sparkX"`}},
		{name: "unreadable manifest", in: []byte("# Source: spark-mr3/templates/x.yaml\nkind: [\n"),
			wantErr: []string{"read helm's rendered manifests: manifest document 1 (spark-mr3/templates/x.yaml): invalid YAML"}},
		{name: "overlay patch applied and checked",
			in: good,
			files: map[string]string{
				"kustomization.yaml": kustomization + "commonAnnotations:\n  team: data\n",
			},
			check: func(t *testing.T, out []byte) {
				docs, err := manifest.Parse(out, manifest.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				if len(docs) != 8 || !bytes.Contains(out, []byte("team: data")) {
					t.Errorf("overlay output has %d documents:\n%s", len(docs), out)
				}
			}},
		{name: "overlay that breaks a rule is refused",
			in: good,
			files: map[string]string{
				"kustomization.yaml": kustomization + "patches:\n  - path: port.yaml\n",
				"port.yaml": `apiVersion: v1
kind: Service
metadata:
  name: spark1
  namespace: ns1
spec:
  ports:
    - name: driver
      port: 9850
      protocol: TCP
      targetPort: 9851
`,
			},
			wantErr: []string{"driver-ports (1):", "StatefulSet/spark1 container driver env SPARK_DRIVER_PORT=9850, but Service/spark1 spec.ports are [9850→9851,4040→4040]"}},
		{name: "overlay whose env.sh overrides mr3-site.xml is refused",
			in: good,
			files: map[string]string{
				"kustomization.yaml": "resources:\n  - helm-output.yaml\n  - env.yaml\n",
				"env.yaml": `apiVersion: v1
kind: Secret
metadata:
  name: rel-env
  namespace: ns1
stringData:
  env.sh: |
    HADOOP_OPTS='-Dmr3.am.staging-dir=/elsewhere'
`,
			},
			wantErr: []string{"envsh-conf (1):", "Secret/rel-env [mr3-site.xml mr3.am.staging-dir]: env.sh line 1: HADOOP_OPTS='-Dmr3.am.staging-dir=/elsewhere' makes MR3's scripts pass -Dmr3.am.staging-dir=/elsewhere, but mr3-site.xml (ConfigMap rel-conf) says /opt/mr3-run/work-dir; MR3 uses /elsewhere"}},
		{name: "overlay error names the overlay",
			in:      good,
			files:   map[string]string{"kustomization.yaml": kustomization + "patches:\n  - path: missing.yaml\n"},
			wantErr: []string{"apply kustomize overlay /overlay to helm's output"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if tt.files != nil {
				opts = Options{KustomizeDir: "/overlay", FS: overlayFS(t, tt.files)}
			}
			p, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Run(bytes.NewBuffer(bytes.Clone(tt.in)))
			if len(tt.wantErr) > 0 {
				if out != nil {
					t.Error("output returned together with an error")
				}
				if err == nil {
					t.Fatal("no error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not contain %q:\n%v", w, err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, out.Bytes())
		})
	}
}

func TestViolationErrorIsTyped(t *testing.T) {
	p, _ := New(Options{})
	_, err := p.Run(bytes.NewBuffer(bytes.Replace(genRelease(1), []byte("spark.shuffle.service.port=7337"), []byte("spark.shuffle.service.port=1"), 1)))
	var ce *check.Error
	if !errors.As(err, &ce) || len(ce.Violations) != 1 || ce.Violations[0].Rule != check.RuleShuffle {
		t.Fatalf("error = %#v, want a *check.Error with one shuffle violation", err)
	}
}
