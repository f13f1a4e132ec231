{{/*
The token every driver shares with the DAGAppMaster, resolved once per render: pinned values
(token.clientToAMTokenKey / token.applicationIdTimestamp) -> the existing Secret (lookup) ->
generated, but never on an upgrade (.Release.IsUpgrade; helm lint renders with neither
IsInstall nor IsUpgrade and gets generated values). An upgrade that has neither (client-side
dry-run, helm template of an upgrade, helm-diff without cluster access) fails instead of
rotating the token: drivers holding the old one would start their own DAGAppMaster.
The result is kept on the render's top-level context, so the Secret (secret-token.yaml) and
the drivers' checksum/token annotation (statefulset.yaml) see the same generated values.
Returns JSON {"key": ..., "ts": ...}.
*/}}
{{- define "spark-mr3.token" -}}
{{- if not (hasKey . "sparkmr3ResolvedToken") -}}
{{- $name := include "spark-mr3.tokenSecretName" . -}}
{{- $key := toString (default "" .Values.token.clientToAMTokenKey) -}}
{{- $ts := include "spark-mr3.str" .Values.token.applicationIdTimestamp -}}
{{- if and $ts (not (regexMatch `^[1-9][0-9]{0,17}$` $ts)) -}}
{{- fail (printf "token.applicationIdTimestamp: %q is not a positive integer (MR3_APPLICATION_ID_TIMESTAMP names the application application_<ts>_0000)" $ts) -}}
{{- end -}}
{{- if and .Values.token.clientToAMTokenKey (not (trim $key)) -}}
{{- fail "token.clientToAMTokenKey: a pinned token must not be blank" -}}
{{- end -}}
{{- $existing := dict -}}
{{- if or (not $key) (not $ts) -}}
{{- $existing = (lookup "v1" "Secret" .Release.Namespace $name).data | default dict -}}
{{- end -}}
{{- $howToPin := printf "pin the token: `helm sparkmr3 values %s -n %s --file pin.yaml` and pass -f pin.yaml, or --set token.clientToAMTokenKey=<key> --set token.applicationIdTimestamp=<ts> with the values of Secret %s/%s (kubectl -n %s get secret %s -o jsonpath='{.data}', base64-decoded)" .Release.Name .Release.Namespace .Release.Namespace $name .Release.Namespace $name -}}
{{- if not $key -}}
{{- if hasKey $existing "CLIENT_TO_AM_TOKEN_KEY" -}}
{{- $key = b64dec $existing.CLIENT_TO_AM_TOKEN_KEY -}}
{{- else if not .Release.IsUpgrade -}}
{{- $key = uuidv4 -}}
{{- else -}}
{{- fail (printf "token.clientToAMTokenKey: this upgrade cannot read Secret %s (no cluster access, e.g. client-side dry-run or helm template) and no token is pinned; the chart refuses to rotate it silently - %s" $name $howToPin) -}}
{{- end -}}
{{- end -}}
{{- if not $ts -}}
{{- if hasKey $existing "MR3_APPLICATION_ID_TIMESTAMP" -}}
{{- $ts = b64dec $existing.MR3_APPLICATION_ID_TIMESTAMP -}}
{{- else if not .Release.IsUpgrade -}}
{{- $ts = toString (randInt 10000 2147483647) -}}
{{- else -}}
{{- fail (printf "token.applicationIdTimestamp: this upgrade cannot read Secret %s (no cluster access, e.g. client-side dry-run or helm template) and no timestamp is pinned; the chart refuses to rotate it silently - %s" $name $howToPin) -}}
{{- end -}}
{{- end -}}
{{- $_ := set . "sparkmr3ResolvedToken" (dict "key" $key "ts" $ts) -}}
{{- end -}}
{{- toJson (get . "sparkmr3ResolvedToken") -}}
{{- end -}}

