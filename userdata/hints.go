package userdata

import (
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"dagger/canvos/suggest"
)

// usersHint warns when no user of the admin group is created and
// install.nousers is not set: kairos-agent 3.3 and later refuses to install
// such a config (CheckConfigForUsers) unless the image carries
// /etc/kairos/.nousers, which CanvOS' overlay and ours ship; the host then
// has no admin login of its own.
func (c *checker) usersHint(root *yaml.Node) {
	if b := lookup(root, "install", "nousers"); b != nil && b.Tag == "!!bool" && b.Value == "true" {
		return
	}
	if stages := lookup(root, "stages"); stages != nil && stages.Kind == yaml.MappingNode {
		for i := 1; i < len(stages.Content); i += 2 {
			for _, step := range resolve(stages.Content[i]).Content {
				if users := lookup(step, "users"); users != nil && users.Kind == yaml.MappingNode {
					for j := 1; j < len(users.Content); j += 2 {
						if isAdmin(users.Content[j]) {
							return
						}
					}
				}
			}
		}
	}
	if users := lookup(root, "users"); users != nil && users.Kind == yaml.SequenceNode && slices.ContainsFunc(users.Content, isAdmin) {
		return
	}
	c.warn(0, "", "no user in the admin group (stages.<stage>.users or users) and install.nousers is not true: "+
		"kairos-agent 3.3+ installs it only because the image has /etc/kairos/.nousers (CanvOS' overlay and ours ship it), "+
		"and the host gets no admin login besides Palette's (stylus.site.users, Local UI)")
}

// isAdmin tells a user entry whose groups or primary group is admin.
func isAdmin(u *yaml.Node) bool {
	for _, key := range []string{"primary_group", "primary-group"} {
		if g := lookup(u, key); g != nil && g.Value == "admin" {
			return true
		}
	}
	g := lookup(u, "groups")
	switch {
	case g == nil:
		return false
	case g.Kind == yaml.SequenceNode:
		return slices.ContainsFunc(g.Content, func(n *yaml.Node) bool { return resolve(n).Value == "admin" })
	}
	for _, name := range strings.Split(g.Value, ",") {
		if strings.TrimSpace(name) == "admin" {
			return true
		}
	}
	return false
}

// lookup follows keys through nested mappings; nil when one is missing.
func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	for _, key := range keys {
		n = resolve(n)
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return resolve(n)
}

// nearest is the known key closest to key: the same but for case, else
// within a third of its length in edits; "" when none is that close.
func nearest(key string, fields map[string]*field) string {
	return suggest.Nearest(key, slices.Collect(maps.Keys(fields)), len(key)/3)
}
