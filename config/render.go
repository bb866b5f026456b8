package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// profileBanner is what CanvOS' earthly.sh print_os_pack echoes before the
// pack (its `echo -e '\n…\n'` and `echo -e '\n'` lines become blank lines).
var profileBanner = strings.Repeat("#", 106) + "\n" +
	"\nPASTE THE CONTENT BELOW INTO YOUR CLUSTER PROFILE IN PALETTE REPLACING ALL THE CONTENTS IN THE PROFILE\n\n" +
	strings.Repeat("#", 106) + "\n" +
	"\n\n"

const profilePack = `pack:
  content:
    images:
      - image: "{{.spectro.pack.edge-native-byoi.options.system.uri}}"
  # Below config is default value, please uncomment if you want to modify default values
  #drain:
    #cordon: true
    #timeout: 60 # The length of time to wait before giving up, zero means infinite
    #gracePeriod: 60 # Period of time in seconds given to each pod to terminate gracefully. If negative, the default value specified in the pod will be used
    #ignoreDaemonSets: true
    #deleteLocalData: true # Continue even if there are pods using emptyDir (local data that will be deleted when the node is drained)
    #force: true # Continue even if there are pods that do not declare a controller
    #disableEviction: false # Force drain to use delete, even if eviction is supported. This will bypass checking PodDisruptionBudgets, use with caution
    #skipWaitForDeleteTimeout: 60 # If pod DeletionTimestamp older than N seconds, skip waiting for the pod. Seconds must be greater than 0 to skip.
options:
`

const opt = "{{ .spectro.pack.edge-native-byoi.options.system."

// profile is the pack YAML of print_os_pack. One deliberate difference: CanvOS
// always ends system.uri with -{{ …customTag }}, which names an image that
// was never built when CUSTOM_TAG is empty (its tag is then
// <dist>-<ver>-<PE_VERSION>); the suffix is left out in that case.
func (c Config) profile() string {
	uri := opt + "registry }}/" + opt + "repo }}:" + opt + "k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-" + opt + "peVersion }}"
	if c.CustomTag != "" {
		uri += "-" + opt + "customTag }}"
	}
	var b strings.Builder
	b.WriteString(profilePack)
	fmt.Fprintf(&b, "  system.uri: %q\n\n\n", uri)
	for _, kv := range [][2]string{
		{"registry", c.ImageRegistry},
		{"repo", c.ImageRepo},
		{"k8sDistribution", string(c.K8sDistribution)},
		{"osName", string(c.OSDistribution)},
		{"peVersion", c.PEVersion},
		{"customTag", c.CustomTag},
		{"osVersion", c.OSVersion},
	} {
		fmt.Fprintf(&b, "  system.%s: %s\n", kv[0], kv[1])
	}
	return b.String()
}

// ProfileBlock is the profile exactly as CanvOS prints it after a provider
// build: banner, then the pack YAML.
func (p Plan) ProfileBlock() string { return profileBanner + p.Profile }

// Text is the readable plan `canvos plan` prints: the names, then the
// profile block.
func (p Plan) Text() string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%-18s %s\n", k+":", v) }
	row("base image", p.BaseImage+pick(p.BaseImageDerived, " (derived)", ""))
	row("platform", p.Platform)
	row("stylus framework", p.StylusFramework)
	row("agent provider", p.AgentProvider)
	row("luet repository", p.LuetRepo)
	row("installer image", p.InstallerImage)
	row("ISO", "build/"+p.ISOFile)
	row("ISO image", p.ISOImage)
	row("MAAS image", "build/"+p.MAASFile)
	row("kairos-release", p.KairosReleaseName+" "+p.KairosReleaseLabel)
	row("k8s matrix", p.K8sMatrix)
	fmt.Fprintf(&b, "provider images (%d):\n", len(p.Providers))
	for _, pi := range p.Providers {
		fmt.Fprintf(&b, "  %s  (%s)\n", pi.Ref, pi.LuetPackage)
	}
	b.WriteString("\n")
	b.WriteString(p.ProfileBlock())
	return b.String()
}

// Summary is the JSON form of a plan (`canvos plan --json`).
type Summary struct {
	BaseImage       string          `json:"baseImage"`
	ProviderImages  []string        `json:"providerImages"`
	K8sVersions     []string        `json:"k8sVersions"`
	ISOName         string          `json:"isoName"`
	Arch            Arch            `json:"arch"`
	OSDistribution  OSDistribution  `json:"osDistribution"`
	OSVersion       string          `json:"osVersion"`
	K8sDistribution K8sDistribution `json:"k8sDistribution"`
	PEVersion       string          `json:"peVersion"`
	CustomTag       string          `json:"customTag"`
	Profile         string          `json:"profile"`
	Plan            Plan            `json:"plan"`
}

// JSON is the indented JSON of Summary, as `canvos plan --json` prints it.
func (c Config) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(c.Summary(), "", "  ")
	return append(b, '\n'), err
}

// Summary returns the JSON form: the keys of issue 2 plus the whole plan.
func (c Config) Summary() Summary {
	p := c.Plan()
	return Summary{
		BaseImage:       p.BaseImage,
		ProviderImages:  p.ProviderRefs(),
		K8sVersions:     p.K8sVersions(),
		ISOName:         p.ISOName,
		Arch:            c.Arch,
		OSDistribution:  c.OSDistribution,
		OSVersion:       c.OSVersion,
		K8sDistribution: c.K8sDistribution,
		PEVersion:       c.PEVersion,
		CustomTag:       c.CustomTag,
		Profile:         p.Profile,
		Plan:            p,
	}
}
