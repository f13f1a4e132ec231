// Package manifest owns reading and writing multi-document YAML manifest streams as helm
// renders them: it splits the stream into documents, keeps the template path from helm's
// "# Source:" comments for messages, decodes documents into typed or unstructured objects,
// and writes them back byte for byte (or, for a document a caller changed, re-encoded by
// go-yaml). Documents are read as helm reads them: sigs.k8s.io/yaml's YAML→JSON (go-yaml v2,
// YAML 1.1), then the API machinery's JSON reader; the YAML helm's templates write is read
// by fastParse instead, with the same values, because P2 misses without it (fastyaml.go).
// Reading is bounded: a stream, a document and a count of documents each have a limit, so a
// hostile or runaway input fails early instead of eating memory.
package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// Default limits. A 500-driver release renders to about 4 MiB; a Kubernetes object is at most
// about 1.5 MiB in etcd. The limits leave room for both and still bound memory.
const (
	DefaultMaxBytes         = 64 << 20
	DefaultMaxDocumentBytes = 4 << 20
	DefaultMaxDocuments     = 50000
)

// Limits bound what Read accepts. Zero fields take the defaults.
type Limits struct {
	// MaxBytes is the largest stream accepted.
	MaxBytes int64
	// MaxDocumentBytes is the largest single document accepted.
	MaxDocumentBytes int
	// MaxDocuments is the largest number of non-empty documents accepted.
	MaxDocuments int
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxDocumentBytes <= 0 {
		l.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if l.MaxDocuments <= 0 {
		l.MaxDocuments = DefaultMaxDocuments
	}
	return l
}

// Head is what every Kubernetes object starts with: enough to route a document without
// decoding all of it.
type Head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// Name is metadata.name.
func (h Head) Name() string { return h.Metadata.Name }

// Namespace is metadata.namespace.
func (h Head) Namespace() string { return h.Metadata.Namespace }

// Document is one non-empty document of a manifest stream.
type Document struct {
	// Index is the 1-based position of the document among the non-empty documents of the
	// stream; messages use it as "document N".
	Index int
	// Source is the template path from helm's "# Source:" comment, or "" when there is none
	// (kustomize output, hand-written files).
	Source string
	// Raw is the document's text as read, comments included, without the "---" separator.
	Raw []byte
	// Head is the document's apiVersion, kind and metadata name/namespace.
	Head Head

	// obj is Raw decoded once into JSON-compatible values (map[string]any, []any, string,
	// int64, float64, bool, nil), the form Decode and Unstructured start from.
	obj map[string]any
	// json is Raw as JSON (sigs.k8s.io/yaml's YAMLToJSON) when the library read it, kept for
	// Decode; nil when fastParse read it or once a caller may have changed obj (Object).
	json []byte
	// many: the stream has at least manyOfAKind documents of this kind (see Decode).
	many bool
}

// manyOfAKind is where the unstructured converter's one-time cost per kind pays off (Decode).
const manyOfAKind = 32

// Ref names the object for messages: "StatefulSet/spark1".
func (d *Document) Ref() string {
	return d.Head.Kind + "/" + d.Head.Name()
}

// Where says where the document came from: "document 3 (spark-mr3/templates/driver.yaml)".
func (d *Document) Where() string {
	if d.Source == "" {
		return fmt.Sprintf("document %d", d.Index)
	}
	return fmt.Sprintf("document %d (%s)", d.Index, d.Source)
}

// Decode decodes the document into a typed object (e.g. *appsv1.StatefulSet). Unknown fields
// are ignored, as the API server would for a lenient client. It decodes in one of two ways
// with the same result (encoding/json's rules: json tags, no int/float/string/bool cross
// conversions, UnmarshalJSON for Quantity-like types):
//   - a kind with few documents in the stream goes through encoding/json, from the JSON Read
//     made of the document;
//   - a kind with manyOfAKind or more goes through the API machinery's unstructured converter,
//     about twice as fast per object and with far less garbage, but whose first conversion of
//     a kind builds reflection caches for the whole type (~5–10 ms for a StatefulSet), which a
//     post-renderer process of a small release would pay on every helm render
//     (docs/PERFORMANCE.md, P2).
func (d *Document) Decode(into any) error {
	var err error
	if d.many {
		err = runtime.DefaultUnstructuredConverter.FromUnstructured(d.obj, into)
	} else {
		b := d.json
		if b == nil {
			b, err = json.Marshal(d.obj)
		}
		if err == nil {
			err = json.Unmarshal(b, into)
		}
	}
	if err != nil {
		return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("decode %s: %w", d.Ref(), err)}
	}
	return nil
}

