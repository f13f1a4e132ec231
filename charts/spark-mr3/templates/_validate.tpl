{{/*
Cross-field rules values.schema.json cannot express. Each failure names the value key, what is
wrong and the fix. Included once, from configmap.yaml (always rendered).
*/}}
{{- define "spark-mr3.validate" -}}
{{- $v := .Values -}}

{{- /* hostAliases: valid IPs, one IP per host name. */ -}}
{{- $hostIP := dict -}}
{{- range $i, $a := $v.hostAliases -}}
{{- if not (include "spark-mr3.isIP" $a.ip) -}}
{{- fail (printf "hostAliases[%d].ip: %q is not an IPv4 or IPv6 address" $i (toString $a.ip)) -}}
{{- end -}}
{{- range $a.hostnames -}}
{{- if and (hasKey $hostIP .) (ne (get $hostIP .) (toString $a.ip)) -}}
{{- fail (printf "hostAliases[%d].hostnames: host %q maps to both %s and %s; keep one IP per host name" $i . (get $hostIP .) (toString $a.ip)) -}}
{{- end -}}
{{- $_ := set $hostIP . (toString $a.ip) -}}
{{- end -}}
{{- end -}}

{{- /* drivers: unique names, not the AM Service's, sizes within limits. */ -}}
{{- $names := dict -}}
{{- range $d := include "spark-mr3.drivers" . | fromJsonArray -}}
{{- $at := printf "drivers[%d] (name %s)" (int $d.index) $d.name -}}
{{- if hasKey $names $d.name -}}
{{- fail (printf "drivers[%d].name: %q is used by drivers[%d] too; driver names must be unique" (int $d.index) $d.name (int (get $names $d.name))) -}}
{{- end -}}
{{- $_ := set $names $d.name $d.index -}}
{{- if eq $d.name $v.mr3.amService.name -}}
{{- fail (printf "drivers[%d].name: %q is the name of the DAGAppMaster Service (mr3.amService.name); pick another driver name" (int $d.index) $d.name) -}}
{{- end -}}
{{- if or (eq $d.name "service-worker") (hasPrefix "service-master-" $d.name) -}}
{{- fail (printf "drivers[%d].name: %q collides with the Services MR3 creates at run time (service-worker, service-master-<ts>-0); pick another driver name" (int $d.index) $d.name) -}}
{{- end -}}
{{- $limits := default dict (default dict $d.resources).limits -}}
{{- with $limits.memory -}}
{{- $mib := include "spark-mr3.memoryMiB" . -}}
{{- if eq $mib "INVALID" -}}
{{- fail (printf "%s: resources.limits.memory %q is not a memory quantity like 4Gi or 4096Mi" $at (toString .)) -}}
{{- end -}}
{{- if gt (float64 $d.memoryMb) (mulf (float64 $mib) 0.9) -}}
{{- fail (printf "%s: memoryMb %s is above 90%% of resources.limits.memory %s (%.0f MiB); lower memoryMb or raise the limit (leave room for off-heap memory)" $at (include "spark-mr3.str" $d.memoryMb) (toString .) (float64 $mib)) -}}
{{- end -}}
{{- end -}}
{{- $requests := default dict (default dict $d.resources).requests -}}
{{- if and $requests.memory $limits.memory -}}
{{- $req := include "spark-mr3.memoryMiB" $requests.memory -}}
{{- if eq $req "INVALID" -}}
{{- fail (printf "%s: resources.requests.memory %q is not a memory quantity like 4Gi or 4096Mi" $at (toString $requests.memory)) -}}
{{- end -}}
{{- if gt (float64 $req) (float64 (include "spark-mr3.memoryMiB" $limits.memory)) -}}
{{- fail (printf "%s: resources.requests.memory %s is above resources.limits.memory %s" $at (toString $requests.memory) (toString $limits.memory)) -}}
{{- end -}}
{{- end -}}
{{- if and $requests.cpu $limits.cpu -}}
{{- $req := include "spark-mr3.cpuCores" $requests.cpu -}}
{{- if eq $req "INVALID" -}}
{{- fail (printf "%s: resources.requests.cpu %q is not a CPU quantity like 2 or 1500m" $at (toString $requests.cpu)) -}}
{{- end -}}
{{- $lim := include "spark-mr3.cpuCores" $limits.cpu -}}
{{- if and (ne $lim "INVALID") (gt (float64 $req) (float64 $lim)) -}}
{{- fail (printf "%s: resources.requests.cpu %s is above resources.limits.cpu %s" $at (toString $requests.cpu) (toString $limits.cpu)) -}}
{{- end -}}
{{- end -}}
{{- with $limits.cpu -}}
{{- $cores := include "spark-mr3.cpuCores" . -}}
{{- if eq $cores "INVALID" -}}
{{- fail (printf "%s: resources.limits.cpu %q is not a CPU quantity like 2 or 1500m" $at (toString .)) -}}
{{- end -}}
{{- if gt (float64 $d.cores) (float64 $cores) -}}
{{- fail (printf "%s: cores %s is above resources.limits.cpu %s; lower cores or raise the limit" $at (include "spark-mr3.str" $d.cores) (toString .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* DAG recovery needs a work dir PVC at mr3.am.staging-dir. */ -}}
{{- if and $v.mr3.dagRecovery (not $v.workDir.enabled) -}}
{{- fail "mr3.dagRecovery=true needs workDir.enabled=true: DAG recovery keeps its state in mr3.am.staging-dir (workDir.mountPath), which must be a PersistentVolumeClaim mounted in the DAGAppMaster; set workDir.enabled=true with workDir.existingClaim, workDir.storageClassName or workDir.persistentVolume.create" -}}
{{- end -}}

{{- /* Work dir PV. */ -}}
{{- if and $v.workDir.enabled $v.workDir.persistentVolume.create -}}
{{- if $v.workDir.existingClaim -}}
{{- fail "workDir.persistentVolume.create=true and workDir.existingClaim are exclusive: the chart binds its PV only to the claim it creates" -}}
{{- end -}}
{{- if ne (len $v.workDir.persistentVolume.source) 1 -}}
{{- fail "workDir.persistentVolume.source: give exactly one volume source for the PersistentVolume, e.g. {nfs: {server: 10.1.90.10, path: /work}}" -}}
{{- end -}}
{{- if and (hasKey $v.workDir.persistentVolume.source "hostPath") (not $v.workDir.allowHostPath) -}}
{{- fail "workDir.persistentVolume.source.hostPath: hostPath volumes are refused unless workDir.allowHostPath=true (they pin data to one node and are not allowed under PodSecurity baseline/restricted)" -}}
{{- end -}}
{{- end -}}

{{- /* AM Service exposure. */ -}}
{{- $s := $v.mr3.amService -}}
{{- range $i, $ip := $s.externalIPs -}}
{{- if not (include "spark-mr3.isIP" $ip) -}}
{{- fail (printf "mr3.amService.externalIPs[%d]: %q is not an IP address" $i (toString $ip)) -}}
{{- end -}}
{{- end -}}
{{- if and $s.loadBalancerIP (not (include "spark-mr3.isIP" $s.loadBalancerIP)) -}}
{{- fail (printf "mr3.amService.loadBalancerIP: %q is not an IP address" (toString $s.loadBalancerIP)) -}}
{{- end -}}
{{- if and $s.nodePort (ne $s.type "NodePort") (ne $s.type "LoadBalancer") -}}
{{- fail (printf "mr3.amService.nodePort is set but mr3.amService.type is %s; use type NodePort (or LoadBalancer)" $s.type) -}}
{{- end -}}

{{- /* Outside drivers. */ -}}
{{- if $v.outsideDrivers.enabled -}}
{{- if not $v.outsideDrivers.apiServerUrl -}}
{{- fail "outsideDrivers.apiServerUrl is required when outsideDrivers.enabled=true (mr3.k8s.api.server.url, e.g. https://10.1.90.9:6443)" -}}
{{- end -}}
{{- if and (eq $s.type "NodePort") (not $s.nodePort) -}}
{{- fail "mr3.amService.nodePort is required when outsideDrivers.enabled=true and mr3.amService.type=NodePort: it becomes mr3.k8s.am.service.port" -}}
{{- end -}}
{{- $addr := include "spark-mr3.amServiceAddress" . | fromJson -}}
{{- if not $addr.host -}}
{{- fail "outsideDrivers.amServiceHost: outside drivers need an address for the DAGAppMaster Service; set mr3.amService.externalIPs, or mr3.amService.type=LoadBalancer with loadBalancerIP, or outsideDrivers.amServiceHost (required for NodePort: a node's address)" -}}
{{- end -}}
{{- if and $v.outsideDrivers.amServiceHost $s.externalIPs (eq $s.type "ClusterIP") (not (has $v.outsideDrivers.amServiceHost $s.externalIPs)) -}}
{{- fail (printf "outsideDrivers.amServiceHost %q is not one of mr3.amService.externalIPs %v; the mr3 Service only answers on those" $v.outsideDrivers.amServiceHost $s.externalIPs) -}}
{{- end -}}
{{- range $i, $h := $v.outsideDrivers.hosts -}}
{{- if not (hasKey $hostIP $h) -}}
{{- fail (printf "outsideDrivers.hosts[%d]: host %q is not in hostAliases; add {ip: <its address>, hostnames: [%s]} so executors can reach the driver (else java.net.UnknownHostException)" $i $h $h) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* env.sh variable names and master label keys (schema propertyNames errors point at the wrong path). */ -}}
{{- $reserved := include "spark-mr3.envShReserved" . | fromJsonArray -}}
{{- range $k, $_ := $v.envSh.vars -}}
{{- if not (regexMatch `^[A-Za-z_][A-Za-z0-9_]*$` $k) -}}
{{- fail (printf "envSh.vars.%s: not a shell variable name (letters, digits, _; not starting with a digit)" $k) -}}
{{- end -}}
{{- if has $k $reserved -}}
{{- fail (printf "envSh.vars.%s: env.sh sets %s itself (from values, so MR3's -D options agree with mr3-site.xml) or the driver Pod does; remove it from envSh.vars and set the chart value it comes from (docs/DESIGN.md \"env.sh\")" $k $k) -}}
{{- end -}}
{{- end -}}

{{- /* hive-site.xml keys that come from env.sh (refused even while hive-site.xml is off: the -D options always apply). */ -}}
{{- if hasKey $v.hiveSite.extraProperties "hive.metastore.uris" -}}
{{- fail "hiveSite.extraProperties.hive.metastore.uris: set hiveSite.metastoreUris instead (MR3's spark-setup.sh passes it as -Dhive.metastore.uris from env.sh, overriding hive-site.xml)" -}}
{{- end -}}
{{- if hasKey $v.hiveSite.extraProperties "hive.metastore.warehouse.dir" -}}
{{- fail "hiveSite.extraProperties.hive.metastore.warehouse.dir: set hiveSite.warehouseDir instead (MR3's spark-setup.sh always passes -Dhive.metastore.warehouse.dir from env.sh, overriding hive-site.xml)" -}}
{{- end -}}

{{- /* Metastore: ONE thrift://host:port (spark-setup.sh's -Dhive.metastore.uris takes one host and port). */ -}}
{{- with $v.hiveSite.metastoreUris -}}
{{- if contains "," . -}}
{{- fail (printf "hiveSite.metastoreUris: %q lists several metastores, but MR3's spark-setup.sh always passes exactly one, -Dhive.metastore.uris=thrift://$SPARK_METASTORE_HOST:$SPARK_METASTORE_PORT from env.sh, and that overrides hive-site.xml; give one thrift://host:port (e.g. a Service in front of the metastores)" .) -}}
{{- end -}}
{{- if not (regexMatch `^thrift://[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$` .) -}}
{{- fail (printf "hiveSite.metastoreUris: %q is not one thrift://host:port (e.g. thrift://metastore.hive.svc.cluster.local:9083); MR3's spark-setup.sh builds -Dhive.metastore.uris from its host and port" .) -}}
{{- end -}}
{{- end -}}

{{- /* Secret file names (keys of the keytab and worker Secrets). */ -}}
{{- range $what, $files := dict "keytabFiles" $v.keytabFiles "workerFiles" $v.workerFiles -}}
{{- range $k, $_ := $files -}}
{{- if not (regexMatch `^[-._a-zA-Z0-9]{1,253}$` $k) -}}
{{- fail (printf "%s.%s: not a file name for a Secret key; use letters, digits, '.', '_' and '-' only" $what $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* Files that must be in the keytab Secret (mounted at /opt/mr3-run/key). */ -}}
{{- $keyFiles := keys (default dict $v.keytabFiles) -}}
{{- $keyDir := include "spark-mr3.keyDir" . -}}
{{- with $v.kerberos.keytab -}}
{{- if not (has (trimPrefix (printf "%s/" $keyDir) .) $keyFiles) -}}
{{- fail (printf "kerberos.keytab: %q is not a file of the keytab Secret; add it as keytabFiles.%s (base64) or fix the path (%s/<a key of keytabFiles>)" . (base .) $keyDir) -}}
{{- end -}}
{{- end -}}
{{- range $what, $file := dict "kerberos.keytabMountFile" $v.kerberos.keytabMountFile "ssl.truststore" $v.ssl.truststore -}}
{{- if and $file (not (has $file $keyFiles)) -}}
{{- fail (printf "%s: %q is not a key of keytabFiles, the files mounted at %s; add keytabFiles.%s (base64 content) or leave %s empty" $what $file $keyDir $file $what) -}}
{{- end -}}
{{- end -}}

{{- /* Mount paths of drivers must be distinct. */ -}}
{{- if has $v.workDir.mountPath $v.localDirs.paths -}}
{{- fail (printf "workDir.mountPath: %s is also in localDirs.paths; the staging dir (mr3.am.staging-dir) and the local dirs need different paths" $v.workDir.mountPath) -}}
{{- end -}}
{{- range $p := list (include "spark-mr3.submitResultDir" .) (include "spark-mr3.shellResultDir" .) -}}
{{- if or (eq $p $v.workDir.mountPath) (has $p $v.localDirs.paths) -}}
{{- fail (printf "%s is a result dir of MR3's driver scripts; use another path in workDir.mountPath and localDirs.paths" $p) -}}
{{- end -}}
{{- end -}}
{{- range $k, $_ := $v.mr3.masterLabels -}}
{{- if not (regexMatch `^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$` $k) -}}
{{- fail (printf "mr3.masterLabels.%s: not a Kubernetes label key" $k) -}}
{{- end -}}
{{- end -}}

{{- /* Existing service accounts need names (fails inside the helper). */ -}}
{{- range $role := list "driver" "master" "worker" -}}
{{- $_ := include "spark-mr3.serviceAccountName" (dict "ctx" $ "role" $role) -}}
{{- end -}}
{{- end -}}
