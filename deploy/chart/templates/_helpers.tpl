{{/* Labels on every object (the same as the plain manifest's). */}}
{{- define "upgrade-responder.labels" -}}
app.kubernetes.io/name: upgrade-responder
app.kubernetes.io/component: telemetry
{{- end -}}

{{/*
registry/repository:tag; no registry: the runtime's default. A distribution
image (component.distroImage) replaces it, as written.
*/}}
{{- define "upgrade-responder.image" -}}
{{- if .Values.component.distroImage -}}
{{- .Values.component.distroImage -}}
{{- else -}}
{{- $registry := .Values.image.registry | default .Values.global.systemDefaultRegistry -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) .Values.image.repository .Values.image.tag -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The schedule: .Values.schedule, or three times a day at a minute derived
from the kube-system namespace UID (adler32 mod 60), so a fleet spreads over
the hour. lookup answers nothing where there is no cluster (helm template):
minute 0, the plain manifest's schedule.
*/}}
{{- define "upgrade-responder.schedule" -}}
{{- if .Values.schedule -}}
{{- .Values.schedule -}}
{{- else -}}
{{- $uid := "" -}}
{{- $ns := lookup "v1" "Namespace" "" "kube-system" -}}
{{- if and $ns $ns.metadata -}}
{{- $uid = $ns.metadata.uid | default "" -}}
{{- end -}}
{{- printf "%s */8 * * *" (include "upgrade-responder.minute" $uid) -}}
{{- end -}}
{{- end -}}

{{/* The minute (0-59) for a kube-system UID: adler32 mod 60; 0 for "". */}}
{{- define "upgrade-responder.minute" -}}
{{- if . -}}
{{- mod (atoi (adler32sum .)) 60 -}}
{{- else -}}
0
{{- end -}}
{{- end -}}
