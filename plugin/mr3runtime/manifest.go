package mr3runtime

import (
	"encoding/base64"
	"strings"

	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// HintsFromManifest reads the fullname, timestamp and master labels from a release's rendered
// manifest (the Helm release record). Teardown uses it when the release's Secret is already
// gone, e.g. after an interrupted uninstall, so that MR3's objects can still be found.
func HintsFromManifest(namespace, release, manifest string) Query {
	q := Query{Namespace: namespace, Release: release}
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
		comp := obj.Metadata.Labels[LabelComponent]
		switch {
		case obj.Kind == "Secret" && (comp == ComponentToken || strings.HasSuffix(obj.Metadata.Name, "-token")):
			ts := obj.StringData[KeyTimestamp]
			if b64, ok := obj.Data[KeyTimestamp]; ok && ts == "" {
				ts = decodeBase64(b64)
			}
			if ts = strings.TrimSpace(ts); ts != "" {
				q.Timestamp = ts
				q.Fullname = strings.TrimSuffix(obj.Metadata.Name, "-token")
			}
		case obj.Kind == "ConfigMap" && comp == ComponentConf:
			if v, ok := SiteProperty(obj.Data["mr3-site.xml"], KeyMasterLabels); ok {
				if l := ParseLabels(v); len(l) > 0 {
					q.MasterLabels = l
				}
			}
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
