{{/*
Names, labels and derived values shared by every template. docs/DESIGN.md is the contract for
the names and labels made here; change it there first.
*/}}

{{/* F: the release name unless fullnameOverride. */}}
{{- define "spark-mr3.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
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
{{- required (printf "serviceAccount.%s.name is required when serviceAccount.%s.create=false (name the existing ServiceAccount)" .role .role) $sa.name -}}
{{- end -}}
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

{{/* hiveSite.metastoreUris as {"host","port"} ("" each when unset); validated in spark-mr3.validate. */}}
{{- define "spark-mr3.metastore" -}}
{{- $u := toString (default "" .Values.hiveSite.metastoreUris) -}}
{{- $hp := trimPrefix "thrift://" $u -}}
{{- $host := "" -}}{{- $port := "" -}}
{{- if $u -}}
{{- $i := regexFind `:[0-9]+$` $hp -}}
{{- $host = trimSuffix $i $hp -}}
{{- $port = trimPrefix ":" $i -}}
{{- end -}}
{{- toJson (dict "host" $host "port" $port) -}}
{{- end -}}

{{/*
A value as text for a config file. Values from YAML files arrive as float64, which Go prints
as 1.048576e+06: print integral numbers as integers.
*/}}
{{- define "spark-mr3.str" -}}
{{- if or (kindIs "float64" .) (kindIs "float32" .) -}}
{{- if eq (float64 .) (float64 (int64 .)) -}}{{ int64 . }}{{- else -}}{{ . }}{{- end -}}
{{- else if kindIs "invalid" . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{- define "spark-mr3.xmlEscape" -}}
{{- . | replace "&" "&amp;" | replace "<" "&lt;" | replace ">" "&gt;" | replace "\"" "&quot;" | replace "'" "&apos;" -}}
{{- end -}}

{{/* A Hadoop-style XML configuration from a dict of properties, sorted by name. */}}
{{- define "spark-mr3.xmlConf" -}}
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by the spark-mr3 chart from values; edit values, not this file. -->
<configuration>
{{- range $k := keys . | sortAlpha }}
  <property>
    <name>{{ include "spark-mr3.xmlEscape" $k }}</name>
    <value>{{ include "spark-mr3.xmlEscape" (index $ $k) }}</value>
  </property>
{{- end }}
</configuration>
{{- end -}}

{{/* A key or value escaped for a Java properties file (spark-defaults.conf): Properties.load
reads a backslash as an escape, ':' and '=' in a key as its end, and drops a value's leading blanks. */}}
{{- define "spark-mr3.propKey" -}}
{{- . | replace "\\" "\\\\" | replace ":" "\\:" | replace "=" "\\=" | replace " " "\\ " -}}
{{- end -}}
{{- define "spark-mr3.propValue" -}}
{{- $s := . | replace "\\" "\\\\" -}}
{{- if or (hasPrefix " " $s) (hasPrefix "\t" $s) -}}\{{ end -}}{{ $s }}
{{- end -}}

{{/* Single-quote a string for sh. */}}
{{- define "spark-mr3.shQuote" -}}
'{{ . | replace "'" "'\\''" }}'
{{- end -}}

{{- define "spark-mr3.isIP" -}}
{{- $v4 := `^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$` -}}
{{- $v6 := `^([0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}$` -}}
{{- if or (regexMatch $v4 (toString .)) (regexMatch $v6 (toString .)) -}}true{{- end -}}
{{- end -}}

{{/* mr3.k8s.host.aliases: host=ip,host=ip from the ONE list hostAliases. */}}
{{- define "spark-mr3.hostAliasesConf" -}}
{{- $pairs := list -}}
{{- range .Values.hostAliases -}}
{{- $ip := .ip -}}
{{- range .hostnames -}}
{{- $pairs = append $pairs (printf "%s=%s" . $ip) -}}
{{- end -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* mr3.k8s.master.pod.additional.labels: k=v,k=v from mr3.masterLabels (also the mr3 Service selector). */}}
{{- define "spark-mr3.masterLabelsConf" -}}
{{- $pairs := list -}}
{{- range $k := keys .Values.mr3.masterLabels | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s=%s" $k (index $.Values.mr3.masterLabels $k)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* Memory quantity to MiB (as text), or INVALID. */}}
{{- define "spark-mr3.memoryMiB" -}}
{{- $q := include "spark-mr3.str" . | trim -}}
{{- if not (regexMatch `^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|K|M|G|T|P)?$` $q) -}}
INVALID
{{- else -}}
{{- $num := regexFind `^[0-9]+(\.[0-9]+)?` $q -}}
{{- $suffix := trimPrefix $num $q -}}
{{- $mult := dict "" 1.0 "k" 1000.0 "K" 1000.0 "M" 1000000.0 "G" 1000000000.0 "T" 1000000000000.0 "P" 1000000000000000.0 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 -}}
{{- printf "%.3f" (divf (mulf (float64 $num) (get $mult $suffix)) 1048576.0) -}}
{{- end -}}
{{- end -}}

{{/* CPU quantity to cores (as text), or INVALID. */}}
{{- define "spark-mr3.cpuCores" -}}
{{- $q := include "spark-mr3.str" . | trim -}}
{{- if regexMatch `^[0-9]+(\.[0-9]+)?$` $q -}}
{{- printf "%.3f" (float64 $q) -}}
{{- else if regexMatch `^[0-9]+m$` $q -}}
{{- printf "%.3f" (divf (float64 (trimSuffix "m" $q)) 1000.0) -}}
{{- else -}}
INVALID
{{- end -}}
{{- end -}}

{{/*
The drivers list with driverDefaults applied, as JSON. A key set in a driver entry replaces
the default key whole (so requests and limits never mix between the two), except command,
which merges per field.
*/}}
{{- define "spark-mr3.drivers" -}}
{{- $out := list -}}
{{- range $i, $d := .Values.drivers -}}
{{- $m := deepCopy (default dict $.Values.driverDefaults) -}}
{{- range $k, $v := $d -}}
{{- if and (eq $k "command") (kindIs "map" $v) -}}
{{- $_ := set $m "command" (merge (deepCopy $v) (deepCopy (default dict $m.command))) -}}
{{- else -}}
{{- $_ := set $m $k $v -}}
{{- end -}}
{{- end -}}
{{- $_ := set $m "index" $i -}}
{{- $out = append $out $m -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/*
Properties of mr3-site.xml. Call with (dict "ctx" $ "outside" bool).
- $defaults: MR3's sample mr3-site.xml (kubernetes/spark/conf, the baseline; differences are
  listed with their reasons in test/chart/testdata/mr3-sample-differences.tsv); mr3.extraProperties
  may override them.
- $derived: from typed values, so they agree with other objects, or set on the command line by
  MR3's mr3-setup.sh from env.sh (the same helpers render env.sh, so the -D options equal these
  values); mr3.extraProperties may not set them.
- mr3.master.mode and, with a work-dir claim, mr3.k8s.worker.persistentvolumeclaim.mounts live
  only on the command line (the script picks the mode per run and sets the worker mounts empty).
*/}}
{{- define "spark-mr3.mr3SiteProps" -}}
{{- $ := .ctx -}}
{{- $v := $.Values -}}
{{- $log4j := printf "-Dlog4j.configurationFile=%s/log4j2.properties" (include "spark-mr3.confDir" $) -}}
{{- $trust := "" -}}
{{- if $v.ssl.truststore -}}
{{- $trust = printf " -Djavax.net.ssl.trustStore=%s -Djavax.net.ssl.trustStoreType=%s" (include "spark-mr3.truststorePath" $) $v.ssl.truststoreType -}}
{{- end -}}
{{- $defaults := dict
  "mr3.runtime" "spark"
  "mr3.cluster.use.hadoop-libs" "false"
  "mr3.lib.uris" ""
  "mr3.aux.uris" ""
  "mr3.am.launch.cmd-opts" (printf "-XX:+UseG1GC -XX:+ResizeTLAB -XX:+UseNUMA -server -Djava.net.preferIPv4Stack=true %s%s" $log4j $trust)
  "mr3.am.acls.enabled" "false"
  "mr3.am.generate.dag.graph.viz" "false"
  "mr3.container.kill.policy" "container.kill.wait.workervertex"
  "mr3.am.max.num.concurrent.dags" "32"
  "mr3.dag.queue.scheme" "common"
  "mr3.dag.priority.scheme" "fifo"
  "mr3.taskattempt.queue.scheme" "opt"
  "mr3.vertex.priority.scheme" "roots"
  "mr3.am.task.max.failed.attempts" "3"
  "mr3.am.task.retry.on.fatal.error" "false"
  "mr3.am.client.thread-count" "64"
  "mr3.async.logging" "false"
  "mr3.am.permit.custom.user.class" "false"
  "mr3.dag.delete.local.dir" "false"
  "mr3.am.resourcescheduler.max.requests.per.taskscheduler" "1000"
  "mr3.container.launch.cmd-opts" (printf "-XX:+AlwaysPreTouch -Xss512k -XX:+UseG1GC -XX:+ResizeTLAB -XX:+UseNUMA -XX:InitiatingHeapOccupancyPercent=40 -XX:G1ReservePercent=20 -XX:MaxGCPauseMillis=200 -XX:MetaspaceSize=1024m -server -Djava.net.preferIPv4Stack=true -XX:NewRatio=8 %s%s" $log4j $trust)
  "mr3.container.reuse" "true"
  "mr3.container.combine.taskattempts" "true"
  "mr3.container.mix.taskattempts" "true"
  "mr3.container.scheduler.scheme" "fair"
  "mr3.container.stop.cross.dag.reuse" "false"
  "mr3.container.idle.timeout.ms" "3600000"
  "mr3.heartbeat.task.timeout.ms" "120000"
  "mr3.heartbeat.container.timeout.ms" "120000"
  "mr3.am.node-blacklisting.enabled" "false"
  "mr3.container.termination.checker.timeout.ms" "300000"
  "mr3.container.close.filesystem.ugi" "false"
  "mr3.am.worker.mode" "kubernetes"
  "mr3.container.resourcescheduler.type" "kubernetes"
  "mr3.am.launch.env" "LD_LIBRARY_PATH=/opt/mr3-run/lib,HADOOP_CREDSTORE_PASSWORD,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_REGION"
  "mr3.container.launch.env" "LD_LIBRARY_PATH=/opt/mr3-run/lib,HADOOP_CREDSTORE_PASSWORD,AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,AWS_REGION"
  "mr3.am.delete.local.working-dir" "false"
  "mr3.token.renewal.pass.credentials.via.memory" "true"
  "mr3.am.token.renewal.paths" ""
  "mr3.k8s.worker.total.max.memory.gb" "1048576"
  "mr3.k8s.worker.total.max.cpu.cores" "1048576"
  "mr3.k8s.pod.cpu.cores.max.multiplier" "1.0d"
  "mr3.k8s.pod.memory.max.multiplier" "1.0d"
  "mr3.k8s.nodes.polling.interval.ms" "60000"
  "mr3.k8s.pods.polling.interval.ms" "15000"
  "mr3.container.command.num.waits.in.reserved" "360"
  "mr3.k8s.pod.creation.timeout.ms" "300000"
  "mr3.k8s.pod.master.node.selector" ""
  "mr3.k8s.pod.master.toleration.specs" ""
  "mr3.k8s.master.pod.affinity.match.label" ""
  "mr3.k8s.pod.worker.node.selector" ""
  "mr3.k8s.pod.worker.toleration.specs" ""
  "mr3.k8s.pod.master.hostpaths" ""
  "mr3.k8s.pod.worker.additional.hostpaths" ""
  "mr3.k8s.master.local.dir.persistentvolumes" ""
  "mr3.k8s.readiness.probe.initial.delay.secs" "15"
  "mr3.k8s.readiness.probe.period.secs" "15"
  "mr3.k8s.liveness.probe.initial.delay.secs" "30"
  "mr3.k8s.liveness.probe.period.secs" "30"
  "mr3.app.history.logging.enabled" "false"
  "mr3.dag.history.logging.enabled" "false"
  "mr3.task.history.logging.enabled" "false"
  "mr3.container.task.failure.num.sleeps" "0"
  "mr3.enable.auto.scaling" "false"
  "mr3.memory.usage.check.scheme" "average"
  "mr3.auto.scale.out.threshold.percent" "80"
  "mr3.auto.scale.in.threshold.percent" "50"
  "mr3.memory.usage.check.window.length.secs" "600"
  "mr3.check.memory.usage.event.interval.secs" "10"
  "mr3.auto.scale.out.grace.period.secs" "300"
  "mr3.auto.scale.in.delay.after.scale.out.secs" "300"
  "mr3.auto.scale.in.grace.period.secs" "90"
  "mr3.auto.scale.in.wait.dag.finished" "true"
  "mr3.auto.scale.out.num.initial.containers" "4"
  "mr3.auto.scale.out.num.increment.containers" "1"
  "mr3.auto.scale.in.num.decrement.hosts" "1"
  "mr3.auto.scale.in.min.hosts" "1"
  "mr3.am.staging.dir.check.ownership.permission" "false"
  "mr3.am.task.concurrent.run.threshold.percent" "100"
  "mr3.k8s.pod.worker.init.container.command" ""
  "mr3.k8s.pod.worker.init.container.image" "busybox"
  "mr3.prometheus.enable.metrics" "false"
  "mr3.prometheus.enable.jvm.metrics" "false"
  "mr3.prometheus.worker.enable.metrics" "false"
  "mr3.prometheus.worker.enable.jvm.metrics" "true"
  "mr3.prometheus.worker.httpserver.port" "9890"
  "dfs.namenode.delegation.token.renew-interval" "86400000"
-}}
{{- $pullSecrets := list -}}
{{- range $v.imagePullSecrets -}}{{- $pullSecrets = append $pullSecrets .name -}}{{- end -}}
{{- $image := include "spark-mr3.image" $ -}}
{{- $localDirs := join "," $v.localDirs.paths -}}
{{- $amLocal := include "spark-mr3.workLocalDir" $ -}}
{{- with $v.mr3.masterEmptyDirs -}}{{- $amLocal = first . -}}{{- end -}}
{{- $remoteWork := include "spark-mr3.remoteWorkDir" $ -}}
{{- $derived := dict
  "mr3.am.staging-dir" $v.workDir.mountPath
  "mr3.dag.recovery.enabled" (ternary "true" "false" (eq (toString $v.mr3.dagRecovery) "true"))
  "mr3.am.resource.memory.mb" (include "spark-mr3.str" $v.mr3.amMemoryMb)
  "mr3.am.resource.cpu.cores" (include "spark-mr3.str" $v.mr3.amCpuCores)
  "mr3.am.local.working-dir" (printf "%s/am-local-working-dir" $amLocal)
  "mr3.am.local.log-dir" (printf "%s/am-local-log-dir" $amLocal)
  "mr3.k8s.master.command" $v.mr3.masterCommand
  "mr3.k8s.worker.command" $v.mr3.workerCommand
  "mr3.k8s.host.aliases" (include "spark-mr3.hostAliasesConf" $)
  "mr3.k8s.master.pod.additional.labels" (include "spark-mr3.masterLabelsConf" $)
  "mr3.use.daemon.shufflehandler" (ternary "0" (include "spark-mr3.str" $v.shuffle.builtinHandlers) (eq $v.shuffle.mode "external"))
  "mr3.k8s.shuffle.process.ports" (include "spark-mr3.str" $v.shuffle.port)
  "mr3.k8s.pod.master.emptydirs" (join "," $v.mr3.masterEmptyDirs)
  "mr3.k8s.pod.worker.emptydirs" (ternary $localDirs "" (eq $v.localDirs.type "emptyDir"))
  "mr3.k8s.pod.worker.hostpaths" (ternary $localDirs "" (eq $v.localDirs.type "hostPath"))
  "mr3.k8s.local.dir.persistentvolume.storageclass" $v.localDirs.storageClassName
  "mr3.k8s.local.dir.persistentvolume.storage" (include "spark-mr3.str" $v.localDirs.size)
  "mr3.k8s.pod.worker.security.context.sysctls" $v.mr3.workerSysctls
  "mr3.k8s.pod.image.pull.policy" $v.image.pullPolicy
  "mr3.k8s.pod.image.pull.secrets" (join "," $pullSecrets)
  "mr3.k8s.namespace" $.Release.Namespace
  "mr3.k8s.pod.master.serviceaccount" (include "spark-mr3.serviceAccountName" (dict "ctx" $ "role" "master"))
  "mr3.k8s.pod.worker.serviceaccount" (include "spark-mr3.serviceAccountName" (dict "ctx" $ "role" "worker"))
  "mr3.k8s.pod.master.image" $image
  "mr3.k8s.pod.worker.image" $image
  "mr3.k8s.pod.master.user" $v.mr3.podUser
  "mr3.k8s.pod.worker.user" $v.mr3.podUser
  "mr3.k8s.master.working.dir" $remoteWork
  "mr3.k8s.worker.working.dir" $remoteWork
  "mr3.k8s.java.io.tmpdir" (printf "%s/tmp" $remoteWork)
  "mr3.k8s.conf.dir.configmap" (include "spark-mr3.confName" $)
  "mr3.k8s.conf.dir.mount.dir" (include "spark-mr3.confDir" $)
  "mr3.k8s.keytab.secret" (include "spark-mr3.keytabName" $)
  "mr3.k8s.worker.secret" (include "spark-mr3.workerSecretName" $)
  "mr3.k8s.mount.keytab.secret" "true"
  "mr3.k8s.mount.worker.secret" "true"
  "mr3.k8s.keytab.mount.dir" (include "spark-mr3.keyDir" $)
  "mr3.k8s.keytab.mount.file" (toString (default "" $v.kerberos.keytabMountFile))
  "mr3.cluster.additional.classpath" (include "spark-mr3.additionalClasspath" $)
-}}
{{- if eq $v.localDirs.type "persistentVolumeClaim" -}}
{{- $_ := set $derived "mr3.k8s.worker.local.dir.persistentvolumes" $localDirs -}}
{{- end -}}
{{- $claim := include "spark-mr3.workDirClaim" $ -}}
{{- $scriptOnly := list "mr3.master.mode" -}}
{{- if $claim -}}
{{- $_ := set $derived "mr3.k8s.master.persistentvolumeclaim.mounts" (printf "%s=%s" $claim $v.workDir.mountPath) -}}
{{- $scriptOnly = append $scriptOnly "mr3.k8s.worker.persistentvolumeclaim.mounts" -}}
{{- end -}}
{{- if .outside -}}
{{- $addr := include "spark-mr3.amServiceAddress" $ | fromJson -}}
{{- $_ := set $derived "mr3.k8s.api.server.url" $v.outsideDrivers.apiServerUrl -}}
{{- $_ := set $derived "mr3.k8s.client.config.file" $v.outsideDrivers.kubeconfigPath -}}
{{- $_ := set $derived "mr3.k8s.service.account.use.token.ca.cert.path" "false" -}}
{{- $_ := set $derived "mr3.k8s.am.service.host" $addr.host -}}
{{- $_ := set $derived "mr3.k8s.am.service.port" $addr.port -}}
{{- end -}}
{{- /* Keys that only the outside flavor may carry are refused in extras too. */ -}}
{{- $refused := concat (keys $derived) (list "mr3.k8s.worker.local.dir.persistentvolumes" "mr3.k8s.master.persistentvolumeclaim.mounts" "mr3.k8s.api.server.url" "mr3.k8s.client.config.file" "mr3.k8s.service.account.use.token.ca.cert.path" "mr3.k8s.am.service.host" "mr3.k8s.am.service.port") -}}
{{- $props := $defaults -}}
{{- range $k, $val := $v.mr3.extraProperties -}}
{{- if has $k $scriptOnly -}}
{{- fail (printf "mr3.extraProperties.%s: MR3's mr3-setup.sh sets this key on the command line (-D%s=…), which overrides mr3-site.xml, so a value here would never be used; remove it (mr3.master.mode comes from submit's --kubernetes/--localthread/--localprocess; the worker claim mounts are always empty while workDir.enabled=true)" $k $k) -}}
{{- end -}}
{{- if has $k $refused -}}
{{- fail (printf "mr3.extraProperties.%s: the chart derives this mr3-site.xml key from typed values (see the chart README); set those instead" $k) -}}
{{- end -}}
{{- $_ := set $props $k (include "spark-mr3.str" $val) -}}
{{- end -}}
{{- toJson (merge $derived $props) -}}
{{- end -}}

{{/* Address outside drivers dial: {"host": ..., "port": ...} (validated in spark-mr3.validate). */}}
{{- define "spark-mr3.amServiceAddress" -}}
{{- $s := .Values.mr3.amService -}}
{{- $host := .Values.outsideDrivers.amServiceHost -}}
{{- if not $host -}}
{{- if $s.externalIPs -}}{{- $host = first $s.externalIPs -}}{{- else if and (eq $s.type "LoadBalancer") $s.loadBalancerIP -}}{{- $host = $s.loadBalancerIP -}}{{- end -}}
{{- end -}}
{{- $port := include "spark-mr3.str" $s.port -}}
{{- if eq $s.type "NodePort" -}}{{- $port = include "spark-mr3.str" $s.nodePort -}}{{- end -}}
{{- toJson (dict "host" (toString $host) "port" $port) -}}
{{- end -}}

{{/* Properties of spark-defaults.conf. */}}
{{- define "spark-mr3.sparkDefaultsProps" -}}
{{- $v := .Values -}}
{{- $external := eq $v.shuffle.mode "external" -}}
{{- /* MR3's sample spark-defaults.conf (the baseline; see mr3SiteProps). */ -}}
{{- $defaults := dict
  "spark.sql.legacy.createHiveTableByDefault" "false"
  "spark.sql.sources.default" "orc"
  "spark.hadoop.fs.s3a.bucket.all.committer.magic.enabled" "true"
  "spark.hadoop.fs.s3a.directory.marker.retention" "keep"
  "spark.shuffle.io.serverThreads" "1"
  "spark.shuffle.io.clientThreads" "1"
  "spark.shuffle.io.numConnectionsPerPeer" "1"
  "spark.mr3.client.connect.timeout.ms" "30000"
  "spark.mr3.dag.status.checker.period.ms" "1000"
  "spark.hadoop.ipc.maximum.data.length" "1073741824"
  "spark.files.useFetchCache" "false"
-}}
{{- $derived := dict
  "spark.shuffle.service.enabled" (ternary "true" "false" $external)
  "spark.shuffle.service.port" (include "spark-mr3.str" $v.shuffle.port)
  "spark.mr3.use.daemon.shufflehandler" (ternary "0" (include "spark-mr3.str" $v.shuffle.builtinHandlers) $external)
  "spark.mr3.k8s.shuffle.process.ports" (include "spark-mr3.str" $v.shuffle.port)
  "spark.local.dir" (join "," $v.localDirs.paths)
  "spark.executor.cores" (include "spark-mr3.str" $v.spark.executorCores)
  "spark.executor.memory" (printf "%sm" (include "spark-mr3.str" $v.spark.executorMemoryMb))
  "spark.executor.memoryOverhead" (printf "%sm" (include "spark-mr3.str" $v.spark.executorMemoryOverheadMb))
  "spark.task.cpus" (include "spark-mr3.str" $v.spark.taskCpus)
-}}
{{- $props := $defaults -}}
{{- range $k, $val := $v.spark.extraProperties -}}
{{- if hasKey $derived $k -}}
{{- fail (printf "spark.extraProperties.%s: the chart derives this spark-defaults.conf key from typed values (see the chart README); set those instead" $k) -}}
{{- end -}}
{{- $_ := set $props $k (include "spark-mr3.str" $val) -}}
{{- end -}}
{{- toJson (merge $derived $props) -}}
{{- end -}}

{{/* Properties of core-site.xml. */}}
{{- define "spark-mr3.coreSiteProps" -}}
{{- $c := .Values.coreSite -}}
{{- $defaults := dict
  "fs.s3a.impl" "org.apache.hadoop.fs.s3a.S3AFileSystem"
  "fs.s3a.connection.maximum" "4000"
  "fs.s3a.threads.max" "250"
  "fs.s3a.threads.core" "250"
-}}
{{- $derived := dict
  "fs.defaultFS" $c.defaultFS
  "hadoop.security.authentication" $c.authentication
  "fs.s3a.path.style.access" (toString $c.s3aPathStyleAccess)
  "fs.s3a.connection.ssl.enabled" (toString $c.s3aSslEnabled)
-}}
{{- if $c.s3aEndpoint -}}{{- $_ := set $derived "fs.s3a.endpoint" $c.s3aEndpoint -}}{{- end -}}
{{- if $c.s3aCredentialsProvider -}}{{- $_ := set $derived "fs.s3a.aws.credentials.provider" $c.s3aCredentialsProvider -}}{{- end -}}
{{- $refused := concat (keys $derived) (list "fs.s3a.endpoint" "fs.s3a.aws.credentials.provider") -}}
{{- $props := $defaults -}}
{{- range $k, $val := $c.extraProperties -}}
{{- if has $k $refused -}}
{{- fail (printf "coreSite.extraProperties.%s: the chart derives this core-site.xml key from typed values (coreSite.*); set those instead" $k) -}}
{{- end -}}
{{- $_ := set $props $k (include "spark-mr3.str" $val) -}}
{{- end -}}
{{- toJson (merge $derived $props) -}}
{{- end -}}

{{/*
Properties of hive-site.xml. hive.metastore.uris and hive.metastore.warehouse.dir come from the
values that also give env.sh's SPARK_METASTORE_* (spark-setup.sh passes both as -D options,
which override this file), so the two always agree.
*/}}
{{- define "spark-mr3.hiveSiteProps" -}}
{{- $h := .Values.hiveSite -}}
{{- $props := dict -}}
{{- if $h.metastoreUris -}}{{- $_ := set $props "hive.metastore.uris" $h.metastoreUris -}}{{- end -}}
{{- if $h.warehouseDir -}}{{- $_ := set $props "hive.metastore.warehouse.dir" $h.warehouseDir -}}{{- end -}}
{{- range $k, $val := $h.extraProperties -}}
{{- $_ := set $props $k (include "spark-mr3.str" $val) -}}
{{- end -}}
{{- toJson $props -}}
{{- end -}}
