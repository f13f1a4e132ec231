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
{{- /* The pinned values are well formed (spark-mr3.validate.token). */ -}}
{{- include "spark-mr3.validate" . -}}
{{- $name := include "spark-mr3.tokenSecretName" . -}}
{{- $key := toString (default "" .Values.token.clientToAMTokenKey) -}}
{{- $ts := include "spark-mr3.str" .Values.token.applicationIdTimestamp -}}
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
{{- include "spark-mr3.validate" . -}}
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
