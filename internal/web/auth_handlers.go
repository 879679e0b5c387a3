package web

import (
	"net/http"
	"time"

	"shegong/internal/app"
	"shegong/internal/auth"
)

func (s *Server) authRoutes() {
	rt := s.router
	rt.Handle(Route{Method: "GET", Pattern: "/login", Access: Public, Summary: "登录页"}, s.loginPage)
	rt.Handle(Route{Method: "POST", Pattern: "/login", Access: Public, Summary: "登录"}, s.loginSubmit)
	rt.Handle(Route{Method: "POST", Pattern: "/logout", Access: Signed, AllowMustChange: true, SecondStep: true, Summary: "退出登录"}, s.logout)
	rt.Handle(Route{Method: "GET", Pattern: "/account/password", Access: Signed, AllowMustChange: true, Summary: "修改密码页"}, s.passwordPage)
	rt.Handle(Route{Method: "POST", Pattern: "/account/password", Access: Signed, AllowMustChange: true, Summary: "修改密码"}, s.passwordSubmit)
	rt.Handle(Route{Method: "GET", Pattern: "/account/tokens", Access: Signed, Summary: "API 令牌"}, s.tokensPage)
	rt.Handle(Route{Method: "POST", Pattern: "/account/tokens", Access: Signed, Summary: "创建 API 令牌"}, s.tokenCreate)
	rt.Handle(Route{Method: "POST", Pattern: "/account/tokens/{tid}/revoke", Access: Signed, Object: "token", Summary: "吊销 API 令牌"}, s.tokenRevoke)

	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/session", Access: Public, Summary: "登录并获取令牌",
		API: &APIDoc{Tag: "账号", Request: apiLoginIn{}, Response: apiLoginOut{}, Status: http.StatusCreated}}, s.apiLogin)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/session", Access: Signed, AllowMustChange: true, Summary: "吊销当前令牌",
		API: &APIDoc{Tag: "账号"}}, s.apiLogout)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/me", Access: Signed, AllowMustChange: true, Summary: "当前用户",
		API: &APIDoc{Tag: "账号", Response: apiMe{}}}, s.apiMe)
	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/tokens", Access: Signed, Summary: "我的 API 令牌",
		API: &APIDoc{Tag: "账号", Response: []auth.Token{}}}, s.apiTokens)
	rt.Handle(Route{Method: "DELETE", Pattern: "/api/v1/tokens/{tid}", Access: Signed, Object: "token", Summary: "吊销 API 令牌",
		API: &APIDoc{Tag: "账号"}}, s.apiTokenRevoke)
	s.addNav("系统设置",
		NavItem{Label: "修改密码", Href: "/account/password"},
		NavItem{Label: "API 令牌", Href: "/account/tokens"})
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(sessionCookie), Value: token, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode,
		MaxAge: int(s.Auth.Cfg.AbsoluteTimeout / time.Second)})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(sessionCookie), Value: "", Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	f := &Form{Values: r.URL.Query()}
	s.render(w, r, http.StatusOK, "login", &Page{Title: "登录", Form: f})
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	token, p, err := s.Auth.Login(r.Context(), f.Get("username"), f.Values.Get("password"), auth.KindWeb,
		auth.Client{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		code := app.ErrorCode(err)
		if code != app.EUnauthorized && code != app.ELocked {
			s.fail(w, r, err)
			return
		}
		f.Values.Del("password")
		f.Message = app.ErrorMessage(err)
		s.render(w, r, status(code), "login", &Page{Title: "登录", Form: f})
		return
	}
	s.setSession(w, token)
	switch p.Stage {
	case auth.StageTOTP:
		http.Redirect(w, r, "/login/totp?next="+urlQueryEscape(safeNext(f.Get("next"))), http.StatusSeeOther)
		return
	case auth.StageEnrol:
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther) // the page says why
		return
	}
	if p.MustChange {
		s.redirect(w, r, "/account/password", "请先修改密码")
		return
	}
	http.Redirect(w, r, safeNext(f.Get("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookieName(sessionCookie)); err == nil {
		if err := s.Auth.Logout(r.Context(), c.Value); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// passwordData tells the password page the policy in force.
type passwordData struct {
	Help       string
	Expired    bool
	MaxAgeDays int
}

func (s *Server) passwordPageData(r *http.Request) (passwordData, error) {
	p := principalOf(r)
	pol, until, err := s.Auth.PasswordExpiry(r.Context(), p.OrgID, p.UserID)
	if err != nil {
		return passwordData{}, err
	}
	return passwordData{Help: pol.Help(), Expired: p.MustChange && !until.IsZero() && !s.Now().Before(until),
		MaxAgeDays: int(pol.MaxAge().Hours() / 24)}, nil
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request) {
	pg := s.page(r, "修改密码", Crumb{Label: "系统设置"}, Crumb{Label: "修改密码"})
	pg.Form = &Form{Values: map[string][]string{}}
	d, err := s.passwordPageData(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Data = d
	s.render(w, r, http.StatusOK, "account/password", pg)
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	p := principalOf(r)
	err := s.Auth.ChangePassword(r.Context(), p, f.Values.Get("old_password"), f.Values.Get("new_password"),
		f.Values.Get("confirm_password"))
	if err != nil {
		// Passwords are never echoed back into the page.
		f.Values = map[string][]string{}
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		pg := s.page(r, "修改密码", Crumb{Label: "系统设置"}, Crumb{Label: "修改密码"})
		pg.Form = f
		d, derr := s.passwordPageData(r)
		if derr != nil {
			s.fail(w, r, derr)
			return
		}
		pg.Data = d
		s.render(w, r, http.StatusUnprocessableEntity, "account/password", pg)
		return
	}
	s.redirect(w, r, "/", "密码已修改")
}

type tokensData struct {
	Tokens   []auth.Token
	NewToken string
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) {
	s.renderTokens(w, r, &Form{Values: map[string][]string{}}, "", http.StatusOK)
}

func (s *Server) renderTokens(w http.ResponseWriter, r *http.Request, f *Form, newToken string, code int) {
	list, err := s.Auth.ListTokens(r.Context(), principalOf(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "API 令牌", Crumb{Label: "系统设置"}, Crumb{Label: "API 令牌"})
	pg.Form = f
	pg.Data = tokensData{Tokens: list, NewToken: newToken}
	s.render(w, r, code, "account/tokens", pg)
}

func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	tok, err := s.Auth.CreateToken(r.Context(), principalOf(r), f.Get("name"))
	if err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderTokens(w, r, f, "", http.StatusUnprocessableEntity)
		return
	}
	s.renderTokens(w, r, &Form{Values: map[string][]string{}}, tok, http.StatusOK)
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.RevokeToken(r.Context(), principalOf(r), r.PathValue("tid")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account/tokens", "令牌已吊销")
}

type apiLoginIn struct {
	Username string `json:"username"`
	Password string `json:"password"`
	TOTPCode string `json:"totp_code,omitempty" doc:"已绑定动态验证码的账号须提供：验证器应用中的6位数字或一个恢复码"`
}

type apiLoginOut struct {
	Token      string `json:"token" doc:"令牌，放在请求头 Authorization: Bearer 之后"`
	TokenType  string `json:"token_type" doc:"固定为 Bearer"`
	MustChange bool   `json:"must_change_password" doc:"为真时须先修改初始密码，其他接口返回 403"`
	User       apiMe  `json:"user"`
}

type apiMe struct {
	ID           int64    `json:"id" doc:"用户编号"`
	Username     string   `json:"username" doc:"登录名"`
	DisplayName  string   `json:"display_name" doc:"姓名"`
	Organization string   `json:"organization" doc:"所属机构名称"`
	OrgID        int64    `json:"org_id" doc:"所属机构编号"`
	Roles        []string `json:"roles" doc:"角色代码"`
	StaffID      int64    `json:"staff_id,omitempty" doc:"同工编号；非同工账号没有此字段"`
	SiteIDs      []int64  `json:"site_ids" doc:"当前所在服务点的编号"`
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) {
	var in apiLoginIn
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	token, p, err := s.Auth.LoginWithCode(r.Context(), in.Username, in.Password, in.TOTPCode, auth.KindAPI,
		auth.Client{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, apiLoginOut{Token: token, TokenType: "Bearer", MustChange: p.MustChange, User: meOf(r, p)})
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if err := s.Auth.RevokeSession(r.Context(), p); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, meOf(r, principalOf(r)))
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) {
	list, err := s.Auth.ListTokens(r.Context(), principalOf(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if list == nil {
		list = []auth.Token{}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) apiTokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.Auth.RevokeToken(r.Context(), principalOf(r), r.PathValue("tid")); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
