{{/*
Small utilities: values as config text, escaping for XML, Java properties and sh, IP addresses,
Kubernetes quantities, and the drivers list with driverDefaults applied.
*/}}

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
The drivers list with driverDefaults applied, as JSON, each with its index and objectName. A key set in a driver entry replaces
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
{{- /* objectName: the StatefulSet and headless Service F-<name> (its Pod F-<name>-0); name stays the entry's handle (label sparkmr3.io/driver, --driver). */ -}}
{{- $_ := set $m "objectName" (include "spark-mr3.driverObjectName" (dict "ctx" $ "name" $m.name)) -}}
{{- $out = append $out $m -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}
