package check

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
	"github.com/spark-mr3/spark-mr3/plugin/manifest"
)

func TestToken(t *testing.T) {
	const token = "e07c35ca-1a2c-4d97-9037-9fb84de5f7c4"
	runRuleCases(t, RuleToken, Token, []ruleCase{
		{name: "pass"},
		{name: "literal env value",
			mutate: func(t *testing.T, r *Release) { setEnv(drv(t, r, "spark1").Container, contract.KeyToken, token) },
			want: []string{"StatefulSet/spark1 [env CLIENT_TO_AM_TOKEN_KEY]: StatefulSet/spark1 container driver env CLIENT_TO_AM_TOKEN_KEY is a literal value, stored in the StatefulSet and helm's release record instead of rel-token; " +
				"fix: set env CLIENT_TO_AM_TOKEN_KEY from secretKeyRef {name: rel-token, key: CLIENT_TO_AM_TOKEN_KEY}"}},
		{name: "wrong secret",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.Env[7].ValueFrom.SecretKeyRef.Name = "other"
			},
			want: []string{"env MR3_APPLICATION_ID_TIMESTAMP comes from Secret other key MR3_APPLICATION_ID_TIMESTAMP, but the token is Secret/rel-token key MR3_APPLICATION_ID_TIMESTAMP"}},
		{name: "configMap ref",
			mutate: func(t *testing.T, r *Release) {
				drv(t, r, "spark1").Container.Env[6].ValueFrom = &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "key"}}
			},
			want: []string{"env CLIENT_TO_AM_TOKEN_KEY does not come from a secretKeyRef"}},
		{name: "missing env and envFrom",
			mutate: func(t *testing.T, r *Release) { drv(t, r, "spark2").Container.EnvFrom = nil },
			want: []string{
				"StatefulSet/spark2 container driver has no CLIENT_TO_AM_TOKEN_KEY env, so the driver starts its own DAGAppMaster",
				"has no MR3_APPLICATION_ID_TIMESTAMP env",
			}},
		{name: "no token secret",
			mutate: func(t *testing.T, r *Release) { r.Token = nil },
			want: []string{
				"the release has no Secret with key CLIENT_TO_AM_TOKEN_KEY, but 2 driver(s) need the token",
				"has no CLIENT_TO_AM_TOKEN_KEY env", "has no MR3_APPLICATION_ID_TIMESTAMP env",
			}},
		{name: "bad secret contents",
			mutate: func(t *testing.T, r *Release) {
				r.Token.Data[contract.KeyToken] = ""
				r.Token.Data[contract.KeyTimestamp] = "0"
			},
			want: []string{"Secret/rel-token key CLIENT_TO_AM_TOKEN_KEY is empty", `Secret/rel-token key MR3_APPLICATION_ID_TIMESTAMP="0" is not a positive integer`}},
		{name: "token in an annotation",
			mutate: func(t *testing.T, r *Release) {
				d, err := manifest.Parse([]byte("# Source: spark-mr3/templates/statefulset.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: leak\nspec:\n  template:\n    metadata:\n      annotations:\n        token: "+token+"\n"), manifest.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				r.Documents = append(r.Documents, d...)
			},
			want: []string{"StatefulSet/leak [token]: StatefulSet/leak holds the value of Secret/rel-token key CLIENT_TO_AM_TOKEN_KEY in annotation spec.template.metadata.annotations.token"}},
		{name: "token in a ConfigMap",
			mutate: func(t *testing.T, r *Release) {
				d, err := manifest.Parse([]byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-am-config\ndata:\n  key: "+token+"\n"), manifest.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				r.Documents = append(r.Documents, d...)
			},
			want: []string{"ConfigMap/client-am-config holds the value of Secret/rel-token key CLIENT_TO_AM_TOKEN_KEY in its text"}},
	})
}
