// Package overlay applies, without kustomize, the kustomize overlays that only add annotations,
// add labels or change images: the overlays most releases use, and the ones whose kustomize
// cost dominates a post-render (docs/PERFORMANCE.md, P2: kustomize re-parses every document
// into its own node tree and runs a name-reference pass that is quadratic in the number of
// drivers).
//
// The result is the one kustomize (sigs.k8s.io/kustomize/api, as the post-renderer runs it)
// gives for the same overlay and manifests: the same field specs (which paths of which kinds
// get annotations and labels, which fields hold images), the same creation of missing fields,
// the same image matching and rewriting, in kustomize's order. Anything else — another field
// in the kustomization, an input kustomize would treat specially or refuse — is declined with
// the reason, and the caller runs kustomize itself, which stays the reference. Differential
// tests (package postrender) run both on the chart's output and on odd inputs.
package overlay

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	goyaml "go.yaml.in/yaml/v2"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// Native is a kustomization that this package applies itself.
type Native struct {
	labels      []labelSet
	annotations map[string]string
	images      []image
}

type labelSet struct {
	pairs map[string]string
	specs []fieldSpec
}

// fieldSpec is kustomize's FieldSpec: a path in objects of a group/version/kind ("" = any).
type fieldSpec struct {
	group, version, kind string
	path                 []string
}

type image struct {
	name, newName, newTag, digest, tagSuffix string
	match                                    *regexp.Regexp // nil: matches nothing
}

// Compile reads a kustomization and returns it as a Native when every one of its fields is
// one this package applies exactly as kustomize does, with renderedFile as its only resource.
// Otherwise it returns nil and says which field is not (the caller runs kustomize).
func Compile(kustomization []byte, renderedFile string) (*Native, string) {
	var k map[string]any
	if err := goyaml.Unmarshal(kustomization, &k); err != nil {
		return nil, "the kustomization is not a YAML mapping"
	}
	n := &Native{}
	keys := make([]string, 0, len(k))
	for key := range k {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		v := k[key]
		switch key {
		case "apiVersion":
			if v != "kustomize.config.k8s.io/v1beta1" {
				return nil, fmt.Sprintf("apiVersion %v", v)
			}
		case "kind":
			if v != "Kustomization" {
				return nil, fmt.Sprintf("kind %v", v)
			}
		case "resources":
			l, ok := v.([]any)
			if !ok || len(l) != 1 || l[0] != renderedFile {
				return nil, "resources other than " + renderedFile
			}
		case "commonAnnotations":
			m, ok := stringMap(v)
			if !ok {
				return nil, "commonAnnotations that are not all strings"
			}
			if why := unsafeKey(m); why != "" {
				return nil, "commonAnnotations " + why
			}
			n.annotations = m
		case "labels":
			l, ok := v.([]any)
			if !ok && v != nil {
				return nil, "labels that are not a list"
			}
			seen := map[string]bool{}
			for _, e := range l {
				ls, why := compileLabels(e)
				if why != "" {
					return nil, why
				}
				for k := range ls.pairs {
					if seen[k] {
						// kustomize shares the value it created for the first entry among
						// every place it put it, and a later entry's value then shows up in
						// all of them, even where that entry does not apply.
						return nil, "label " + k + " in more than one labels entry"
					}
					seen[k] = true
				}
				n.labels = append(n.labels, ls)
			}
		case "images":
			l, ok := v.([]any)
			if !ok && v != nil {
				return nil, "images that are not a list"
			}
			for _, e := range l {
				im, why := compileImage(e)
				if why != "" {
					return nil, why
				}
				n.images = append(n.images, im)
			}
		default:
			return nil, "field " + key
		}
	}
	if _, ok := k["resources"]; !ok {
		return nil, "no resources"
	}
	return n, ""
}

func compileLabels(e any) (labelSet, string) {
	m, ok := e.(map[any]any)
	if !ok {
		return labelSet{}, "a labels entry that is not a mapping"
	}
	var ls labelSet
	var templates, claims bool
	for k, v := range m {
		switch k {
		case "pairs":
			p, ok := stringMap(v)
			if !ok {
				return labelSet{}, "labels pairs that are not all strings"
			}
			if why := unsafeKey(p); why != "" {
				return labelSet{}, "labels " + why
			}
			ls.pairs = p
		case "includeSelectors":
			if v != false {
				return labelSet{}, "labels with includeSelectors"
			}
		case "includeTemplates", "includeVolumeClaimTemplates":
			b, ok := v.(bool)
			if !ok {
				return labelSet{}, fmt.Sprintf("labels %v that is not a boolean", k)
			}
			if k == "includeTemplates" {
				templates = b
			} else {
				claims = b
			}
		default:
			return labelSet{}, fmt.Sprintf("labels field %v", k)
		}
	}
	ls.specs = []fieldSpec{{path: []string{"metadata", "labels"}}}
	if templates {
		ls.specs = append(ls.specs, templateLabelSpecs...)
	}
	if claims {
		ls.specs = append(ls.specs, fieldSpec{group: "apps", kind: "StatefulSet", path: []string{"spec", "volumeClaimTemplates[]", "metadata", "labels"}})
	}
	return ls, ""
}

