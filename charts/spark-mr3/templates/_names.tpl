{{/*
Names, labels and fixed paths shared by every template. docs/DESIGN.md is the contract for the
names and labels made here; change it there first. Small helpers are in _util.tpl, the
conf-file engine in _conf.tpl, the cross-field rules in _validate.tpl.
*/}}

{{/* F: the release name unless fullnameOverride. */}}
{{- define "spark-mr3.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Every default object name is release-scoped, so several releases live in one namespace. A
driver entry D makes StatefulSet and headless Service F-D (Pod F-D-0); D stays the user's handle
(label sparkmr3.io/driver, --driver). Call with (dict "ctx" $ "name" D).
*/}}
{{- define "spark-mr3.driverObjectName" -}}
{{- printf "%s-%s" (include "spark-mr3.fullname" .ctx) (toString .name) -}}
{{- end -}}

{{/* The DAGAppMaster Service: mr3.amService.name, else F-mr3. */}}
{{- define "spark-mr3.amServiceName" -}}
{{- default (printf "%s-mr3" (include "spark-mr3.fullname" .)) .Values.mr3.amService.name -}}
{{- end -}}

{{/*
The DAGAppMaster Pod's labels, as JSON: mr3.masterLabels, else sparkmr3_app: F-mr3 (MR3's
sample uses sparkmr3_app: mr3, which would make two releases' AM Services select each other's
DAGAppMaster). They render mr3.k8s.master.pod.additional.labels and the AM Service's selector.
*/}}
{{- define "spark-mr3.masterLabels" -}}
{{- if .Values.mr3.masterLabels -}}
{{- toJson .Values.mr3.masterLabels -}}
{{- else -}}
{{- toJson (dict "sparkmr3_app" (printf "%s-mr3" (include "spark-mr3.fullname" .) | trunc 63 | trimSuffix "-" | trimSuffix ".")) -}}
{{- end -}}
{{- end -}}

