package check

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/spark-mr3/spark-mr3/plugin/contract"
)

// Token: every driver takes CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP from the
// token Secret by secretKeyRef (never a literal: a literal is stored in the StatefulSet and
// in helm's release, and goes stale on rotation), the Secret holds a token and a positive
// integer timestamp, and the token's text appears in no other object.
func Token(r *Release) []Violation {
	var out []Violation
	tok := r.Token
	if tok == nil {
		// A token Secret outside the manifest (token.existingSecret: the plugin's F-mr3-token,
		// or a Sealed/External Secret) is fine when every driver reads both keys from it.
		external := map[string]bool{}
		for _, d := range r.Drivers {
			for _, name := range []string{contract.KeyToken, contract.KeyTimestamp} {
				if e := envVar(d.Container, name); e != nil && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Key == name {
					external[e.ValueFrom.SecretKeyRef.Name] = true
				} else {
					external[""] = true
				}
			}
		}
		if len(r.Drivers) > 0 && (len(external) != 1 || external[""]) {
			out = append(out, violation(RuleToken, r.Drivers[0].Object, "Secret",
				fmt.Sprintf("the release has no Secret with key %s, but %d driver(s) need the token to share one DAGAppMaster", contract.KeyToken, len(r.Drivers)),
				"render the token Secret (the chart's token template; helm sparkmr3 install passes the values)"))
		}
	} else {
		if strings.TrimSpace(tok.Data[contract.KeyToken]) == "" {
			out = append(out, violation(RuleToken, tok.Object, contract.KeyToken, fmt.Sprintf("%s key %s is empty", tok, contract.KeyToken),
				"install with helm sparkmr3 (it generates the token once) or set token.clientToAMTokenKey"))
		}
		if ts, err := strconv.ParseInt(strings.TrimSpace(tok.Data[contract.KeyTimestamp]), 10, 64); err != nil || ts <= 0 {
			out = append(out, violation(RuleToken, tok.Object, contract.KeyTimestamp, fmt.Sprintf("%s key %s=%q is not a positive integer (MR3 builds application_<ts>_0000 from it)", tok, contract.KeyTimestamp, tok.Data[contract.KeyTimestamp]),
				"set token.applicationIdTimestamp to a positive integer, e.g. 4711"))
		}
	}
	for _, d := range r.Drivers {
		for _, name := range []string{contract.KeyToken, contract.KeyTimestamp} {
			e := envVar(d.Container, name)
			want := "<token Secret>"
			if tok != nil {
				want = tok.Name
			}
			fix := fmt.Sprintf("set env %s from secretKeyRef {name: %s, key: %s}", name, want, name)
			switch {
			case e == nil:
				if d.Container != nil && tok != nil && slices.ContainsFunc(d.Container.EnvFrom, func(ef corev1.EnvFromSource) bool {
					return ef.SecretRef != nil && ef.SecretRef.Name == tok.Name && ef.Prefix == ""
				}) {
					continue
				}
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s has no %s env, so the driver starts its own DAGAppMaster instead of sharing one", d, containerName(d), name), fix))
			case e.ValueFrom == nil:
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s env %s is a literal value, stored in the StatefulSet and helm's release record instead of %s", d, containerName(d), name, want), fix))
			case e.ValueFrom.SecretKeyRef == nil:
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s env %s does not come from a secretKeyRef", d, containerName(d), name), fix))
			case tok != nil && (e.ValueFrom.SecretKeyRef.Name != tok.Name || e.ValueFrom.SecretKeyRef.Key != name):
				ref := e.ValueFrom.SecretKeyRef
				out = append(out, violation(RuleToken, d.Object, "env "+name,
					fmt.Sprintf("%s container %s env %s comes from Secret %s key %s, but the token is %s key %s", d, containerName(d), name, ref.Name, ref.Key, tok, name), fix))
			}
		}
	}
	if tok == nil {
		return out
	}
	secret := strings.TrimSpace(tok.Data[contract.KeyToken])
	if len(secret) < 8 { // too short to search for without false alarms; reported above if empty
		return out
	}
	needles := [][]byte{[]byte(secret), []byte(base64.StdEncoding.EncodeToString([]byte(secret)))}
	for _, doc := range r.Documents {
		if doc.Head.Kind == tok.Kind && doc.Head.Name() == tok.Name {
			continue
		}
		if !slices.ContainsFunc(needles, func(n []byte) bool { return bytes.Contains(doc.Raw, n) }) {
			continue
		}
		o := objectOf(doc)
		where := "its text"
		if u, err := doc.Unstructured(); err == nil {
			if ks := annotationsWith(u.Object, secret); len(ks) > 0 {
				where = "annotation " + strings.Join(ks, ", ")
			}
		}
		out = append(out, violation(RuleToken, o, "token",
			fmt.Sprintf("%s holds the value of %s key %s in %s; anyone who can read %s can join the DAGAppMaster", o, tok, contract.KeyToken, where, o.Kind),
			fmt.Sprintf("remove it; read the token only through secretKeyRef to %s", tok.Name)))
	}
	return out
}

// annotationsWith lists the annotation keys (of the object and of a Pod template) whose value
// holds s.
func annotationsWith(obj map[string]any, s string) []string {
	var out []string
	look := func(prefix string, m any) {
		md, _ := m.(map[string]any)
		ann, _ := md["annotations"].(map[string]any)
		for _, k := range sortedAnyKeys(ann) {
			if v, _ := ann[k].(string); strings.Contains(v, s) || strings.Contains(v, base64.StdEncoding.EncodeToString([]byte(s))) {
				out = append(out, prefix+k)
			}
		}
	}
	look("metadata.annotations.", obj["metadata"])
	if spec, ok := obj["spec"].(map[string]any); ok {
		if tpl, ok := spec["template"].(map[string]any); ok {
			look("spec.template.metadata.annotations.", tpl["metadata"])
		}
	}
	return out
}

func sortedAnyKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
