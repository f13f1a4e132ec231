package postrender

import (
	"bytes"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/kustomize/api/resource"
)

// Remote loading. kustomize (krusty) fetches what a kustomization names by URL while it runs:
// an http(s) URL in resources, crds, patches, configMapGenerator files, … is read with an HTTP
// GET, and a git reference (github.com/org/repo//path?ref=x, https://host/repo.git,
// git@host:org/repo, ssh://, file://, git::…) is cloned by running the git program. krusty has
// no option to turn either off, so an untrusted overlay could make `check`, `postrender` or
// `install` reach any address and run git. Unless Options.AllowRemote, every kustomization
// file and every builtin generator/transformer configuration kustomize reads goes through
// remoteRef first (the file system the post-renderer gives krusty refuses the read), so
// kustomize never gets to act on a remote reference: nested local bases are checked as
// kustomize reaches them, and a remote base is refused before git could clone it.

// RemoteError refuses a kustomization that refers to something kustomize would fetch.
type RemoteError struct {
	// File is the kustomization (or generator/transformer configuration) that names Ref.
	File string
	// Field is where in the file, e.g. "resources".
	Field string
	// Ref is the remote reference as written.
	Ref string
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s: %s refers to the remote %q, which kustomize would fetch (HTTP or git clone) while rendering; remote loading is off: vendor it into the overlay and refer to the local copy, or pass --%s if you trust the overlay and every source it names",
		e.File, e.Field, e.Ref, FlagAllowRemote)
}

// kustomizationNames are the file names kustomize reads as a kustomization.
var kustomizationNames = map[string]bool{"kustomization.yaml": true, "kustomization.yml": true, "Kustomization": true}

// dataKeys hold values kustomize writes into objects or matches against them, never paths it
// loads: their subtrees are not searched (a label or literal may well be a URL). Every other
// string is, so a field kustomize adds later is refused rather than fetched.
var dataKeys = map[string]bool{
	"apiVersion": true, "kind": true, "metadata": true, "buildMetadata": true,
	"commonAnnotations": true, "commonLabels": true, "labels": true, "images": true,
	"namePrefix": true, "nameSuffix": true, "namespace": true, "replicas": true,
	"vars": true, "sortOptions": true, "generatorOptions": true, "options": true,
	"literals": true, "patch": true, "target": true, "source": true, "targets": true,
	"name": true, "behavior": true, "type": true, "fieldSpecs": true, "selectors": true,
	"helmCharts": true, "helmGlobals": true, "helmChartInflationGenerator": true,
}

// inlineKeys hold lists whose entries may be inline YAML configurations (generators,
// transformers, validators): those are searched as configurations.
var inlineKeys = map[string]bool{"generators": true, "transformers": true, "validators": true}

// scanRemote returns the first remote reference in data, a kustomization (or, with
// builtinOnly, the documents of a file that are builtin plugin configurations), or nil.
// Input that is not YAML is left to kustomize, which reports it.
func scanRemote(file string, data []byte, builtinOnly bool) *RemoteError {
	dec := goyaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return nil
		}
		m, ok := doc.(map[any]any)
		if !ok {
			continue
		}
		if builtinOnly && m["apiVersion"] != "builtin" {
			continue
		}
		if e := walkRemote(file, "", m); e != nil {
			return e
		}
	}
}

func walkRemote(file, field string, v any) *RemoteError {
	switch v := v.(type) {
	case map[any]any:
		keys := make([]string, 0, len(v))
		vals := make(map[string]any, len(v))
		for k, x := range v {
			ks := fmt.Sprint(k)
			keys = append(keys, ks)
			vals[ks] = x
		}
		sort.Strings(keys) // the same reference reported on every run
		for _, k := range keys {
			if dataKeys[k] {
				continue
			}
			f := k
			if field != "" {
				f = field + "." + k
			}
			if inlineKeys[k] {
				if e := walkInline(file, f, vals[k]); e != nil {
					return e
				}
				continue
			}
			if e := walkRemote(file, f, vals[k]); e != nil {
				return e
			}
		}
	case []any:
		for _, x := range v {
			if e := walkRemote(file, field, x); e != nil {
				return e
			}
		}
	case string:
		if ref := remoteRef(v); ref != "" {
			return &RemoteError{File: file, Field: field, Ref: ref}
		}
	}
	return nil
}

// walkInline searches a generators/transformers/validators list: an entry is a path (or
// URL), or an inline configuration searched as a whole file.
func walkInline(file, field string, v any) *RemoteError {
	list, ok := v.([]any)
	if !ok {
		return walkRemote(file, field, v)
	}
	for _, x := range list {
		s, ok := x.(string)
		if !ok || !strings.Contains(s, "\n") {
			if e := walkRemote(file, field, x); e != nil {
				return e
			}
			continue
		}
		if e := scanRemote(file, []byte(s), false); e != nil {
			e.Field = field + "[inline]." + e.Field
			return e
		}
	}
	return nil
}

// remoteRef returns s when kustomize would fetch it (also as the PATH of a generator's
// KEY=PATH), else "". Strings over several lines are inline YAML, which kustomize never
// fetches.
func remoteRef(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "\n") {
		return ""
	}
	cands := []string{s}
	if _, after, ok := strings.Cut(s, "="); ok {
		cands = append(cands, after)
	}
	for _, c := range cands {
		if isRemote(c) {
			return s
		}
	}
	return ""
}

// isRemote is kustomize's own test: an http(s) URL is read over HTTP (its loader's
// IsRemoteFile), and whatever its git.NewRepoSpecFromURL accepts is cloned. That parser is
// internal to kustomize; resource.Origin.Append runs it and sets Repo exactly when it accepts
// the path (TestIsRemote holds it to the forms kustomize documents). Anything with a URL scheme
// is refused too, since a scheme kustomize does not fetch today can only fail as a local path.
func isRemote(s string) bool {
	if filepath.IsAbs(s) {
		return false
	}
	if u, err := url.Parse(s); err == nil && (u.Scheme == "http" || u.Scheme == "https" ||
		len(u.Scheme) > 1 && strings.Contains(s, "://")) {
		return true
	}
	if strings.HasPrefix(strings.ToLower(s), "git::") {
		return true
	}
	return (&resource.Origin{}).Append(s).Repo != ""
}
