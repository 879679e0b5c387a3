package web

import (
	"shegong/internal/authz"
)

// NavItem is one link in the left navigation.
type NavItem struct {
	Label string
	Href  string
	Perm  *authz.Perm // nil: every signed-in user
	// Platform marks items for platform operators only; Agency marks items
	// for agency users only; neither means both.
	Platform bool
	Agency   bool
}

// NavGroup is a module heading with its links.
type NavGroup struct {
	Label string
	Items []NavItem
}

// navOrder is the order of the modules in the navigation (UI.md).
var navOrder = []string{"工作台", "服务对象与个案", "小组与活动", "志愿者", "督导与测评", "人事", "财务", "统计报表", "组织架构", "平台管理", "系统设置"}

func newNav() []NavGroup {
	out := make([]NavGroup, len(navOrder))
	for i, l := range navOrder {
		out[i].Label = l
	}
	return out
}

// addNav appends items to the module group named label. Only pages that
// exist are listed; each user sees only the items their roles allow.
func (s *Server) addNav(label string, items ...NavItem) {
	for i := range s.nav {
		if s.nav[i].Label == label {
			s.nav[i].Items = append(s.nav[i].Items, items...)
			return
		}
	}
	panic("web: unknown navigation group " + label)
}

func (s *Server) navFor(p *authz.Principal) []NavGroup {
	var out []NavGroup
	for _, g := range s.nav {
		var items []NavItem
		for _, it := range g.Items {
			if (it.Platform && !p.IsPlatform()) || (it.Agency && p.IsPlatform()) {
				continue
			}
			if it.Perm != nil && !p.Can(it.Perm) {
				continue
			}
			items = append(items, it)
		}
		if len(items) > 0 {
			out = append(out, NavGroup{Label: g.Label, Items: items})
		}
	}
	return out
}
