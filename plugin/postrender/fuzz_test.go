package postrender

import (
	"bytes"
	"testing"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// FuzzRun feeds arbitrary streams to the post-renderer: it must never crash, must return
// either output or an error (never both), and output must be helm's input unchanged.
func FuzzRun(f *testing.F) {
	f.Add(genRelease(1))
	f.Add(bytes.Replace(genRelease(1), []byte(`value: "13107"`), []byte(`value: "x"`), 1))
	f.Add([]byte("---\n# Source: a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  mr3-site.xml: <configuration/>\n"))
	p, err := New(Options{Limits: manifest.Limits{MaxBytes: 1 << 20}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := p.Run(bytes.NewBuffer(bytes.Clone(in)))
		if (out == nil) == (err == nil) {
			t.Fatalf("output %v and error %v", out != nil, err)
		}
		if err == nil && !bytes.Equal(out.Bytes(), in) {
			t.Fatal("output differs from input")
		}
	})
}
