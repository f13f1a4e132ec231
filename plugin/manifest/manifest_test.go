package manifest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const helmOutput = `---
# Source: spark-mr3/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: rel-driver
  namespace: ns1
---
# Source: spark-mr3/templates/empty.yaml
# nothing rendered here
---
# Source: spark-mr3/templates/mr3-service.yaml
apiVersion: v1
kind: Service
metadata:
  name: mr3
spec:
  ports:
  - port: 9862
    targetPort: 8080
`

func TestRead(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		lim     Limits
		want    []string // "Kind/name@source"
		wantErr string
	}{
		{name: "helm output", in: helmOutput,
			want: []string{"ServiceAccount/rel-driver@spark-mr3/templates/serviceaccount.yaml", "Service/mr3@spark-mr3/templates/mr3-service.yaml"}},
		{name: "no leading separator, no source", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}",
			want: []string{"ConfigMap/a@", "ConfigMap/b@"}},
		{name: "separator with comment and blanks", in: "--- # first\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---   \n\n",
			want: []string{"ConfigMap/a@"}},
		{name: "block scalar holding dashes is not split", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: |\n    ---\n    y\n",
			want: []string{"ConfigMap/a@"}},
		{name: "empty stream", in: "", want: nil},
		{name: "only comments", in: "---\n# Source: x.yaml\n---\n", want: nil},
		{name: "invalid yaml names document and source", in: helmOutput + "---\n# Source: spark-mr3/templates/bad.yaml\nkind: [\n",
			wantErr: "manifest document 3 (spark-mr3/templates/bad.yaml): invalid YAML"},
		{name: "scalar document", in: "hello\n", wantErr: "manifest document 1: a document must be a YAML mapping (a Kubernetes object), got a string"},
		{name: "list document", in: "- a\n- b\n", wantErr: "got a list"},
		{name: "missing kind", in: "apiVersion: v1\nmetadata:\n  name: a\n", wantErr: "object has no kind"},
		{name: "missing apiVersion", in: "kind: Pod\nmetadata:\n  name: a\n", wantErr: "Pod object has no apiVersion"},
		{name: "missing name", in: "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: a-\n", wantErr: "Pod object has no metadata.name"},
		{name: "List kind rejected", in: "apiVersion: v1\nkind: List\nmetadata:\n  name: x\nitems: []\n", wantErr: "List is not supported"},
		{name: "stream over limit", in: helmOutput, lim: Limits{MaxBytes: 100}, wantErr: "the stream is larger than 100 bytes"},
		{name: "stream exactly at limit", in: helmOutput, lim: Limits{MaxBytes: int64(len(helmOutput))},
			want: []string{"ServiceAccount/rel-driver@spark-mr3/templates/serviceaccount.yaml", "Service/mr3@spark-mr3/templates/mr3-service.yaml"}},
		{name: "document over limit", in: helmOutput, lim: Limits{MaxDocumentBytes: 80}, wantErr: "manifest document 1 (spark-mr3/templates/serviceaccount.yaml): manifest too large: document is larger than 80 bytes"},
		{name: "long line over document limit", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: " + strings.Repeat("y", 200<<10) + "\n",
			lim: Limits{MaxDocumentBytes: 100 << 10}, wantErr: "document is larger than 102400 bytes"},
		{name: "long line under limit", in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: " + strings.Repeat("y", 200<<10) + "\n",
			want: []string{"ConfigMap/a@"}},
		{name: "too many documents", in: helmOutput, lim: Limits{MaxDocuments: 1}, wantErr: "more than 1 documents"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Read(strings.NewReader(tt.in), tt.lim)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Read() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read() error = %v", err)
			}
			var got []string
			for i, d := range docs {
				if d.Index != i+1 {
					t.Errorf("document %d has Index %d", i+1, d.Index)
				}
				got = append(got, d.Ref()+"@"+d.Source)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Read() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLimitErrorsWrapErrTooLarge(t *testing.T) {
	_, err := Read(strings.NewReader(helmOutput), Limits{MaxBytes: 10})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v does not wrap ErrTooLarge", err)
	}
}

func TestDecodeAndWriteRoundTrip(t *testing.T) {
	docs, err := Parse([]byte(helmOutput), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	if err := docs[1].Decode(&svc); err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Ports[0].Port != 9862 || svc.Spec.Ports[0].TargetPort.IntValue() != 8080 {
		t.Errorf("decoded Service ports = %+v", svc.Spec.Ports)
	}
	u, err := docs[0].Unstructured()
	if err != nil {
		t.Fatal(err)
	}
	if u.GetNamespace() != "ns1" || docs[0].Head.Namespace() != "ns1" {
		t.Errorf("namespace = %q / %q, want ns1", u.GetNamespace(), docs[0].Head.Namespace())
	}
	if got, want := docs[1].Where(), "document 2 (spark-mr3/templates/mr3-service.yaml)"; got != want {
		t.Errorf("Where() = %q, want %q", got, want)
	}

	var out bytes.Buffer
	if err := Write(&out, docs); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(helmOutput, "---\n# Source: spark-mr3/templates/empty.yaml\n# nothing rendered here\n", "", 1)
	if out.String() != want {
		t.Errorf("Write() =\n%s\nwant\n%s", out.String(), want)
	}
	again, err := Parse(out.Bytes(), Limits{})
	if err != nil || len(again) != len(docs) {
		t.Fatalf("re-read %d documents, err %v", len(again), err)
	}
}

func TestDecodeTypeMismatchNamesDocument(t *testing.T) {
	docs, err := Parse([]byte("# Source: t.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports: 5\n"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var svc corev1.Service
	err = docs[0].Decode(&svc)
	if err == nil || !strings.Contains(err.Error(), "manifest document 1 (t.yaml): decode Service/s") {
		t.Fatalf("Decode() error = %v", err)
	}
}

func TestFromObject(t *testing.T) {
	cm := &corev1.ConfigMap{}
	cm.APIVersion, cm.Kind, cm.Name = "v1", "ConfigMap", "c"
	d, err := FromObject(cm, "overlay/c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if d.Ref() != "ConfigMap/c" || d.Source != "overlay/c.yaml" {
		t.Errorf("FromObject() = %s from %q", d.Ref(), d.Source)
	}
	if _, err := FromObject(&corev1.ConfigMap{}, ""); err == nil {
		t.Error("FromObject() without kind succeeded")
	}
}
