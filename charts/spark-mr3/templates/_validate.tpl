{{/*
Cross-field rules values.schema.json cannot express. One define per rule,
spark-mr3.validate.<rule>: it returns its messages as a JSON list (each names the value key,
what is wrong and the fix; [] when the values pass). spark-mr3.validate runs every rule and
fails once with all their messages, so a user with three mistakes reads three messages.

spark-mr3.validate runs once per render (the result is kept on the render's top-level
context). configmap.yaml includes it first thing, and statefulset.yaml, the first template
Helm renders that could fail, includes configmap.yaml for its checksum: so these messages come
before any other `fail` of the chart (those that remain are guards for the same rules).
*/}}
{{- define "spark-mr3.validate" -}}
{{- if not (hasKey . "sparkmr3Validated") -}}
{{- $msgs := list -}}
{{- range $rule := list "hostAliases" "drivers" "dagRecovery" "workDirPV" "amService" "outsideDrivers" "hiveSiteExtras" "metastore" "secretFileNames" "keyFiles" "mountPaths" "masterLabels" "token" -}}
{{- $msgs = concat $msgs (include (printf "spark-mr3.validate.%s" $rule) $ | fromJsonArray) -}}
{{- end -}}
{{- $accounts := include "spark-mr3.validate.serviceAccounts" . | fromJsonArray -}}
{{- $msgs = concat $msgs $accounts -}}
{{- /* These two render env.sh and the conf files, which name the ServiceAccounts. */ -}}
{{- if not $accounts -}}
{{- range $rule := list "envShVars" "extraProperties" -}}
{{- $msgs = concat $msgs (include (printf "spark-mr3.validate.%s" $rule) $ | fromJsonArray) -}}
{{- end -}}
{{- end -}}
{{- include "spark-mr3.failOnce" $msgs -}}
{{- $_ := set . "sparkmr3Validated" true -}}
{{- end -}}
{{- end -}}

{{/* Fail with a list of messages: one as it is, several as a numbered list; none: nothing. */}}
{{- define "spark-mr3.failOnce" -}}
{{- if eq (len .) 1 -}}
{{- fail (first .) -}}
{{- else if . -}}
{{- $lines := list -}}
{{- range $i, $m := . -}}{{- $lines = append $lines (printf "%d. %s" (add1 $i) $m) -}}{{- end -}}
{{- fail (printf "%d problems in the values; fix each:\n%s" (len .) (join "\n" $lines)) -}}
{{- end -}}
{{- end -}}