// Unstructured decodes the document into an unstructured object (a copy the caller owns).
func (d *Document) Unstructured() (*unstructured.Unstructured, error) {
	return &unstructured.Unstructured{Object: runtime.DeepCopyJSON(d.obj)}, nil
}

// DocumentError is an error about one document; it names the document's index and source.
type DocumentError struct {
	Index  int
	Source string
	Err    error
}

func (e *DocumentError) Error() string {
	if e.Source == "" {
		return fmt.Sprintf("manifest document %d: %v", e.Index, e.Err)
	}
	return fmt.Sprintf("manifest document %d (%s): %v", e.Index, e.Source, e.Err)
}

func (e *DocumentError) Unwrap() error { return e.Err }

// ErrTooLarge is wrapped by the errors Read returns when a limit is exceeded.
var ErrTooLarge = errors.New("manifest too large")

// Parse reads a manifest held in memory; see Read.
func Parse(data []byte, lim Limits) ([]*Document, error) {
	return Read(bytes.NewReader(data), lim)
}

// Read splits a manifest stream into its non-empty documents. Documents are separated by
// lines that are exactly "---" (trailing blanks or a comment allowed). Documents holding only
// comments and blanks are dropped, as helm and kubectl do. Each document must be a YAML
// mapping with kind and metadata.name; a List is rejected (helm never renders one) so that
// rules see every object.
func Read(r io.Reader, lim Limits) ([]*Document, error) {
	lim = lim.withDefaults()
	// Reading one byte past the limit tells "exactly at the limit" from "over it".
	lr := &io.LimitedReader{R: r, N: lim.MaxBytes + 1}
	br := bufio.NewReaderSize(lr, 64<<10)

	var (
		docs    []*Document
		cur     bytes.Buffer
		source  string
		content bool // the current document has a non-comment, non-blank line
	)
	flush := func() error {
		defer func() {
			cur.Reset()
			source, content = "", false
		}()
		if !content {
			return nil
		}
		if len(docs) >= lim.MaxDocuments {
			return fmt.Errorf("%w: more than %d documents; split the release or raise the limit", ErrTooLarge, lim.MaxDocuments)
		}
		docs = append(docs, &Document{Index: len(docs) + 1, Source: source, Raw: bytes.Clone(cur.Bytes())})
		return nil
	}

	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: keep reading it piecewise into the document.
			for errors.Is(err, bufio.ErrBufferFull) {
				cur.Write(line)
				if cur.Len() > lim.MaxDocumentBytes {
					return nil, docTooLarge(len(docs)+1, source, lim)
				}
				line, err = br.ReadSlice('\n')
			}
			content = true
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
		if lr.N <= 0 {
			return nil, fmt.Errorf("%w: the stream is larger than %d bytes; raise the limit or render fewer drivers per release", ErrTooLarge, lim.MaxBytes)
		}
		if isSeparator(line) {
			if ferr := flush(); ferr != nil {
				return nil, ferr
			}
		} else if len(line) > 0 {
			cur.Write(line)
			if cur.Len() > lim.MaxDocumentBytes {
				return nil, docTooLarge(len(docs)+1, source, lim)
			}
			trimmed := bytes.TrimSpace(line)
			switch {
			case len(trimmed) == 0:
			case trimmed[0] == '#':
				if s, ok := sourceComment(trimmed); ok && source == "" {
					source = s
				}
			default:
				content = true
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if err := parseAll(docs); err != nil {
		return nil, err
	}
	perKind := map[string]int{}
	for _, d := range docs {
		perKind[d.Head.Kind]++
	}
	for _, d := range docs {
		d.many = perKind[d.Head.Kind] >= manyOfAKind
	}
	return docs, nil
}

// parseAll parses documents on all CPUs: YAML decoding is most of a post-render's time and
// documents are independent. The error reported is the one of the first bad document.
func parseAll(docs []*Document) error {
	errs := make([]error, len(docs))
	Parallel(len(docs), func(i int) { errs[i] = docs[i].parse() })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Parallel calls f(0) … f(n-1) on all CPUs (one goroutine for a handful of items) and returns
// when every call has. Calls must not depend on each other.
func Parallel(n int, f func(i int)) {
	workers := min(goruntime.GOMAXPROCS(0), n/8+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

func docTooLarge(index int, source string, lim Limits) error {
	return &DocumentError{Index: index, Source: source,
		Err: fmt.Errorf("%w: document is larger than %d bytes (Kubernetes objects are at most ~1.5 MiB)", ErrTooLarge, lim.MaxDocumentBytes)}
}

// isSeparator reports whether line is a document separator: "---" alone, or followed by
// blanks or a comment. "--- |" style inline content is not used by helm and is not accepted.
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

func sourceComment(trimmed []byte) (string, bool) {
	s := strings.TrimSpace(strings.TrimPrefix(string(trimmed), "#"))
	if v, ok := strings.CutPrefix(s, "Source:"); ok {
		return strings.TrimSpace(v), true
	}
	return "", false
}

// parse reads Raw as helm does (libraryParse); fastParse takes what helm's templates write,
// with the same result, faster.
func (d *Document) parse() error {
	var (
		v any
		j []byte
	)
	if obj, ok := fastParse(d.Raw); ok {
		v = obj
	} else {
		var err error
		if j, err = yaml.YAMLToJSON(d.Raw); err == nil {
			err = utiljson.Unmarshal(j, &v)
		}
		if err != nil {
			return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("invalid YAML: %w", err)}
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &DocumentError{Index: d.Index, Source: d.Source,
			Err: fmt.Errorf("a document must be a YAML mapping (a Kubernetes object), got %s", describe(v))}
	}
	if err := readHead(obj, &d.Head); err != nil {
		return &DocumentError{Index: d.Index, Source: d.Source,
			Err: fmt.Errorf("read apiVersion/kind/metadata: %w", err)}
	}
	switch {
	case d.Head.Kind == "":
		return &DocumentError{Index: d.Index, Source: d.Source, Err: errors.New("object has no kind; every document must be a Kubernetes object")}
	case d.Head.APIVersion == "":
		return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("%s object has no apiVersion", d.Head.Kind)}
	case strings.HasSuffix(d.Head.Kind, "List"):
		return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("%s is not supported: write each object as its own document", d.Head.Kind)}
	case d.Head.Name() == "":
		return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("%s object has no metadata.name (generateName is not supported in a release)", d.Head.Kind)}
	}
	d.obj, d.json = obj, j
	return nil
}

// libraryParse reads a document as helm does: sigs.k8s.io/yaml's YAMLToJSON (go-yaml v2, YAML
// 1.1), then the API machinery's JSON reader (int64 for integers, float64 for other numbers),
// the values unstructured objects hold.
func libraryParse(raw []byte) (any, error) {
	j, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	var v any
	if err := utiljson.Unmarshal(j, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// readHead fills h from a decoded object, with encoding/json's strictness: a field that is
// present must have the right type (null counts as absent).
func readHead(obj map[string]any, h *Head) error {
	str := func(m map[string]any, key, path string) (string, error) {
		switch v := m[key].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		default:
			return "", fmt.Errorf("%s is %s, not a string", path, describe(v))
		}
	}
	var err error
	if h.APIVersion, err = str(obj, "apiVersion", "apiVersion"); err != nil {
		return err
	}
	if h.Kind, err = str(obj, "kind", "kind"); err != nil {
		return err
	}
	switch md := obj["metadata"].(type) {
	case nil:
	case map[string]any:
		if h.Metadata.Name, err = str(md, "name", "metadata.name"); err != nil {
			return err
		}
		if h.Metadata.Namespace, err = str(md, "namespace", "metadata.namespace"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("metadata is %s, not a mapping", describe(md))
	}
	return nil
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case string:
		return "a string"
	case map[string]any:
		return "a mapping"
	default:
		return "a scalar"
	}
}

// Object returns the document's values as decoded by Read (map[string]any, []any, string,
// int64, float64, bool, nil). The map is the document's own: a caller may change it, then call
// Rewrite so that Raw (what Write writes) says the same; Decode and Unstructured read the
// changed values.
func (d *Document) Object() map[string]any {
	d.json = nil
	return d.obj
}

// Rewrite sets Raw from the document's values (see Object), keeping the comment lines that
// opened the document and helm's "# Source:" (Source stays what Read found), and refreshes
// Head. go-yaml v2 writes the values,
// as sigs.k8s.io/yaml and kubectl do (block style, keys in go-yaml's sorted order, strings
// quoted where YAML would read them as something else, long ones folded at 80 columns);
// reading the result gives back the same values.
func (d *Document) Rewrite() error {
	var head []byte
	rest := d.Raw
	for len(rest) > 0 {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line = rest[:i+1]
		}
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			break
		}
		if len(t) > 0 {
			head = append(head, t...)
			head = append(head, '\n')
		}
		rest = rest[len(line):]
	}
	if d.Source != "" && !hasSourceComment(head) {
		// The "# Source:" Read took came after the first value: keep it, first.
		head = append([]byte("# Source: "+d.Source+"\n"), head...)
	}
	raw, err := AppendYAML(head, d.obj)
	if err != nil {
		return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("write %s: %w", d.Ref(), err)}
	}
	if err := readHead(d.obj, &d.Head); err != nil {
		return &DocumentError{Index: d.Index, Source: d.Source, Err: fmt.Errorf("read apiVersion/kind/metadata: %w", err)}
	}
	d.Raw, d.json = raw, nil
	return nil
}

