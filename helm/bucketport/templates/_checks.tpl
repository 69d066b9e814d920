{{/* Combinations that would install but then fail or lose data: refused at render time, each
     with one line that names the value to change. Included by deployment.yaml. */}}
{{- define "bucketport.checks" -}}
{{- $v := .Values }}
{{- if and $v.auth.enabled (not $v.auth.existingSecret) (not $v.auth.tokens) }}
{{- fail "auth.tokens is empty: set auth.tokens (or auth.existingSecret), or auth.enabled=false" }}
{{- end }}
{{- $several := or $v.autoscaling.enabled (gt (int $v.replicaCount) 1) }}
{{- if and (include "bucketport.localStore" .) $several }}
{{- if not $v.persistence.enabled }}
{{- fail "a file:// store on an emptyDir gives each pod its own objects: keep replicaCount 1 and autoscaling.enabled false, set persistence.enabled with ReadWriteMany, or use an s3:// or gs:// store" }}
{{- end }}
{{- if not (has "ReadWriteMany" $v.persistence.accessModes) }}
{{- fail (printf "persistence.accessModes %v attach the volume to one node only: use [ReadWriteMany], or keep replicaCount 1 and autoscaling.enabled false" $v.persistence.accessModes) }}
{{- end }}
{{- if and (not $v.auth.existingSecret) (not $v.auth.presignSecret) }}
{{- fail "auth.presignSecret is empty: several pods serve the file:// store, and each must verify the URLs the others sign" }}
{{- end }}
{{- end }}
{{- with $v.podDisruptionBudget }}
{{- if .enabled }}
{{- $floor := include "bucketport.minReplicas" $ | int }}
{{- if kindIs "invalid" .minAvailable }}
{{- if eq (toString .maxUnavailable | trimSuffix "%") "0" }}
{{- fail (printf "podDisruptionBudget.maxUnavailable %v lets no pod be evicted, so every node drain blocks: use 1 or more" .maxUnavailable) }}
{{- end }}
{{- else if kindIs "string" .minAvailable }}
{{- if eq .minAvailable "100%" }}
{{- fail "podDisruptionBudget.minAvailable 100% lets no pod be evicted, so every node drain blocks: use a lower share, or maxUnavailable" }}
{{- end }}
{{- else if ge (int .minAvailable) $floor }}
{{- fail (printf "podDisruptionBudget.minAvailable (%d) must be below the smallest replica count (%d), or node drains block" (int .minAvailable) $floor) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
