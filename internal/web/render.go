package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template set per page, parsed at start so that a
// broken template fails the boot, not a user.
type pages struct {
	sets map[string]*template.Template
}

var funcs = template.FuncMap{
	"date": func(v any) string {
		switch d := v.(type) {
		case app.Date:
			return d.String()
		case time.Time:
			if d.IsZero() {
				return ""
			}
			return d.In(app.Local).Format("2006-01-02")
		}
		return ""
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(app.Local).Format("2006-01-02 15:04")
	},
	"money":    func(f app.Fen) string { return f.String() },
	"roleName": func(r authz.Role) string { return authz.RoleName(r) },
	"count":    func(n int) string { return groupDigits(n) },
	"field":    newField,
	"add":      func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"has": func(p *authz.Principal, perm *authz.Perm) bool { return p != nil && p.Can(perm) },
}

func groupDigits(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func parsePages() (*pages, error) {
	base := template.New("base").Funcs(funcs)
	shared, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	if _, err := base.ParseFS(templateFS, shared...); err != nil {
		return nil, fmt.Errorf("web: parse shared templates: %w", err)
	}
	ps := &pages{sets: map[string]*template.Template{}}
	err = fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") || strings.HasPrefix(path.Base(p), "_") {
			return err
		}
		t, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := t.ParseFS(templateFS, p); err != nil {
			return fmt.Errorf("web: parse %s: %w", p, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(p, "templates/"), ".html")
		ps.sets[name] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ps, nil
}

// Crumb is one breadcrumb step.
type Crumb struct {
	Label string
	Href  string
}

// Page is what every page template receives.
type Page struct {
	Title     string
	Crumbs    []Crumb
	P         *authz.Principal
	Nav       []NavGroup
	Active    string // path of the current module, for the navigation
	TodoCount int
	Flash     string
	Form      *Form
	Data      any
	RequestID string
}

// page starts a Page for r.
func (s *Server) page(r *http.Request, title string, crumbs ...Crumb) *Page {
	p := principalOf(r)
	pg := &Page{Title: title, Crumbs: crumbs, P: p, Active: r.URL.Path}
	if p != nil {
		pg.Nav = s.navFor(p)
		pg.TodoCount = s.todoCount(r)
	}
	return pg
}

// render executes the named page template into the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg *Page) {
	t, ok := s.pages.sets[name]
	if !ok {
		s.fail(w, r, fmt.Errorf("web: no template %q", name))
		return
	}
	if pg.Flash == "" {
		pg.Flash = s.takeFlash(w, r)
	}
	pg.RequestID = w.Header().Get("X-Request-Id")
	layout := "layout"
	if pg.P == nil {
		layout = "bare"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layout, pg); err != nil {
		s.Log.Error("render", "template", name, "err", err)
		http.Error(w, "系统内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows an error page in the layout.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	title := "出错了"
	switch status {
	case http.StatusNotFound:
		title = "页面或记录不存在"
	case http.StatusForbidden:
		title = "没有权限"
	}
	pg := &Page{Title: title, Data: msg}
	if p := principalOf(r); p != nil {
		pg.P = p
		pg.Nav = s.navFor(p)
	}
	s.render(w, r, status, "error", pg)
}

// todoCount is the number shown beside 待办 in the top bar.
func (s *Server) todoCount(r *http.Request) int {
	if s.TodoCount == nil {
		return 0
	}
	n, err := s.TodoCount(r.Context(), principalOf(r))
	if err != nil {
		s.Log.Warn("todo count", "err", err)
	}
	return n
}