func hasSourceComment(head []byte) bool {
	for line := range bytes.Lines(head) {
		if _, ok := sourceComment(bytes.TrimSpace(line)); ok {
			return true
		}
	}
	return false
}

// Write writes documents as a manifest stream, each introduced by "---". Raw text is written
// unchanged, so reading and writing a stream keeps its comments and formatting.
func Write(w io.Writer, docs []*Document) error {
	bw := bufio.NewWriter(w)
	for i, d := range docs {
		bw.WriteString("---\n")
		bw.Write(d.Raw)
		// A line break ends a document before the next "---"; after the last one it would
		// change a block scalar that ends the input without one ("k: |\n  v" reads "v").
		if n := len(d.Raw); n > 0 && d.Raw[n-1] != '\n' && i < len(docs)-1 {
			bw.WriteByte('\n')
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	return nil
}

// FromObject makes a Document from a typed or unstructured object, e.g. to add an object in a
// test or an overlay. The object must carry apiVersion and kind.
func FromObject(obj any, source string) (*Document, error) {
	raw, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode object as YAML: %w", err)
	}
	if source != "" {
		raw = append([]byte("# Source: "+source+"\n"), raw...)
	}
	d := &Document{Index: 1, Source: source, Raw: raw}
	if err := d.parse(); err != nil {
		return nil, err
	}
	return d, nil
}
