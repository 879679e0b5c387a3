package web

import (
	"context"
	"net/http"

	"shegong/internal/authz"
	"shegong/internal/org"
	"shegong/internal/reminder"
)

func (s *Server) homeRoutes() {
	s.router.Handle(Route{Method: "GET", Pattern: "/{$}", Access: Signed, Summary: "工作台"}, s.home)
	s.router.Handle(Route{Method: "GET", Pattern: "/api/v1/reminders", Access: Signed, Summary: "我的提醒",
		API: &APIDoc{Tag: "工作台", Response: []reminder.Item{}}}, s.apiReminders)
	s.addNav("工作台", NavItem{Label: "首页", Href: "/"})
	s.Home = append(s.Home, HomeParts{Figures: s.platformFigures})
}

// platformFigures are the platform operator's key numbers: aggregates only.
func (s *Server) platformFigures(ctx context.Context, p *authz.Principal) ([]Figure, error) {
	if !p.IsPlatform() || !p.Can(org.PermPlatformOrgs) {
		return nil, nil
	}
	orgs, err := s.Org.ListOrganizations(ctx, p)
	if err != nil {
		return nil, err
	}
	var active, sites, staff, users int
	for _, o := range orgs {
		if o.Status == "active" {
			active++
		}
		sites += o.Sites
		staff += o.Staff
		users += o.Users
	}
	return []Figure{
		{Label: "入驻机构", Value: groupDigits(active), Href: "/platform/orgs", Hint: "状态为启用的机构数"},
		{Label: "服务点", Value: groupDigits(sites), Href: "/platform/orgs", Hint: "各机构启用中的服务点合计"},
		{Label: "在职同工", Value: groupDigits(staff), Href: "/platform/orgs", Hint: "各机构在职同工合计"},
		{Label: "账号", Value: groupDigits(users), Href: "/platform/orgs", Hint: "各机构启用中的账号合计"},
	}, nil
}

// Figure is one key number on the home page.
type Figure struct {
	Label string
	Value string
	Href  string
	Hint  string
}

// TodoItem is one waiting approval on the home page.
type TodoItem struct {
	Title   string
	Kind    string
	From    string
	Since   string
	Href    string
	Overdue bool
}

type homeData struct {
	Todos     []TodoItem
	Reminders []reminder.Item
	Summary   []reminder.Summary
	Figures   []Figure
	Overdue   int
}

// HomeParts lets business areas contribute to the home page: their to-dos
// and key figures for the user's scope.
type HomeParts struct {
	Todos   func(ctx context.Context, p *authz.Principal) ([]TodoItem, error)
	Figures func(ctx context.Context, p *authz.Principal) ([]Figure, error)
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	ctx := r.Context()
	var d homeData
	if s.Reminders != nil {
		items, err := s.Reminders.For(ctx, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Reminders = items
		d.Summary = reminder.Summarize(items)
		for _, it := range items {
			if it.Overdue {
				d.Overdue++
			}
		}
	}
	for _, part := range s.Home {
		if part.Todos != nil {
			t, err := part.Todos(ctx, p)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			d.Todos = append(d.Todos, t...)
		}
		if part.Figures != nil {
			f, err := part.Figures(ctx, p)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			d.Figures = append(d.Figures, f...)
		}
	}
	pg := s.page(r, "工作台", Crumb{Label: "工作台"})
	pg.Data = d
	s.render(w, r, http.StatusOK, "home", pg)
}

func (s *Server) apiReminders(w http.ResponseWriter, r *http.Request) {
	items := []reminder.Item{}
	if s.Reminders != nil {
		var err error
		if items, err = s.Reminders.For(r.Context(), principalOf(r)); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if items == nil {
		items = []reminder.Item{}
	}
	writeJSON(w, http.StatusOK, items)
}

func meOf(_ *http.Request, p *authz.Principal) apiMe {
	m := apiMe{ID: p.UserID, Username: p.Username, DisplayName: p.DisplayName, Organization: p.OrgName,
		OrgID: p.OrgID, StaffID: p.StaffID, SiteIDs: p.SiteIDs, Roles: []string{}}
	if m.SiteIDs == nil {
		m.SiteIDs = []int64{}
	}
	for _, r := range p.Roles {
		m.Roles = append(m.Roles, string(r))
	}
	return m
}