func compileImage(e any) (image, string) {
	m, ok := e.(map[any]any)
	if !ok {
		return image{}, "an images entry that is not a mapping"
	}
	var im image
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return image{}, fmt.Sprintf("images %v that is not a string", k)
		}
		switch k {
		case "name":
			im.name = s
		case "newName":
			im.newName = s
		case "newTag":
			im.newTag = s
		case "digest":
			im.digest = s
		case "tagSuffix":
			im.tagSuffix = s
		default:
			return image{}, fmt.Sprintf("images field %v", k)
		}
	}
	if im.name == "" {
		return image{}, "an images entry without a name"
	}
	// kustomize's pattern, the name interpolated as is; one that does not compile matches
	// nothing (kustomize's IsImageMatched).
	im.match, _ = regexp.Compile("^" + im.name + `(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$`)
	return im, ""
}

func stringMap(v any) (map[string]string, bool) {
	if v == nil {
		return nil, true
	}
	m, ok := v.(map[any]any)
	if !ok {
		return nil, false
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		ks, ok1 := k.(string)
		xs, ok2 := x.(string)
		if !ok1 || !ok2 {
			return nil, false
		}
		out[ks] = xs
	}
	return out, true
}

// unsafeKey finds a key that YAML 1.1 reads, unquoted, as something else than itself ("yes",
// "n", "1:20", a date): kustomize passes the keys of these maps through a YAML writer that does
// not quote them and a YAML 1.1 reader, so "yes" comes out as "true".
func unsafeKey(m map[string]string) string {
	for k := range m {
		var v any
		if err := goyaml.Unmarshal([]byte(k), &v); err != nil || v != any(k) {
			return fmt.Sprintf("key %q", k)
		}
	}
	return ""
}

// The field specs of kustomize's built-in configuration (api/internal/konfig/
// builtinpluginconsts) for the transformers above.
var (
	commonAnnotationSpecs = append([]fieldSpec{{path: []string{"metadata", "annotations"}}},
		templateSpecs("annotations")...)
	templateLabelSpecs = templateSpecs("labels")

	imageSpecs = []fieldSpec{
		{path: []string{"spec", "containers[]", "image"}},
		{path: []string{"spec", "initContainers[]", "image"}},
		{path: []string{"spec", "volumes[]", "image", "reference"}},
		{path: []string{"spec", "template", "spec", "containers[]", "image"}},
		{path: []string{"spec", "template", "spec", "initContainers[]", "image"}},
		{path: []string{"spec", "template", "spec", "volumes[]", "image", "reference"}},
		{path: []string{"spec", "jobTemplate", "spec", "template", "spec", "volumes[]", "image", "reference"}},
	}
)

// templateSpecs are the pod-template paths kustomize gives annotations and labels. (Its
// annotation specs name StatefulSet without a group, its label specs with "apps".)
func templateSpecs(field string) []fieldSpec {
	stsGroup := ""
	if field == "labels" {
		stsGroup = "apps"
	}
	tmpl := []string{"spec", "template", "metadata", field}
	return []fieldSpec{
		{version: "v1", kind: "ReplicationController", path: tmpl},
		{kind: "Deployment", path: tmpl},
		{kind: "ReplicaSet", path: tmpl},
		{kind: "DaemonSet", path: tmpl},
		{group: stsGroup, kind: "StatefulSet", path: tmpl},
		{group: "batch", kind: "Job", path: tmpl},
		{group: "batch", kind: "CronJob", path: []string{"spec", "jobTemplate", "metadata", field}},
		{group: "batch", kind: "CronJob", path: []string{"spec", "jobTemplate", "spec", "template", "metadata", field}},
	}
}

// Declined is returned by Apply when the manifests hold something kustomize treats in a way
// this package does not reproduce; the caller then runs kustomize on the original manifests.
type Declined struct{ Reason string }

