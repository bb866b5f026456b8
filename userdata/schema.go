package userdata

// The keys below come from Palette's Edge Installer Configuration Reference
// (spectrocloud/librarium, clusters/edge/edge-configuration/
// installer-reference.md: Palette agent, site, network, registry and tag
// parameters), CanvOS' user-data.template and README (stylus.site.autoRegister,
// registryCredentials.insecure) and kairos-agent's Config (top-level keys).
// palette-edge-cli's own schema is not public: keys it knows that this list
// lacks are warned about, never refused.

// kind is what a value must be.
type kind int

const (
	kAny          kind = iota // not checked
	kString                   // a scalar (numbers and booleans are warned about)
	kBool                     // true or false
	kInt                      // an integer
	kStringOrList             // a scalar or a list of scalars
	kMap                      // a mapping: fields when known, else each value is elem (nil: anything)
	kList                     // a sequence of elem
)

// field is the expected shape of one value.
type field struct {
	kind   kind
	fields map[string]*field // kMap: the known keys; unknown ones are warned about
	elem   *field            // kMap without fields, kList: each value
	open   bool              // kMap with fields: other keys are fine, not warned about
	values []string          // kString: the allowed values, when fixed
	note   string            // a warning given whenever the key is set (deprecations)
}

var (
	str     = &field{kind: kString}
	boolean = &field{kind: kBool}
	integer = &field{kind: kInt}
	strList = &field{kind: kList, elem: str}
	anyMap  = &field{kind: kMap}
	strMap  = &field{kind: kMap, elem: str}
)

func mapping(fields map[string]*field) *field { return &field{kind: kMap, fields: fields} }
func listOf(f *field) *field                  { return &field{kind: kList, elem: f} }
func oneOf(values ...string) *field           { return &field{kind: kString, values: values} }

var registry = mapping(map[string]*field{
	"domain": str, "username": str, "password": str, "repositoryName": str,
	"certificates": strList, "insecure": boolean, "encodedPassword": boolean,
})

var siteUser = mapping(map[string]*field{
	"name": str, "passwd": str, "groups": strList, "lock_passwd": boolean,
	"ssh_authorized_keys": strList, "passwordExpiry": str,
})

var site = mapping(map[string]*field{
	"autoRegister":       boolean, // CanvOS README
	"caCerts":            strList,
	"clusterId":          str,
	"clusterName":        str,
	"deviceUIDPaths":     listOf(mapping(map[string]*field{"name": str, "regex": str})),
	"edgeHostToken":      str,
	"hostName":           str,
	"insecureSkipVerify": boolean,
	"name":               str,
	"network": mapping(map[string]*field{
		"httpProxy": str, "httpsProxy": str, "noProxy": str, "nameserver": str,
		"interfaces": {kind: kMap, elem: mapping(map[string]*field{
			"type": oneOf("dhcp", "static"), "ipAddress": str, "mask": str, "gateway": str, "nameserver": str,
		})},
	}),
	"ntpServers":      {kind: kStringOrList},
	"paletteEndpoint": str,
	"prefix":          str,
	"projectName":     str,
	"projectUid":      str,
	"registrationURL": str,
	"remoteShell":     mapping(map[string]*field{"disable": boolean}),
	"tags":            anyMap,
	"tagsFromFile":    mapping(map[string]*field{"fileName": str, "delimiter": str, "separator": str}),
	"tagsFromScript":  mapping(map[string]*field{"scriptName": str, "timeout": integer}),
	"users":           listOf(siteUser),
})

var stylus = mapping(map[string]*field{
	"debug":                 boolean,
	"disablePasswordUpdate": boolean,
	"disableTui":            boolean,
	"enableMultiNode":       boolean,
	"externalRegistries": mapping(map[string]*field{
		"registries":           listOf(registry),
		"registryMappingRules": strMap,
	}),
	"featureGate":          str,
	"imageOverride":        str,
	"imageRedirectWebhook": mapping(map[string]*field{"enable": boolean, "port": integer}),
	"includeTui":           {kind: kBool, note: "deprecated: the Palette TUI is always enabled"},
	"installationMode": {kind: kString, values: []string{"connected", "airgap"},
		note: "removed from Palette: use stylus.managementMode (central or local)"},
	"localUI": mapping(map[string]*field{
		"port": integer,
		"login": mapping(map[string]*field{
			"attemptsBeforeExponentialDelayStarts": integer, "disableRateLimiting": boolean,
			"lockoutDurationInMinutes": integer, "maxFailedAttemptsBeforeLockout": integer,
		}),
	}),
	"managementMode":      oneOf("central", "local"),
	"path":                str,
	"registryCredentials": registry,
	"site":                site,
	"trace":               boolean,
	"vip":                 mapping(map[string]*field{"skip": boolean}),
})

// install is checked for what the users hint reads; Kairos has many more keys.
var install = &field{kind: kMap, open: true,
	fields: map[string]*field{"nousers": boolean, "device": str, "reboot": boolean, "poweroff": boolean, "auto": boolean}}

// topLevel are the keys the installer reads: kairos-agent's Config, the
// cloud-init keys yip converts to stages, the Kairos providers' blocks and
// stylus. Only stylus and install are checked further.
var topLevel = map[string]*field{
	"stylus": stylus, "install": install,
	"stages": {kind: kMap, elem: &field{kind: kList}}, "users": {kind: kList},
	"reset": anyMap, "upgrade": anyMap, "name": str, "hostname": str,
	"ssh_authorized_keys": {}, "write_files": {}, "runcmd": {}, "bootcmd": {}, "growpart": {},
	"debug": boolean, "strict": boolean, "options": anyMap, "bundles": {}, "config_url": str,
	"fail_on_bundles_errors": boolean, "grub_options": anyMap, "env": {}, "cloud-init-paths": {},
	"eject-cd": boolean, "platform": {}, "cosign": boolean, "verify": boolean, "cosign-key": str,
	"arch": str, "squash-compression": {}, "squash-no-compression": boolean,
	"k3s": anyMap, "k3s-agent": anyMap, "kubevip": anyMap, "p2p": anyMap, "cluster": anyMap,
}
