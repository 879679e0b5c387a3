package web

import (
	"net/http"

	"rsc.io/qr"

	"shegong/internal/app"
	"shegong/internal/auth"
	"shegong/internal/authz"
)

// secondFactorRoutes serve the second sign-in step, enrolment of an
// authenticator app, the organization's sign-in security settings and the
// admin's reset of a user's second factor.
func (s *Server) secondFactorRoutes() {
	rt := s.router
	step := func(method, pattern, summary string, fn http.HandlerFunc) {
		rt.Handle(Route{Method: method, Pattern: pattern, Access: Signed, AllowMustChange: true, SecondStep: true, Summary: summary}, fn)
	}
	step("GET", "/login/totp", "登录第二步：动态验证码页", s.totpStepPage)
	step("POST", "/login/totp", "登录第二步：校验动态验证码", s.totpStepSubmit)
	step("GET", "/account/totp", "动态验证码（绑定或查看）", s.totpPage)
	step("POST", "/account/totp", "确认绑定动态验证码", s.totpConfirm)
	step("GET", "/account/totp/qr", "动态验证码绑定二维码", s.totpQR)
	rt.Handle(Route{Method: "POST", Pattern: "/account/recovery-codes", Access: Signed, Summary: "重新生成恢复码"}, s.recoveryCodesNew)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/account/recovery-codes", Access: Signed,
		Summary: "重新生成恢复码（须提供验证器应用中的6位数字；原有恢复码作废）",
		API:     &APIDoc{Tag: "账号", Request: recoveryCodesInput{}, Response: recoveryCodesOutput{}}}, s.apiRecoveryCodesNew)

	perm := auth.PermSecurityAdmin
	rt.Handle(Route{Method: "GET", Pattern: "/settings/security", Access: Permitted, Perm: perm, Summary: "登录安全设置"}, s.securityPage)
	rt.Handle(Route{Method: "POST", Pattern: "/settings/security", Access: Permitted, Perm: perm, Summary: "保存登录安全设置"}, s.securitySave)
	rt.Handle(Route{Method: "POST", Pattern: "/users/{id}/totp/reset", Access: Permitted, Perm: perm, Object: "user",
		Summary: "重置账号的动态验证码"}, s.totpReset)

	rt.Handle(Route{Method: "GET", Pattern: "/api/v1/settings/security", Access: Permitted, Perm: perm, Summary: "登录安全设置",
		API: &APIDoc{Tag: "账号", Response: auth.Security{}}}, s.apiSecurityGet)
	rt.Handle(Route{Method: "PUT", Pattern: "/api/v1/settings/security", Access: Permitted, Perm: perm, Summary: "修改登录安全设置",
		API: &APIDoc{Tag: "账号", Request: auth.Security{}, Response: auth.Security{}}}, s.apiSecurityPut)
	rt.Handle(Route{Method: "POST", Pattern: "/api/v1/users/{id}/totp/reset", Access: Permitted, Perm: perm, Object: "user",
		Summary: "重置账号的动态验证码（结束其网页会话）", API: &APIDoc{Tag: "账号"}}, s.apiTOTPReset)

	s.addNav("系统设置",
		NavItem{Label: "动态验证码", Href: "/account/totp"},
		NavItem{Label: "登录安全", Href: "/settings/security", Perm: perm})
}

// stageRedirect is where a session waiting at stage must go.
func stageRedirect(stage string) string {
	if stage == auth.StageEnrol {
		return "/account/totp"
	}
	return "/login/totp"
}

