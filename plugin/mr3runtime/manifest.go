package mr3runtime

import (
	"encoding/base64"
	"strings"

	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// HintsFromManifest reads the fullname, timestamp, master labels and the release's own objects
// from a release's rendered manifest (the Helm release record). Teardown uses it when the
// release's Secret is already gone, e.g. after an interrupted uninstall, so that MR3's objects
// can still be found.
func HintsFromManifest(namespace, release, manifest string) Query {
	q := Query{Namespace: namespace, Release: release, Refs: Refs{}}
	type object struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Data       map[string]string `json:"data"`
		StringData map[string]string `json:"stringData"`
	}
	for _, doc := range releaseutil.SplitManifests(manifest) {
		var obj object
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			continue
		}
		switch obj.Kind {
		case KindConfigMap, KindSecret, KindServiceAccount, KindClaim:
			q.Refs.Add(obj.Kind, obj.Metadata.Name)
		}
		comp := obj.Metadata.Labels[contract.LabelComponent]
		switch {
		case obj.Kind == "Secret" && (comp == contract.ComponentToken || strings.HasSuffix(obj.Metadata.Name, contract.SuffixToken)):
			ts := obj.StringData[contract.KeyTimestamp]
			if b64, ok := obj.Data[contract.KeyTimestamp]; ok && ts == "" {
				ts = decodeBase64(b64)
			}
			if ts = strings.TrimSpace(ts); ts != "" {
				q.Timestamp = ts
				q.Fullname = strings.TrimSuffix(obj.Metadata.Name, contract.SuffixToken)
			}
		case obj.Kind == "ConfigMap" && comp == contract.ComponentConf:
			l, refs, err := readSite([]byte(obj.Data[contract.FileMR3Site]))
			if len(l) > 0 {
				q.MasterLabels = l
			}
			q.Refs.Merge(refs)
			if err != nil {
				q.Problems = append(q.Problems, siteProblem("ConfigMap "+obj.Metadata.Name+" in the release record", err))
			}
		}
	}
	return q
}

// HintsFromHistory reads the hints of the newest revision, plus the timestamps and objects of
// every older one Helm kept: after a token change (--rotate-token, pinned values, helm
// rollback) the DAGAppMaster of an older timestamp is still the release's.
func HintsFromHistory(namespace, name string, revisions []*release.Release) Query {
	q := Query{Namespace: namespace, Release: name, Refs: Refs{}}
	var last *release.Release
	for _, r := range revisions {
		if r != nil && (last == nil || r.Version > last.Version) {
			last = r
		}
	}
	if last != nil {
		q = HintsFromManifest(namespace, name, last.Manifest)
	}
	seen := map[string]bool{q.Timestamp: true}
	for _, r := range revisions {
		if r == nil || r == last {
			continue
		}
		h := HintsFromManifest(namespace, name, r.Manifest)
		q.Refs.Merge(h.Refs)
		if !seen[h.Timestamp] {
			seen[h.Timestamp] = true
			q.PastTimestamps = append(q.PastTimestamps, h.Timestamp)
		}
	}
	return q
}

func decodeBase64(s string) string {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return string(b)
}