func (d *Declined) Error() string { return "applied by kustomize: " + d.Reason }

// Apply applies the overlay to docs in place, as kustomize would (labels, then annotations,
// then images, each in the kustomization's order), and rewrites the documents it changed
// (go-yaml writes them, see manifest.Document.Rewrite; documents are independent, so this runs
// on all CPUs). On *Declined the documents may be partly changed and must be thrown away; the
// reason names the first document, in stream order, that was declined.
func (n *Native) Apply(docs []*manifest.Document) error {
	if why := declineInput(docs); why != "" {
		return &Declined{Reason: why}
	}
	errs := make([]error, len(docs))
	manifest.Parallel(len(docs), func(i int) { errs[i] = n.applyOne(docs[i]) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (n *Native) applyOne(d *manifest.Document) error {
	changed, err := n.apply(d)
	if err != nil {
		return &Declined{Reason: fmt.Sprintf("%s %s: %v", d.Where(), d.Ref(), err)}
	}
	// kustomize drops an empty or null metadata.annotations (it rewrites annotations
	// without its own bookkeeping ones, and an empty set removes the field).
	if md, ok := d.Object()["metadata"].(map[string]any); ok {
		if a, ok := md["annotations"]; ok {
			if am, _ := a.(map[string]any); a == nil || (am != nil && len(am) == 0) {
				delete(md, "annotations")
				changed = true
			}
		}
	}
	if changed {
		if err := d.Rewrite(); err != nil {
			return &Declined{Reason: err.Error()}
		}
	}
	return nil
}

// declineInput finds what kustomize treats specially in its input: two objects with one id
// (kustomize refuses them) and kustomize's own bookkeeping annotations (it removes them).
func declineInput(docs []*manifest.Document) string {
	seen := make(map[string]bool, len(docs))
	for _, d := range docs {
		ns := d.Head.Namespace()
		if ns == "default" {
			ns = ""
		}
		id := d.Head.APIVersion + "|" + d.Head.Kind + "|" + ns + "|" + d.Head.Name()
		if seen[id] {
			return fmt.Sprintf("%s: a second %s", d.Where(), d.Ref())
		}
		seen[id] = true
		md, _ := d.Object()["metadata"].(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		for k := range ann {
			if strings.Contains(k, "config.kubernetes.io/") || strings.Contains(k, "config.k8s.io/") {
				return fmt.Sprintf("%s: annotation %s is kustomize's own", d.Where(), k)
			}
		}
	}
	return ""
}

func (n *Native) apply(d *manifest.Document) (bool, error) {
	obj := d.Object()
	group, version := splitAPIVersion(d.Head.APIVersion)
	changed := false
	set := func(specs []fieldSpec, kv map[string]string) error {
		if len(kv) == 0 {
			return nil
		}
		for _, fs := range specs {
			if !fs.matches(group, version, d.Head.Kind) {
				continue
			}
			c, err := setEntries(obj, fs.path, kv)
			if err != nil {
				return fmt.Errorf("%s: %w", strings.Join(fs.path, "/"), err)
			}
			changed = changed || c
		}
		return nil
	}
	for _, ls := range n.labels {
		if err := set(ls.specs, ls.pairs); err != nil {
			return false, err
		}
	}
	if err := set(commonAnnotationSpecs, n.annotations); err != nil {
		return false, err
	}
	if d.Head.Kind == "CustomResourceDefinition" {
		return changed, nil // kustomize never changes a CRD's images
	}
	for i := range n.images {
		im := &n.images[i]
		// kustomize runs two passes per image: every containers/initContainers list anywhere
		// in the object, then the image field specs.
		c, err := im.legacy(obj)
		if err != nil {
			return false, err
		}
		changed = changed || c
		for _, fs := range imageSpecs {
			c, err := im.walk(obj, fs.path)
			if err != nil {
				return false, fmt.Errorf("%s: %w", strings.Join(fs.path, "/"), err)
			}
			changed = changed || c
		}
	}
	return changed, nil
}

func splitAPIVersion(av string) (group, version string) {
	if i := strings.LastIndexByte(av, '/'); i >= 0 {
		return av[:i], av[i+1:]
	}
	return "", av
}

func (fs fieldSpec) matches(group, version, kind string) bool {
	return (fs.kind == "" || fs.kind == kind) && (fs.group == "" || fs.group == group) &&
		(fs.version == "" || fs.version == version)
}

var errShape = errors.New("a field on the path is neither a mapping nor a list")

// setEntries is kustomize's field-spec filter with creation: mappings are created (or a null
// replaced) along the path, a "name[]" segment is only followed when it exists, a list
// applies the rest of the path to each element, and the mapping at the end gets kv.
func setEntries(node any, path []string, kv map[string]string) (bool, error) {
	if len(path) == 0 {
		m, ok := node.(map[string]any)
		if !ok {
			return false, fmt.Errorf("not a mapping")
		}
		for k, v := range kv {
			m[k] = v
		}
		return true, nil
	}
	switch t := node.(type) {
	case nil:
		return false, nil
	case []any:
		changed := false
		for _, e := range t {
			c, err := setEntries(e, path, kv)
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
		return changed, nil
	case map[string]any:
		name, seq := strings.CutSuffix(path[0], "[]")
		v, ok := t[name]
		if seq {
			if !ok {
				return false, nil
			}
			return setEntries(v, path[1:], kv)
		}
		changed := false
		if v == nil {
			v = map[string]any{}
			t[name] = v
			changed = true
		}
		c, err := setEntries(v, path[1:], kv)
		return changed || c, err
	default:
		return false, errShape
	}
}

// walk follows an image field spec without creating anything and rewrites the image at its
// end.
func (im *image) walk(node any, path []string) (bool, error) {
	switch t := node.(type) {
	case nil:
		return false, nil
	case []any:
		changed := false
		for _, e := range t {
			c, err := im.walk(e, path)
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
		return changed, nil
	case map[string]any:
		name, _ := strings.CutSuffix(path[0], "[]")
		v, ok := t[name]
		if !ok {
			return false, nil
		}
		if len(path) == 1 {
			return im.update(t, name)
		}
		return im.walk(v, path[1:])
	default:
		return false, errShape
	}
}

// legacy is kustomize's first pass: the image of every element of every containers or
// initContainers list, wherever it is in the object.
func (im *image) legacy(node any) (bool, error) {
	changed := false
	switch t := node.(type) {
	case map[string]any:
		for k, v := range t {
			c, err := im.legacy(v)
			if err != nil {
				return false, err
			}
			changed = changed || c
			if k != "containers" && k != "initContainers" {
				continue
			}
			l, ok := v.([]any)
			if !ok {
				continue
			}
			for _, e := range l {
				m, ok := e.(map[string]any)
				if !ok {
					return false, fmt.Errorf("%s holds something other than mappings", k)
				}
				if _, ok := m["image"]; !ok {
					continue
				}
				c, err := im.update(m, "image")
				if err != nil {
					return false, err
				}
				changed = changed || c
			}
		}
	case []any:
		for _, e := range t {
			c, err := im.legacy(e)
			if err != nil {
				return false, err
			}
			changed = changed || c
		}
	}
	return changed, nil
}

// update rewrites m[key] as kustomize's image updater does.
func (im *image) update(m map[string]any, key string) (bool, error) {
	value, ok := m[key].(string)
	if !ok {
		return false, fmt.Errorf("%s is not a string", key)
	}
	if im.match == nil || !im.match.MatchString(value) {
		return false, nil
	}
	name, tag, digest := splitImage(value)
	if im.newName != "" {
		name = im.newName
	}
	switch {
	case im.newTag != "" && im.digest != "":
		tag, digest = im.newTag, im.digest
	case im.newTag != "":
		tag, digest = im.newTag, ""
	case im.digest != "":
		tag, digest = "", im.digest
	case im.tagSuffix != "":
		tag += im.tagSuffix
		digest = ""
	}
	if tag != "" {
		name += ":" + tag
	}
	if digest != "" {
		name += "@" + digest
	}
	if name == value {
		return false, nil
	}
	m[key] = name
	return true, nil
}

// splitImage is kustomize's image.Split: name, tag and digest of an image reference, a
// registry's ":port" not taken for a tag.
func splitImage(ref string) (name, tag, digest string) {
	search, offset := ref, 0
	if i := strings.IndexByte(ref, '/'); i > 0 {
		search, offset = ref[i:], i
	}
	id := strings.IndexByte(search, '@')
	ic := strings.IndexByte(search, ':')
	switch {
	case ic < 0 && id < 0:
		return ref, "", ""
	case id >= 0 && (id < ic || ic < 0):
		id += offset
		return ref[:id], "", ref[id+1:]
	case id >= 0 && ic >= 0:
		id += offset
		ic += offset
		return ref[:ic], ref[ic+1 : id], ref[id+1:]
	default:
		ic += offset
		return ref[:ic], ref[ic+1:], ""
	}
}
