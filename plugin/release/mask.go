package release

import (
	"bytes"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

// Masked is what a Secret's values read as in anything shown to a user.
const Masked = "********"

// MaskSecrets returns the manifest with every Secret's data and stringData values replaced
// by Masked, so a dry run can be shown without the token (or credentials) in it.
func MaskSecrets(m string) (string, error) {
	docs, err := manifest.Parse([]byte(m), manifest.Limits{})
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	for _, d := range docs {
		out.WriteString("---\n")
		if d.Head.Kind != "Secret" {
			out.Write(bytes.TrimSpace(d.Raw))
			out.WriteString("\n")
			continue
		}
		var s corev1.Secret
		if err := d.Decode(&s); err != nil {
			return "", err
		}
		for k := range s.Data {
			s.Data[k] = []byte(Masked)
		}
		for k := range s.StringData {
			s.StringData[k] = Masked
		}
		s.TypeMeta.Kind, s.TypeMeta.APIVersion = "Secret", "v1"
		if d.Source != "" {
			fmt.Fprintf(&out, "# Source: %s\n", d.Source)
		}
		b, err := yaml.Marshal(&s)
		if err != nil {
			return "", err
		}
		out.Write(b)
	}
	return out.String(), nil
}