{{/* hostAliases: valid IPs, one IP per host name. */}}
{{- define "spark-mr3.validate.hostAliases" -}}
{{- $msgs := list -}}
{{- $hostIP := dict -}}
{{- range $i, $a := .Values.hostAliases -}}
{{- if not (include "spark-mr3.isIP" $a.ip) -}}
{{- $msgs = append $msgs (printf "hostAliases[%d].ip: %q is not an IPv4 or IPv6 address" $i (toString $a.ip)) -}}
{{- end -}}
{{- range $a.hostnames -}}
{{- if and (hasKey $hostIP .) (ne (get $hostIP .) (toString $a.ip)) -}}
{{- $msgs = append $msgs (printf "hostAliases[%d].hostnames: host %q maps to both %s and %s; keep one IP per host name" $i . (get $hostIP .) (toString $a.ip)) -}}
{{- else -}}
{{- $_ := set $hostIP . (toString $a.ip) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/*
drivers: unique names; their objects F-<name> valid Service and StatefulSet names, not the AM
Service's or MR3's; the AM Service's name valid; sizes within limits.
*/}}
{{- define "spark-mr3.validate.drivers" -}}
{{- $v := .Values -}}
{{- $msgs := list -}}
{{- $names := dict -}}
{{- $dns1035 := `^[a-z]([-a-z0-9]*[a-z0-9])?$` -}}
{{- $am := include "spark-mr3.amServiceName" . -}}
{{- if not (regexMatch $dns1035 $am) -}}
{{- $msgs = append $msgs (printf "mr3.amService.name: the DAGAppMaster Service would be named %q (<fullname>-mr3 with fullname %q), which is not a DNS-1035 label (lower case, digits and '-', starting with a letter): set mr3.amService.name, or fullnameOverride to a name starting with a letter" $am (include "spark-mr3.fullname" .)) -}}
{{- end -}}
{{- range $d := include "spark-mr3.drivers" . | fromJsonArray -}}
{{- $obj := $d.objectName -}}
{{- $fix := printf "use a shorter driver name, or set fullnameOverride to a shorter name (the objects of driver %s are named <fullname>-%s)" $d.name $d.name -}}
{{- if not (regexMatch $dns1035 $obj) -}}
{{- $msgs = append $msgs (printf "drivers[%d].name: driver %q makes StatefulSet and Service %q, which is not a DNS-1035 label (lower case, digits and '-', starting with a letter; a Service name must be one); set fullnameOverride to a name starting with a letter, without dots" (int $d.index) $d.name $obj) -}}
{{- else if gt (len $obj) 52 -}}
{{- $msgs = append $msgs (printf "drivers[%d].name: driver %q makes StatefulSet %q, %d characters; its Pod's label controller-revision-hash=%s-<10 characters> must fit in 63, so at most 52: %s" (int $d.index) $d.name $obj (len $obj) $obj $fix) -}}
{{- end -}}
{{- $at := printf "drivers[%d] (name %s)" (int $d.index) $d.name -}}
{{- if hasKey $names $d.name -}}
{{- $msgs = append $msgs (printf "drivers[%d].name: %q is used by drivers[%d] too; driver names must be unique" (int $d.index) $d.name (int (get $names $d.name))) -}}
{{- else -}}
{{- $_ := set $names $d.name $d.index -}}
{{- end -}}
{{- if or (eq $d.name $am) (eq $obj $am) -}}
{{- $msgs = append $msgs (printf "drivers[%d].name: driver %q (Service %q) collides with the DAGAppMaster Service %q (mr3.amService.name, default <fullname>-mr3); pick another driver name" (int $d.index) $d.name $obj $am) -}}
{{- end -}}
{{- if or (eq $obj "service-worker") (hasPrefix "service-master-" $obj) -}}
{{- $msgs = append $msgs (printf "drivers[%d].name: driver %q makes Service %q, which collides with the Services MR3 creates at run time (service-worker, service-master-<ts>-0); pick another driver name" (int $d.index) $d.name $obj) -}}
{{- end -}}
{{- $limits := default dict (default dict $d.resources).limits -}}
{{- $limitMiB := "INVALID" -}}
{{- with $limits.memory -}}
{{- $limitMiB = include "spark-mr3.memoryMiB" . -}}
{{- if eq $limitMiB "INVALID" -}}
{{- $msgs = append $msgs (printf "%s: resources.limits.memory %q is not a memory quantity like 4Gi or 4096Mi" $at (toString .)) -}}
{{- else if gt (float64 $d.memoryMb) (mulf (float64 $limitMiB) 0.9) -}}
{{- $msgs = append $msgs (printf "%s: memoryMb %s is above 90%% of resources.limits.memory %s (%.0f MiB); lower memoryMb or raise the limit (leave room for off-heap memory)" $at (include "spark-mr3.str" $d.memoryMb) (toString .) (float64 $limitMiB)) -}}
{{- end -}}
{{- end -}}
{{- $requests := default dict (default dict $d.resources).requests -}}
{{- if and $requests.memory $limits.memory -}}
{{- $req := include "spark-mr3.memoryMiB" $requests.memory -}}
{{- if eq $req "INVALID" -}}
{{- $msgs = append $msgs (printf "%s: resources.requests.memory %q is not a memory quantity like 4Gi or 4096Mi" $at (toString $requests.memory)) -}}
{{- else if and (ne $limitMiB "INVALID") (gt (float64 $req) (float64 $limitMiB)) -}}
{{- $msgs = append $msgs (printf "%s: resources.requests.memory %s is above resources.limits.memory %s" $at (toString $requests.memory) (toString $limits.memory)) -}}
{{- end -}}
{{- end -}}
{{- if and $requests.cpu $limits.cpu -}}
{{- $req := include "spark-mr3.cpuCores" $requests.cpu -}}
{{- $lim := include "spark-mr3.cpuCores" $limits.cpu -}}
{{- if eq $req "INVALID" -}}
{{- $msgs = append $msgs (printf "%s: resources.requests.cpu %q is not a CPU quantity like 2 or 1500m" $at (toString $requests.cpu)) -}}
{{- else if and (ne $lim "INVALID") (gt (float64 $req) (float64 $lim)) -}}
{{- $msgs = append $msgs (printf "%s: resources.requests.cpu %s is above resources.limits.cpu %s" $at (toString $requests.cpu) (toString $limits.cpu)) -}}
{{- end -}}
{{- end -}}
{{- with $limits.cpu -}}
{{- $cores := include "spark-mr3.cpuCores" . -}}
{{- if eq $cores "INVALID" -}}
{{- $msgs = append $msgs (printf "%s: resources.limits.cpu %q is not a CPU quantity like 2 or 1500m" $at (toString .)) -}}
{{- else if gt (float64 $d.cores) (float64 $cores) -}}
{{- $msgs = append $msgs (printf "%s: cores %s is above resources.limits.cpu %s; lower cores or raise the limit" $at (include "spark-mr3.str" $d.cores) (toString .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* DAG recovery needs a work dir PVC at mr3.am.staging-dir. */}}
{{- define "spark-mr3.validate.dagRecovery" -}}
{{- $msgs := list -}}
{{- if and .Values.mr3.dagRecovery (not .Values.workDir.enabled) -}}
{{- $msgs = append $msgs "mr3.dagRecovery=true needs workDir.enabled=true: DAG recovery keeps its state in mr3.am.staging-dir (workDir.mountPath), which must be a PersistentVolumeClaim mounted in the DAGAppMaster; set workDir.enabled=true with workDir.existingClaim, workDir.storageClassName or workDir.persistentVolume.create" -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* The work dir PV the chart creates. */}}
{{- define "spark-mr3.validate.workDirPV" -}}
{{- $w := .Values.workDir -}}
{{- $msgs := list -}}
{{- if and $w.enabled $w.persistentVolume.create -}}
{{- if $w.existingClaim -}}
{{- $msgs = append $msgs "workDir.persistentVolume.create=true and workDir.existingClaim are exclusive: the chart binds its PV only to the claim it creates" -}}
{{- end -}}
{{- if ne (len $w.persistentVolume.source) 1 -}}
{{- $msgs = append $msgs "workDir.persistentVolume.source: give exactly one volume source for the PersistentVolume, e.g. {nfs: {server: 10.1.90.10, path: /work}}" -}}
{{- end -}}
{{- if and (hasKey $w.persistentVolume.source "hostPath") (not $w.allowHostPath) -}}
{{- $msgs = append $msgs "workDir.persistentVolume.source.hostPath: hostPath volumes are refused unless workDir.allowHostPath=true (they pin data to one node and are not allowed under PodSecurity baseline/restricted)" -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* How the AM Service is exposed. */}}
{{- define "spark-mr3.validate.amService" -}}
{{- $s := .Values.mr3.amService -}}
{{- $msgs := list -}}
{{- range $i, $ip := $s.externalIPs -}}
{{- if not (include "spark-mr3.isIP" $ip) -}}
{{- $msgs = append $msgs (printf "mr3.amService.externalIPs[%d]: %q is not an IP address" $i (toString $ip)) -}}
{{- end -}}
{{- end -}}
{{- if and $s.loadBalancerIP (not (include "spark-mr3.isIP" $s.loadBalancerIP)) -}}
{{- $msgs = append $msgs (printf "mr3.amService.loadBalancerIP: %q is not an IP address" (toString $s.loadBalancerIP)) -}}
{{- end -}}
{{- if and $s.nodePort (ne $s.type "NodePort") (ne $s.type "LoadBalancer") -}}
{{- $msgs = append $msgs (printf "mr3.amService.nodePort is set but mr3.amService.type is %s; use type NodePort (or LoadBalancer)" $s.type) -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Outside drivers: the API server, an address for the AM Service, their hosts in hostAliases. */}}
{{- define "spark-mr3.validate.outsideDrivers" -}}
{{- $v := .Values -}}
{{- $s := $v.mr3.amService -}}
{{- $msgs := list -}}
{{- if $v.outsideDrivers.enabled -}}
{{- if not $v.outsideDrivers.apiServerUrl -}}
{{- $msgs = append $msgs "outsideDrivers.apiServerUrl is required when outsideDrivers.enabled=true (mr3.k8s.api.server.url, e.g. https://10.1.90.9:6443)" -}}
{{- end -}}
{{- if and (eq $s.type "NodePort") (not $s.nodePort) -}}
{{- $msgs = append $msgs "mr3.amService.nodePort is required when outsideDrivers.enabled=true and mr3.amService.type=NodePort: it becomes mr3.k8s.am.service.port" -}}
{{- end -}}
{{- $addr := include "spark-mr3.amServiceAddress" . | fromJson -}}
{{- if not $addr.host -}}
{{- $msgs = append $msgs "outsideDrivers.amServiceHost: outside drivers need an address for the DAGAppMaster Service; set mr3.amService.externalIPs, or mr3.amService.type=LoadBalancer with loadBalancerIP, or outsideDrivers.amServiceHost (required for NodePort: a node's address)" -}}
{{- end -}}
{{- if and $v.outsideDrivers.amServiceHost $s.externalIPs (eq $s.type "ClusterIP") (not (has $v.outsideDrivers.amServiceHost $s.externalIPs)) -}}
{{- $msgs = append $msgs (printf "outsideDrivers.amServiceHost %q is not one of mr3.amService.externalIPs %v; the mr3 Service only answers on those" $v.outsideDrivers.amServiceHost $s.externalIPs) -}}
{{- end -}}
{{- $aliased := dict -}}
{{- range $v.hostAliases -}}{{- range .hostnames -}}{{- $_ := set $aliased . true -}}{{- end -}}{{- end -}}
{{- range $i, $h := $v.outsideDrivers.hosts -}}
{{- if not (hasKey $aliased $h) -}}
{{- $msgs = append $msgs (printf "outsideDrivers.hosts[%d]: host %q is not in hostAliases; add {ip: <its address>, hostnames: [%s]} so executors can reach the driver (else java.net.UnknownHostException)" $i $h $h) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* env.sh variable names (schema propertyNames errors point at the wrong path). */}}
{{- define "spark-mr3.validate.envShVars" -}}
{{- $msgs := list -}}
{{- $reserved := include "spark-mr3.envShReserved" . | fromJsonArray -}}
{{- range $k, $_ := .Values.envSh.vars -}}
{{- if not (regexMatch `^[A-Za-z_][A-Za-z0-9_]*$` $k) -}}
{{- $msgs = append $msgs (printf "envSh.vars.%s: not a shell variable name (letters, digits, _; not starting with a digit)" $k) -}}
{{- else if has $k $reserved -}}
{{- $msgs = append $msgs (printf "envSh.vars.%s: env.sh sets %s itself (from values, so MR3's -D options agree with mr3-site.xml) or the driver Pod does; remove it from envSh.vars and set the chart value it comes from (docs/DESIGN.md \"env.sh\")" $k $k) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* hive-site.xml keys that come from env.sh (refused even while hive-site.xml is off: the -D options always apply). */}}
{{- define "spark-mr3.validate.hiveSiteExtras" -}}
{{- $msgs := list -}}
{{- if hasKey .Values.hiveSite.extraProperties "hive.metastore.uris" -}}
{{- $msgs = append $msgs "hiveSite.extraProperties.hive.metastore.uris: set hiveSite.metastoreUris instead (MR3's spark-setup.sh passes it as -Dhive.metastore.uris from env.sh, overriding hive-site.xml)" -}}
{{- end -}}
{{- if hasKey .Values.hiveSite.extraProperties "hive.metastore.warehouse.dir" -}}
{{- $msgs = append $msgs "hiveSite.extraProperties.hive.metastore.warehouse.dir: set hiveSite.warehouseDir instead (MR3's spark-setup.sh always passes -Dhive.metastore.warehouse.dir from env.sh, overriding hive-site.xml)" -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Metastore: ONE thrift://host:port (spark-setup.sh's -Dhive.metastore.uris takes one host and port). */}}
{{- define "spark-mr3.validate.metastore" -}}
{{- $msgs := list -}}
{{- with .Values.hiveSite.metastoreUris -}}
{{- if contains "," . -}}
{{- $msgs = append $msgs (printf "hiveSite.metastoreUris: %q lists several metastores, but MR3's spark-setup.sh always passes exactly one, -Dhive.metastore.uris=thrift://$SPARK_METASTORE_HOST:$SPARK_METASTORE_PORT from env.sh, and that overrides hive-site.xml; give one thrift://host:port (e.g. a Service in front of the metastores)" .) -}}
{{- else if not (regexMatch `^thrift://[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$` .) -}}
{{- $msgs = append $msgs (printf "hiveSite.metastoreUris: %q is not one thrift://host:port (e.g. thrift://metastore.hive.svc.cluster.local:9083); MR3's spark-setup.sh builds -Dhive.metastore.uris from its host and port" .) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Secret file names (keys of the keytab and worker Secrets). */}}
{{- define "spark-mr3.validate.secretFileNames" -}}
{{- $msgs := list -}}
{{- range $what, $files := dict "keytabFiles" .Values.keytabFiles "workerFiles" .Values.workerFiles -}}
{{- range $k, $_ := $files -}}
{{- if not (regexMatch `^[-._a-zA-Z0-9]{1,253}$` $k) -}}
{{- $msgs = append $msgs (printf "%s.%s: not a file name for a Secret key; use letters, digits, '.', '_' and '-' only" $what $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Files that must be in the keytab Secret (mounted at /opt/mr3-run/key). */}}
{{- define "spark-mr3.validate.keyFiles" -}}
{{- $v := .Values -}}
{{- $msgs := list -}}
{{- $keyFiles := keys (default dict $v.keytabFiles) -}}
{{- $keyDir := include "spark-mr3.keyDir" . -}}
{{- with $v.kerberos.keytab -}}
{{- if not (has (trimPrefix (printf "%s/" $keyDir) .) $keyFiles) -}}
{{- $msgs = append $msgs (printf "kerberos.keytab: %q is not a file of the keytab Secret; add it as keytabFiles.%s (base64) or fix the path (%s/<a key of keytabFiles>)" . (base .) $keyDir) -}}
{{- end -}}
{{- end -}}
{{- range $what, $file := dict "kerberos.keytabMountFile" $v.kerberos.keytabMountFile "ssl.truststore" $v.ssl.truststore -}}
{{- if and $file (not (has $file $keyFiles)) -}}
{{- $msgs = append $msgs (printf "%s: %q is not a key of keytabFiles, the files mounted at %s; add keytabFiles.%s (base64 content) or leave %s empty" $what $file $keyDir $file $what) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Mount paths of drivers must be distinct. */}}
{{- define "spark-mr3.validate.mountPaths" -}}
{{- $v := .Values -}}
{{- $msgs := list -}}
{{- if has $v.workDir.mountPath $v.localDirs.paths -}}
{{- $msgs = append $msgs (printf "workDir.mountPath: %s is also in localDirs.paths; the staging dir (mr3.am.staging-dir) and the local dirs need different paths" $v.workDir.mountPath) -}}
{{- end -}}
{{- range $p := list (include "spark-mr3.submitResultDir" .) (include "spark-mr3.shellResultDir" .) -}}
{{- if or (eq $p $v.workDir.mountPath) (has $p $v.localDirs.paths) -}}
{{- $msgs = append $msgs (printf "%s is a result dir of MR3's driver scripts; use another path in workDir.mountPath and localDirs.paths" $p) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Master label keys (schema propertyNames errors point at the wrong path). */}}
{{- define "spark-mr3.validate.masterLabels" -}}
{{- $msgs := list -}}
{{- range $k, $_ := .Values.mr3.masterLabels -}}
{{- if not (regexMatch `^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$` $k) -}}
{{- $msgs = append $msgs (printf "mr3.masterLabels.%s: not a Kubernetes label key" $k) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Existing ServiceAccounts need names. */}}
{{- define "spark-mr3.validate.serviceAccounts" -}}
{{- $msgs := list -}}
{{- range $role := list "driver" "master" "worker" -}}
{{- $sa := index $.Values.serviceAccount $role -}}
{{- if and (not $sa.create) (not $sa.name) -}}
{{- $msgs = append $msgs (include "spark-mr3.serviceAccountNameRequired" $role) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}

{{/* Keys of mr3-site.xml, spark-defaults.conf and core-site.xml that the chart derives (the conf-file engine, _conf.tpl, names them). */}}
{{- define "spark-mr3.validate.extraProperties" -}}
{{- $msgs := include "spark-mr3.mr3SiteProps" (dict "ctx" . "outside" false "refusals" true) | fromJsonArray -}}
{{- $msgs = concat $msgs (include "spark-mr3.sparkDefaultsProps" (dict "ctx" . "refusals" true) | fromJsonArray) -}}
{{- $msgs = concat $msgs (include "spark-mr3.coreSiteProps" (dict "ctx" . "refusals" true) | fromJsonArray) -}}
{{- toJson $msgs -}}
{{- end -}}

{{/*
The pinned token and token.existingSecret. The pinned values must be well formed; with
token.existingSecret the chart cannot hash a token it never sees, so token.checksum is required
(it rolls the drivers when the Secret's token changes), and a pinned token would be a second,
contradicting source (as it would be next to the plugin's own token Secret).
*/}}
{{- define "spark-mr3.validate.token" -}}
{{- $t := .Values.token -}}
{{- $msgs := list -}}
{{- $ts := include "spark-mr3.str" $t.applicationIdTimestamp -}}
{{- $pinned := or $t.clientToAMTokenKey $ts -}}
{{- if and $ts (not (regexMatch `^[1-9][0-9]{0,17}$` $ts)) -}}
{{- $msgs = append $msgs (printf "token.applicationIdTimestamp: %q is not a positive integer (MR3_APPLICATION_ID_TIMESTAMP names the application application_<ts>_0000)" $ts) -}}
{{- end -}}
{{- if and $t.clientToAMTokenKey (not (trim (toString $t.clientToAMTokenKey))) -}}
{{- $msgs = append $msgs "token.clientToAMTokenKey: a pinned token must not be blank" -}}
{{- end -}}
{{- $plugin := include "spark-mr3.pluginTokenSecret" . -}}
{{- if and $plugin $pinned -}}
{{- $msgs = append $msgs (printf "token.clientToAMTokenKey/applicationIdTimestamp: release %s keeps its token in Secret %s (made by helm sparkmr3), which a pinned token would contradict: drop the pinned values, or change the token with 'helm sparkmr3 upgrade %s --rotate-token'" .Release.Name $plugin .Release.Name) -}}
{{- end -}}
{{- if $t.existingSecret -}}
{{- if not $t.checksum -}}
{{- $msgs = append $msgs (printf "token.checksum: required with token.existingSecret=%s (the chart cannot read that Secret's token to hash it): set it to any value that changes when the token changes, e.g. the sha256 hex of \"<CLIENT_TO_AM_TOKEN_KEY>\\n<MR3_APPLICATION_ID_TIMESTAMP>\" ('helm sparkmr3 values RELEASE --file pin.yaml' writes both)" $t.existingSecret) -}}
{{- end -}}
{{- if $pinned -}}
{{- $msgs = append $msgs (printf "token.clientToAMTokenKey/applicationIdTimestamp: a pinned token and token.existingSecret=%s are two sources of one token: drop the pinned values (put the token in that Secret) or drop token.existingSecret" $t.existingSecret) -}}
{{- end -}}
{{- end -}}
{{- toJson $msgs -}}
{{- end -}}
