{{- define "gloo-like.labels" -}}
app: gloo
gloo: gateway-proxy
gateway-proxy-id: gateway-proxy
{{- end -}}
