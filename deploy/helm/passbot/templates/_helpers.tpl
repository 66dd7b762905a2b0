{{/* The objects' name: the release's, or <release>-passbot when the release
name does not say passbot. */}}
{{- define "passbot.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 57 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 57 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "passbot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: passbot
{{- end -}}

{{/* Selector labels of passbot's pods; the NetworkPolicy admits these. */}}
{{- define "passbot.selector" -}}
app.kubernetes.io/name: passbot
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "passbot.redis.selector" -}}
app.kubernetes.io/name: redis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "passbot.secretName" -}}
{{- .Values.existingSecret | default (include "passbot.fullname" .) -}}
{{- end -}}

{{/* The port number of an address setting such as ":8080". */}}
{{- define "passbot.port" -}}
{{- $addr := index .Values.config .setting | required (printf "config.%s: the chart's ports and probes need it, e.g. :8080" .setting) -}}
{{- splitList ":" $addr | last | int -}}
{{- end -}}

{{/* The Redis password, checked: it goes into PASSBOT_REDIS_URL as is. */}}
{{- define "passbot.redis.password" -}}
{{- $pw := .Values.redis.password | required "redis.password: set the password of the chart's Redis (letters and digits, e.g. openssl rand -hex 32)" -}}
{{- if not (regexMatch "^[A-Za-z0-9]+$" $pw) -}}
{{- fail "redis.password: use letters and digits only (e.g. openssl rand -hex 32): it goes into PASSBOT_REDIS_URL unescaped" -}}
{{- end -}}
{{- $pw -}}
{{- end -}}