// afterSignIn is where a fully signed-in user goes next.
func (s *Server) afterSignIn(w http.ResponseWriter, r *http.Request, p *authz.Principal, next string) {
	if p.MustChange {
		s.redirect(w, r, "/account/password", "请先修改密码")
		return
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) totpStepPage(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	switch p.Stage {
	case auth.StageEnrol:
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
		return
	case auth.StageDone:
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.renderTOTPStep(w, r, http.StatusOK, &Form{Values: r.URL.Query()})
}

func (s *Server) renderTOTPStep(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	// The bare layout: nothing of the system shows before the code passes.
	s.render(w, r, code, "account/totp_step", &Page{Title: "动态验证码", Form: f})
}

func (s *Server) totpStepSubmit(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := newForm(r)
	if p.Stage != auth.StageTOTP {
		http.Redirect(w, r, "/account/totp", http.StatusSeeOther)
		return
	}
	err := s.Auth.VerifySecondStep(r.Context(), p, f.Get("code"), auth.Client{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		c := app.ErrorCode(err)
		if c != app.EUnauthorized && c != app.ELocked {
			s.fail(w, r, err)
			return
		}
		f.Values.Del("code")
		f.Message = app.ErrorMessage(err)
		f.Errors = map[string]string{"code": f.Message}
		s.renderTOTPStep(w, r, status(c), f)
		return
	}
	s.afterSignIn(w, r, p, f.Get("next"))
}

type totpPageData struct {
	Enrolled      bool
	Regenerated   bool // RecoveryCodes are a new set for an enrolled account
	Required      bool
	Enrolment     auth.Enrolment
	CodesLeft     int
	RecoveryCodes []string
	Next          string
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request) {
	s.renderTOTP(w, r, http.StatusOK, &Form{Values: map[string][]string{}})
}

func (s *Server) renderTOTP(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	p := principalOf(r)
	if p.Stage == auth.StageTOTP {
		http.Redirect(w, r, "/login/totp", http.StatusSeeOther)
		return
	}
	enrolled, required, err := s.Auth.FactorStatus(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := totpPageData{Enrolled: enrolled, Required: required}
	if enrolled {
		if d.CodesLeft, err = s.Auth.RecoveryCodesLeft(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	} else if d.Enrolment, err = s.Auth.BeginEnrol(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTOTPPage(w, r, code, f, d)
}

func (s *Server) renderTOTPPage(w http.ResponseWriter, r *http.Request, code int, f *Form, d totpPageData) {
	p := principalOf(r)
	pg := s.page(r, "动态验证码", Crumb{Label: "系统设置"}, Crumb{Label: "动态验证码"})
	if p.Stage == auth.StageEnrol {
		// Until enrolment is done the user can do nothing else: no menu.
		pg = &Page{Title: "绑定动态验证码"}
	}
	pg.Form = f
	pg.Data = d
	s.render(w, r, code, "account/totp", pg)
}

func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if p.Stage == auth.StageTOTP {
		http.Redirect(w, r, "/login/totp", http.StatusSeeOther)
		return
	}
	f := newForm(r)
	codes, err := s.Auth.ConfirmEnrol(r.Context(), p, f.Get("code"))
	if err != nil {
		f.Values.Del("code")
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderTOTP(w, r, formStatus(err), f)
		return
	}
	next := "/"
	if p.MustChange {
		next = "/account/password"
	}
	s.renderTOTPPage(w, r, http.StatusOK, &Form{Values: map[string][]string{}},
		totpPageData{Enrolled: true, RecoveryCodes: codes, Next: next})
}

// recoveryCodesNew replaces the user's recovery codes and shows the new
// ones once.
func (s *Server) recoveryCodesNew(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	f := newForm(r)
	codes, err := s.Auth.RegenerateRecoveryCodes(r.Context(), p, f.Get("code"), auth.Client{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		f.Values.Del("code")
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderTOTP(w, r, formStatus(err), f)
		return
	}
	s.renderTOTPPage(w, r, http.StatusOK, &Form{Values: map[string][]string{}},
		totpPageData{Enrolled: true, Regenerated: true, RecoveryCodes: codes, Next: "/account/totp"})
}

type recoveryCodesInput struct {
	Code string `json:"code" doc:"验证器应用中显示的6位数字"`
}

type recoveryCodesOutput struct {
	Codes []string `json:"codes" doc:"新的恢复码，只返回这一次"`
}

func (s *Server) apiRecoveryCodesNew(w http.ResponseWriter, r *http.Request) {
	var in recoveryCodesInput
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	codes, err := s.Auth.RegenerateRecoveryCodes(r.Context(), principalOf(r), in.Code, auth.Client{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, recoveryCodesOutput{Codes: codes})
}

// totpQR is the QR code of the pending enrolment's otpauth:// URI.
func (s *Server) totpQR(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	if p.Stage == auth.StageTOTP {
		s.fail(w, r, app.ErrNotFound("二维码"))
		return
	}
	enr, err := s.Auth.BeginEnrol(r.Context(), p)
	if err != nil {
		s.fail(w, r, err) // 409 once confirmed: the secret is never shown again
		return
	}
	code, err := qr.Encode(enr.URI, qr.M)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	code.Scale = 6
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(code.PNG())
}

type securityData struct {
	Roles          []Option
	Profiles       []auth.ProfileInfo
	ProfileOptions []Option
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	st, err := auth.LoadSecurity(r.Context(), s.DB.R, p.OrgID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := &Form{Values: map[string][]string{}}
	f.Values.Set("password_profile", st.PasswordProfile)
	if st.TOTPAll {
		f.Values.Set("totp_all", "1")
	}
	for _, role := range st.TOTPRoles {
		f.Values.Add("totp_roles", string(role))
	}
	s.renderSecurity(w, r, http.StatusOK, f)
}

func (s *Server) renderSecurity(w http.ResponseWriter, r *http.Request, code int, f *Form) {
	p := principalOf(r)
	var roles []Option
	for _, ri := range authz.Roles {
		if ri.Platform == p.IsPlatform() {
			roles = append(roles, Option{Value: string(ri.Role), Label: ri.Name})
		}
	}
	pg := s.page(r, "登录安全", Crumb{Label: "系统设置"}, Crumb{Label: "登录安全"})
	pg.Form = f
	var profiles []Option
	for _, pi := range auth.Profiles {
		profiles = append(profiles, Option{Value: pi.Code, Label: pi.Name})
	}
	pg.Data = securityData{Roles: roles, Profiles: auth.Profiles, ProfileOptions: profiles}
	s.render(w, r, code, "account/security", pg)
}

func (s *Server) securitySave(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	st := auth.Security{TOTPAll: f.Get("totp_all") == "1", TOTPRoles: rolesOf(f.All("totp_roles")),
		PasswordProfile: f.Get("password_profile")}
	if err := s.Auth.SaveSecurity(r.Context(), principalOf(r), st); err != nil {
		if !f.SetError(err) {
			s.fail(w, r, err)
			return
		}
		s.renderSecurity(w, r, formStatus(err), f)
		return
	}
	s.redirect(w, r, "/settings/security", "登录安全设置已保存，下次登录时生效")
}

func (s *Server) totpReset(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r)
	id, err := peopleID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Auth.ResetFactor(r.Context(), p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	back := "/users/" + idString(id)
	if p.IsPlatform() {
		back = "/settings/security"
	}
	s.redirect(w, r, back, "已重置该账号的动态验证码，其网页登录已结束；下次登录时须重新绑定")
}

func (s *Server) apiSecurityGet(w http.ResponseWriter, r *http.Request) {
	st, err := auth.LoadSecurity(r.Context(), s.DB.R, principalOf(r).OrgID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if st.TOTPRoles == nil {
		st.TOTPRoles = []authz.Role{}
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) apiSecurityPut(w http.ResponseWriter, r *http.Request) {
	var in auth.Security
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Auth.SaveSecurity(r.Context(), principalOf(r), in); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.apiSecurityGet(w, r)
}

func (s *Server) apiTOTPReset(w http.ResponseWriter, r *http.Request) {
	id, err := peopleID(r, "id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.Auth.ResetFactor(r.Context(), principalOf(r), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// canResetTOTP reports whether p may reset another user's second factor.
func canResetTOTP(p *authz.Principal) bool { return p != nil && p.Can(auth.PermSecurityAdmin) }
