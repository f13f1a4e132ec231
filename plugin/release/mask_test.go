package release

import (
	"strings"
	"testing"
)

func TestMaskSecretsHidesEveryValue(t *testing.T) {
	in := `---
# Source: spark-mr3/templates/secret-token.yaml
apiVersion: v1
kind: Secret
metadata:
  name: r-token
data:
  CLIENT_TO_AM_TOKEN_KEY: c2VjcmV0LXRva2Vu
stringData:
  env.sh: AWS_SECRET=plain
---
# Source: spark-mr3/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: r-conf
data:
  a: b
`
	out, err := MaskSecrets(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"c2VjcmV0LXRva2Vu", "AWS_SECRET=plain"} {
		if strings.Contains(out, secret) {
			t.Fatalf("masked output still holds %q:\n%s", secret, out)
		}
	}
	for _, keep := range []string{"CLIENT_TO_AM_TOKEN_KEY", "kind: ConfigMap", "a: b", "# Source: spark-mr3/templates/configmap.yaml"} {
		if !strings.Contains(out, keep) {
			t.Fatalf("masked output lost %q:\n%s", keep, out)
		}
	}
}