{{/*
Value of the driver Pods' checksum/token annotation: token.checksum when given (for a token the
chart does not resolve itself), else the sha256 (hex) of "<CLIENT_TO_AM_TOKEN_KEY>\n<MR3_APPLICATION_ID_TIMESTAMP>"
as resolved above. A changed token or timestamp changes the Pod template, so drivers restart with
it (also on helm rollback). Only a hash: the token itself never appears in the Pod template.
*/}}
{{- define "spark-mr3.tokenChecksum" -}}
{{- include "spark-mr3.tokenValidate" . -}}
{{- if .Values.token.checksum -}}
{{- toString .Values.token.checksum -}}
{{- else -}}
{{- $t := include "spark-mr3.token" . | fromJson -}}
{{- printf "%s\n%s" $t.key $t.ts | sha256sum -}}
{{- end -}}
{{- end -}}

{{/*
Name of the Secret the drivers read the token from: token.existingSecret when set (a Secret the
chart does not render: the plugin's F-mr3-token, or one from Sealed Secrets / External Secrets
with keys CLIENT_TO_AM_TOKEN_KEY and MR3_APPLICATION_ID_TIMESTAMP), else the chart's F-token.
*/}}
{{- define "spark-mr3.tokenSecretName" -}}
{{- default (default (include "spark-mr3.tokenName" .) (include "spark-mr3.pluginTokenSecret" .)) .Values.token.existingSecret -}}
{{- end -}}

{{/*
The plugin's own token Secret F-mr3-token when a plain `helm upgrade` (without
token.existingSecret in its values) meets a release installed by helm sparkmr3: the chart then
keeps using that Secret (and hashes its token for checksum/token) instead of failing or making a
second token. "" otherwise (no cluster access, or no such Secret made by the plugin).
*/}}
{{- define "spark-mr3.pluginTokenSecret" -}}
{{- if and (not .Values.token.existingSecret) .Release.IsUpgrade -}}
{{- $n := printf "%s-mr3-token" (include "spark-mr3.fullname" .) -}}
{{- $s := lookup "v1" "Secret" .Release.Namespace $n -}}
{{- if and $s (eq (dig "metadata" "labels" "app.kubernetes.io/managed-by" "" $s) "helm-sparkmr3") -}}
{{- $n -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Refusals for token.existingSecret: the chart cannot hash a token it never sees, so
token.checksum is required (it rolls the drivers when the Secret's token changes), and a pinned
token would be a second, contradicting source.
*/}}
{{- define "spark-mr3.tokenValidate" -}}
{{- $plugin := include "spark-mr3.pluginTokenSecret" . -}}
{{- if and $plugin (or .Values.token.clientToAMTokenKey (include "spark-mr3.str" .Values.token.applicationIdTimestamp)) -}}
{{- fail (printf "token.clientToAMTokenKey/applicationIdTimestamp: release %s keeps its token in Secret %s (made by helm sparkmr3), which a pinned token would contradict: drop the pinned values, or change the token with 'helm sparkmr3 upgrade %s --rotate-token'" .Release.Name $plugin .Release.Name) -}}
{{- end -}}
{{- if .Values.token.existingSecret -}}
{{- if not .Values.token.checksum -}}
{{- fail (printf "token.checksum: required with token.existingSecret=%s (the chart cannot read that Secret's token to hash it): set it to any value that changes when the token changes, e.g. the sha256 hex of \"<CLIENT_TO_AM_TOKEN_KEY>\\n<MR3_APPLICATION_ID_TIMESTAMP>\" ('helm sparkmr3 values RELEASE --file pin.yaml' writes both)" .Values.token.existingSecret) -}}
{{- end -}}
{{- if or .Values.token.clientToAMTokenKey (include "spark-mr3.str" .Values.token.applicationIdTimestamp) -}}
{{- fail (printf "token.clientToAMTokenKey/applicationIdTimestamp: a pinned token and token.existingSecret=%s are two sources of one token: drop the pinned values (put the token in that Secret) or drop token.existingSecret" .Values.token.existingSecret) -}}
{{- end -}}
{{- end -}}
{{- end -}}
