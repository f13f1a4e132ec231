package manifest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// FuzzRead checks that no input crashes the reader, that limits hold, that what Read
// accepts survives a Write/Read round trip unchanged, and that Rewrite (go-yaml's writer)
// writes each document so that it reads back as the same values.
func FuzzRead(f *testing.F) {
	f.Add([]byte(helmOutput))
	f.Add([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n---\n---\n"))
	f.Add([]byte("--- # c\n- a\n"))
	f.Add([]byte("a: &x [*x]\n"))
	lim := Limits{MaxBytes: 1 << 16, MaxDocumentBytes: 1 << 14, MaxDocuments: 64}
	f.Fuzz(func(t *testing.T, in []byte) {
		docs, err := Parse(in, lim)
		if err != nil {
			return
		}
		if len(docs) > lim.MaxDocuments {
			t.Fatalf("%d documents over the limit", len(docs))
		}
		for _, d := range docs {
			checkUnstructured(t, d) // the same values as helm's YAML→JSON path
		}
		var out bytes.Buffer
		if err := Write(&out, docs); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out.Bytes(), Limits{})
		if err != nil {
			t.Fatalf("re-read of written output failed: %v\n%s", err, out.Bytes())
		}
		if len(again) != len(docs) {
			t.Fatalf("round trip: %d documents, then %d", len(docs), len(again))
		}
		for i := range docs {
			if docs[i].Ref() != again[i].Ref() || docs[i].Source != again[i].Source {
				t.Fatalf("round trip changed document %d: %s@%s → %s@%s", i+1, docs[i].Ref(), docs[i].Source, again[i].Ref(), again[i].Source)
			}
			d := again[i]
			if err := d.Rewrite(); err != nil {
				if strings.Contains(err.Error(), "merge key") {
					continue // refused, never written wrong
				}
				t.Fatalf("Rewrite document %d: %v", i+1, err)
			}
			re, err := Parse(d.Raw, Limits{})
			if err != nil || len(re) != 1 {
				t.Fatalf("re-read of rewritten document %d: %d documents, %v\n%s", i+1, len(re), err, d.Raw)
			}
			if !reflect.DeepEqual(re[0].Object(), docs[i].Object()) || re[0].Source != docs[i].Source {
				t.Fatalf("rewritten document %d reads back differently\n%s\nfrom\n%s", i+1, d.Raw, docs[i].Raw)
			}
		}
	})
}
