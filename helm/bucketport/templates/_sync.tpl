{{- /* sync: the CronJob and the Indexed Job run `python -m service sync` in the server's image,
with its service account, security contexts, settings and egress. */}}

{{- define "bucketport.syncSelectorLabels" -}}
app.kubernetes.io/name: {{ include "bucketport.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: sync
{{- end }}

{{- define "bucketport.syncEnabled" -}}
{{- if or .Values.sync.cronJob.enabled .Values.sync.shardedJob.enabled }}true{{ end }}
{{- end }}

{{- /* Egress of every pod of the release that talks to the stores: the server and sync. Call
with (dict "root" $ "urls" (list STORE_URL...)): the node-local credential endpoints follow them. */}}
{{- define "bucketport.storeEgress" -}}
{{- $np := .root.Values.networkPolicy -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- if $np.egressHttps }}
- ports:
    - port: 443
      protocol: TCP
{{- end }}
{{- with include "bucketport.identityEgress" . | fromYamlArray }}
{{ toYaml . }}
{{- end }}
{{- with $np.extraEgress }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- /* The Job spec both objects share; call with (dict "root" $ "shards" N "parallelism" P). */}}
{{- define "bucketport.syncJobSpec" -}}
{{- $ := .root }}
{{- $s := $.Values.sync }}
{{- $shards := int .shards }}
{{- if not (and $s.source $s.destination) }}
{{- fail "sync: set sync.source and sync.destination (SOURCE and DEST of python -m service sync)" }}
{{- end }}
backoffLimit: {{ $s.backoffLimit }}
{{- with $s.activeDeadlineSeconds }}
activeDeadlineSeconds: {{ . }}
{{- end }}
ttlSecondsAfterFinished: {{ $s.ttlSecondsAfterFinished }}
{{- if gt $shards 1 }}
# one pod per shard: index I copies the keys whose CRC-32 modulo N is I (--shard I/N)
completionMode: Indexed
completions: {{ $shards }}
parallelism: {{ min $shards (int .parallelism) }}
{{- end }}
template:
  metadata:
    labels:
      {{- include "bucketport.syncSelectorLabels" $ | nindent 6 }}
      {{- include "bucketport.commonLabels" $ | nindent 6 }}
      {{- with $.Values.podLabels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with $.Values.podAnnotations }}
    annotations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
  spec:
    restartPolicy: Never
    serviceAccountName: {{ include "bucketport.serviceAccountName" $ }}
    automountServiceAccountToken: {{ $.Values.serviceAccount.automountToken }}
    enableServiceLinks: false
    securityContext:
      {{- toYaml $.Values.podSecurityContext | nindent 6 }}
    {{- with $.Values.imagePullSecrets }}
    imagePullSecrets:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $.Values.priorityClassName }}
    priorityClassName: {{ . }}
    {{- end }}
    {{- with $.Values.nodeSelector }}
    nodeSelector:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $.Values.affinity }}
    affinity:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with $.Values.tolerations }}
    tolerations:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    containers:
      - name: sync
        image: {{ include "bucketport.image" $ }}
        imagePullPolicy: {{ $.Values.image.pullPolicy }}
        args:
          - sync
          - {{ $s.source | quote }}
          - {{ $s.destination | quote }}
          - --jobs={{ $s.jobs }}
          {{- if gt $shards 1 }}
          - --shard=$(JOB_COMPLETION_INDEX)/{{ $shards }}
          {{- end }}
          {{- range $s.args }}
          - {{ . | quote }}
          {{- end }}
        envFrom:
          - configMapRef:
              name: {{ include "bucketport.fullname" $ }}
          {{- with $.Values.extraEnvFrom }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        env:
          # sync reads no tokens; the server's token file is not mounted here
          - name: BUCKETPORT_AUTH_TOKENS_FILE
            value: ""
          {{- if gt $shards 1 }}
          - name: JOB_COMPLETION_INDEX
            valueFrom:
              fieldRef:
                fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
          {{- end }}
          {{- with $.Values.extraEnv }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        resources:
          {{- toYaml $s.resources | nindent 10 }}
        securityContext:
          {{- toYaml $.Values.securityContext | nindent 10 }}
        volumeMounts:
          - name: tmp
            mountPath: /tmp
          {{- with $s.extraVolumeMounts }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
    volumes:
      - name: tmp
        emptyDir:
          sizeLimit: {{ $.Values.tmpSizeLimit }}
      {{- with $s.extraVolumes }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
{{- end }}