{{- define "spark-mr3.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable across upgrades (StatefulSet selectors are immutable). */}}
{{- define "spark-mr3.selectorLabels" -}}
app.kubernetes.io/name: spark-mr3
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Standard labels. Call with (dict "ctx" $ "component" "driver"). */}}
{{- define "spark-mr3.labels" -}}
{{ include "spark-mr3.selectorLabels" .ctx }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: spark-mr3
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
helm.sh/chart: {{ include "spark-mr3.chart" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* ServiceAccount name of a role (driver, master, worker). Call with (dict "ctx" $ "role" "driver"). */}}
{{- define "spark-mr3.serviceAccountName" -}}
{{- $sa := index .ctx.Values.serviceAccount .role -}}
{{- if $sa.create -}}
{{- default (printf "%s-%s" (include "spark-mr3.fullname" .ctx) .role) $sa.name -}}
{{- else -}}
{{- required (include "spark-mr3.serviceAccountNameRequired" .role) $sa.name -}}
{{- end -}}
{{- end -}}
{{/* The message for a role whose existing ServiceAccount has no name (also spark-mr3.validate.serviceAccounts). */}}
{{- define "spark-mr3.serviceAccountNameRequired" -}}
{{- printf "serviceAccount.%s.name is required when serviceAccount.%s.create=false (name the existing ServiceAccount)" . . -}}
{{- end -}}

{{- define "spark-mr3.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{- define "spark-mr3.confName" -}}{{ include "spark-mr3.fullname" . }}-conf{{- end -}}
{{- define "spark-mr3.envName" -}}{{ include "spark-mr3.fullname" . }}-env{{- end -}}
{{- define "spark-mr3.keytabName" -}}{{ include "spark-mr3.fullname" . }}-keytab{{- end -}}
{{- define "spark-mr3.workerSecretName" -}}{{ include "spark-mr3.fullname" . }}-worker{{- end -}}
{{- define "spark-mr3.tokenName" -}}{{ include "spark-mr3.fullname" . }}-token{{- end -}}
{{/*
Cluster-scoped names are NS.F-<suffix>: a namespace name has no dot (DNS-1123 label), so the
first dot ends it and two namespace/release pairs never share a name (with NS-F, namespace a-b
with release c and namespace a with release b-c both made a-b-c-…). ClusterRole and
ClusterRoleBinding names only may not contain / or %; a PersistentVolume name is a DNS-1123
subdomain, which NS.F is (F: release name or fullnameOverride, lower case, digits, - and .).
*/}}
{{- define "spark-mr3.clusterPrefix" -}}{{ .Release.Namespace }}.{{ include "spark-mr3.fullname" . }}{{- end -}}
{{- define "spark-mr3.nodeReaderName" -}}{{ include "spark-mr3.clusterPrefix" . }}-node-reader{{- end -}}
{{/*
The work-dir PV: NS.F-workdir, except for a release installed before the NS.F names whose claim
is already bound to NS-F-workdir: a claim's volumeName cannot change, so that name is kept while
the claim exists (read with lookup; helm template, which cannot read the cluster, renders the
new name).
*/}}
{{- define "spark-mr3.workDirPVName" -}}
{{- $legacy := printf "%s-%s-workdir" .Release.Namespace (include "spark-mr3.fullname" .) -}}
{{- $claim := (lookup "v1" "PersistentVolumeClaim" .Release.Namespace (printf "%s-workdir" (include "spark-mr3.fullname" .))) | default dict -}}
{{- if eq ((($claim.spec | default dict).volumeName) | default "") $legacy -}}
{{- $legacy -}}
{{- else -}}
{{- include "spark-mr3.clusterPrefix" . }}-workdir
{{- end -}}
{{- end -}}

{{/* The claim mounted at workDir.mountPath ("" when the work dir is off). */}}
{{- define "spark-mr3.workDirClaim" -}}
{{- if .Values.workDir.enabled -}}
{{- default (printf "%s-workdir" (include "spark-mr3.fullname" .)) .Values.workDir.existingClaim -}}
{{- end -}}
{{- end -}}

{{/* Fixed paths inside the image (MR3's layout under /opt/mr3-run, kubernetes/spark/Dockerfile). */}}
{{- define "spark-mr3.baseDir" -}}/opt/mr3-run{{- end -}}
{{- define "spark-mr3.remoteWorkDir" -}}/opt/mr3-run/spark{{- end -}}
{{- define "spark-mr3.confDir" -}}/opt/mr3-run/conf{{- end -}}
{{- define "spark-mr3.keyDir" -}}/opt/mr3-run/key{{- end -}}
{{- define "spark-mr3.envShPath" -}}/opt/mr3-run/env.sh{{- end -}}
{{- define "spark-mr3.submitResultDir" -}}/opt/mr3-run/spark/spark-submit-result{{- end -}}
{{- define "spark-mr3.shellResultDir" -}}/opt/mr3-run/spark/spark-shell-result{{- end -}}
{{- /* The image's own work-local-dir (chowned to uid 1000); MR3's sample keeps DAGAppMaster scratch there. */ -}}
{{- define "spark-mr3.workLocalDir" -}}/opt/mr3-run/work-local-dir{{- end -}}
{{- /* mr3.cluster.additional.classpath exactly as mr3-setup.sh builds it from REMOTE_BASE_DIR. */ -}}
{{- define "spark-mr3.additionalClasspath" -}}/opt/mr3-run/mr3/mr3lib/mr3-spark-assembly.jar:/opt/mr3-run/spark/jars/*{{- end -}}

{{/* Driver ports: SPARK_DRIVER_PORT / SPARK_UI_PORT in env.sh, the driver Service and containerPorts. */}}
{{- define "spark-mr3.driverPort" -}}9850{{- end -}}
{{- define "spark-mr3.uiPort" -}}4040{{- end -}}

{{/* Where a truststore would be: /opt/mr3-run/key/<ssl.truststore>, else a path that never
exists, so spark-setup.sh's unquoted `[ -f $SPARK_SSL_TRUSTSTORE ]` is false (an empty variable
makes it true and adds an empty -Djavax.net.ssl.trustStore=). */}}
{{- define "spark-mr3.truststorePath" -}}
{{- if .Values.ssl.truststore -}}
{{- printf "%s/%s" (include "spark-mr3.keyDir" .) .Values.ssl.truststore -}}
{{- else -}}
{{- printf "%s/.no-truststore" (include "spark-mr3.keyDir" .) -}}
{{- end -}}
{{- end -}}
