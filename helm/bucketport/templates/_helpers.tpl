{{/* Chart name, cut to the 63 characters a label value allows. */}}
{{- define "bucketport.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object names: release-chart, or the release name alone when it already holds the chart name. */}}
{{- define "bucketport.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The server pods' selector; the component keeps the helm test Pod out of the Service. */}}
{{- define "bucketport.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bucketport.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "bucketport.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "bucketport.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: test
{{- end }}

{{- define "bucketport.labels" -}}
{{ include "bucketport.selectorLabels" . }}
{{ include "bucketport.commonLabels" . }}
{{- end }}

{{- define "bucketport.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "bucketport.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bucketport.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository@digest, or repository:tag with the tag defaulting to the chart's appVersion. */}}
{{- define "bucketport.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "bucketport.secretName" -}}
{{- .Values.auth.existingSecret | default (include "bucketport.fullname" .) }}
{{- end }}

{{/* Where the Secret is mounted; BUCKETPORT_AUTH_TOKENS_FILE points into it. */}}
{{- define "bucketport.secretDir" -}}/etc/bucketport/secret{{- end }}

{{- define "bucketport.localStore" -}}
{{- if hasPrefix "file://" .Values.config.storageUrl }}true{{ end }}
{{- end }}

{{/* Replicas the workload never goes below: what a PodDisruptionBudget must leave room under. */}}
{{- define "bucketport.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}{{ .Values.autoscaling.minReplicas }}{{ else }}{{ .Values.replicaCount }}{{ end }}
{{- end }}

{{/* uvicorn's own wait to close the remaining connections once the drain is over
     (timeout_graceful_shutdown in service/server.py; tests/chart checks that they agree). */}}
{{- define "bucketport.closeWaitSeconds" -}}5{{- end }}

{{/* Grace period = preStop sleep + shutdown delay + drain + uvicorn's close wait + margin, so
     SIGKILL never cuts a draining request. */}}
{{- define "bucketport.terminationGracePeriodSeconds" -}}
{{- $c := .Values.config }}
{{- add .Values.shutdown.preStopSleepSeconds (ceil $c.shutdownDelaySeconds) (ceil $c.drainSeconds) (include "bucketport.closeWaitSeconds" .) .Values.shutdown.graceMarginSeconds }}
{{- end }}

{{/* The clouds whose node-local credential endpoint the pods must reach, for the store URLs
     they use: "eks", "gke", both or none. Call with (dict "root" $ "urls" (list URL...)). */}}
{{- define "bucketport.identityClouds" -}}
{{- $mode := .root.Values.networkPolicy.identityEgress }}
{{- if ne $mode "auto" }}{{ if ne $mode "none" }}{{ $mode }}{{ end }}
{{- else }}
{{- range .urls }}{{ if hasPrefix "s3://" (toString .) }} eks{{ else if hasPrefix "gs://" (toString .) }} gke{{ end }}{{ end }}
{{- end }}
{{- end }}

{{- define "bucketport.identityEgress" -}}
{{- $clouds := include "bucketport.identityClouds" . | splitList " " }}
{{- if has "eks" $clouds }}
- to:
    - ipBlock: {cidr: 169.254.170.23/32}
    - ipBlock: {cidr: "fd00:ec2::23/128"}
  ports:
    - {port: 80, protocol: TCP}
{{- end }}
{{- if has "gke" $clouds }}
- to:
    - ipBlock: {cidr: 169.254.169.254/32}
  ports:
    - {port: 80, protocol: TCP}
- to:
    - ipBlock: {cidr: 169.254.169.252/32}
  ports:
    - {port: 988, protocol: TCP}
{{- end }}
{{- end }}

{{/* What the Ingress and the HTTPRoute publish, as {path, type} (Gateway API match types):
     the object API, and the docs when routes.docs is on. Never /metrics or the probes. */}}
{{- define "bucketport.publicPaths" -}}
- {path: /v1, type: PathPrefix}
{{- if .Values.routes.docs }}
- {path: /docs, type: PathPrefix}
- {path: /openapi.json, type: Exact}
{{- end }}
{{- end }}

{{/* Does the Ingress serve HTTPS (a TLS Secret, an ACM or a Google-managed certificate)? */}}
{{- define "bucketport.ingressTls" -}}
{{- if or .Values.ingress.tls .Values.alb.certificateArn .Values.gke.managedCertificate }}true{{ end }}
{{- end }}

{{/* The Ingress annotations: the chart's for the cloud load balancer, then ingress.annotations,
     which win. */}}
{{- define "bucketport.ingressAnnotations" -}}
{{- $made := dict }}
{{- with .Values.alb.certificateArn }}
{{- $_ := set $made "alb.ingress.kubernetes.io/certificate-arn" . }}
{{- $_ := set $made "alb.ingress.kubernetes.io/listen-ports" `[{"HTTP": 80}, {"HTTPS": 443}]` }}
{{- $_ := set $made "alb.ingress.kubernetes.io/ssl-redirect" "443" }}
{{- end }}
{{- with .Values.alb.deregistrationDelaySeconds }}
{{- $_ := set $made "alb.ingress.kubernetes.io/target-group-attributes" (printf "deregistration_delay.timeout_seconds=%d" (int .)) }}
{{- end }}
{{- if .Values.gke.managedCertificate }}
{{- $_ := set $made "networking.gke.io/managed-certificates" (include "bucketport.fullname" .) }}
{{- end }}
{{- if .Values.gke.httpsRedirect }}
{{- $_ := set $made "networking.gke.io/v1beta1.FrontendConfig" (include "bucketport.fullname" .) }}
{{- end }}
{{- merge (deepCopy .Values.ingress.annotations) $made | toYaml }}
{{- end }}
