package config

import (
	"fmt"
	"strings"
)

// Reference renders docs/parameters.md from the parameter table, the rules
// and the Kubernetes matrix, so the reference cannot drift from the code
// (a test compares it; `go test ./config -update` rewrites it).
func Reference() string {
	var b strings.Builder
	b.WriteString("# Parameter reference\n\n")
	b.WriteString("Generated from `config/params.go`, `config/validate.go` and `config/k8s_version.json` by\n")
	b.WriteString("`go test ./config -update`; do not edit by hand.\n\n")
	b.WriteString("Set parameters in the CanvOS `.arg` file, with `canvos plan --set KEY=VALUE`, or with the\n")
	b.WriteString("Dagger constructor arguments (`--arch`, `--os-distribution`, …). An empty value means the default.\n")
	b.WriteString("`$NAME` in a default is the final value of that parameter.\n")
	var group Group
	for _, p := range params {
		if p.Group != group {
			group = p.Group
			fmt.Fprintf(&b, "\n## %s\n\n| Parameter | Type | Default | Allowed | Description |\n|---|---|---|---|---|\n", group)
		}
		name := "`" + p.Name + "`"
		for _, a := range p.Aliases {
			name += " (`" + a + "`)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, p.Kind(), code(p.Default), cell(p.Allowed()), cell(p.Doc))
	}
	b.WriteString("\n## Rules across parameters\n\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "- %s\n", r.Doc)
	}
	b.WriteString("\n## Kubernetes versions (K8S_VERSION)\n\n| K8S_DISTRIBUTION | Count | Versions, in build order |\n|---|---|---|\n")
	for _, d := range names(K3s, Kubeadm, KubeadmFIPS, RKE2, Nodeadm, Canonical) {
		vs := K8sVersions(K8sDistribution(d))
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", d, len(vs), strings.Join(vs, ", "))
	}
	return b.String()
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// cell escapes the characters a Markdown table cell cannot hold.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
