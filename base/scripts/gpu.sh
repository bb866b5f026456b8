set -eu
# {{.GPU.Vendor}} GPU drivers from the hooks input; the CanvOS settings are in
# the environment. Without privileges: drivers are built against the image's
# kernel, not loaded.
{{- range .GPUScripts}}
bash {{$.HooksDir}}/{{.}}
{{- end}}
