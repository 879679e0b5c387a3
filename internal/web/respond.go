package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// status maps an error code to its HTTP status; the one place that does.
func status(code app.Code) int {
	switch code {
	case app.EInvalid:
		return http.StatusUnprocessableEntity
	case app.ENotFound:
		return http.StatusNotFound
	case app.EForbidden:
		return http.StatusForbidden
	case app.EConflict:
		return http.StatusConflict
	case app.EUnauthorized:
		return http.StatusUnauthorized
	case app.ELocked:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// apiError is the JSON error body.
type apiError struct {
	Code    app.Code          `json:"code"`
	Message string            `json:"message" doc:"可直接展示给用户的中文说明"`
	Fields  map[string]string `json:"fields,omitempty" doc:"输入错误：字段名到中文说明"`
}

// normalize turns scope denials into not-found and keeps app errors.
func normalize(err error) error {
	var d authz.ErrDenied
	if errors.As(err, &d) {
		return app.Errorf(app.ENotFound, "记录不存在或无权访问")
	}
	return err
}

// writeError answers err as JSON for API routes, as a page otherwise.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	err = normalize(err)
	code := app.ErrorCode(err)
	if code == app.EInternal {
		s.Log.Error("internal error", "request_id", w.Header().Get("X-Request-Id"), "path", r.URL.Path, "err", err)
	}
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, status(code), apiError{Code: code, Message: app.ErrorMessage(err), Fields: app.FieldErrors(err)})
		return
	}
	s.renderError(w, r, status(code), app.ErrorMessage(err))
}

// fail is writeError for HTML handlers (kept short for readability).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) { s.writeError(w, r, err) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decodeJSON reads a JSON body into v and explains bad input in Chinese.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return app.Errorf(app.EInvalid, "请求体必须是 JSON（Content-Type: application/json）")
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			f := te.Field
			if f == "" {
				f = "请求体"
			}
			e := app.Errorf(app.EInvalid, "字段 %s 的类型不正确，应为%s", f, jsonKind(te.Type.Kind().String()))
			e.Fields = map[string]string{f: e.Message}
			return e
		case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
			return app.Errorf(app.EInvalid, "请求体不是有效的 JSON")
		case errors.Is(err, io.EOF):
			return app.Errorf(app.EInvalid, "请求体为空")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return app.Errorf(app.EInvalid, "未知字段 %s", name)
		}
		var ae *app.Error
		if errors.As(err, &ae) {
			return ae
		}
		return app.Errorf(app.EInvalid, "请求体格式不正确：%s", err.Error())
	}
	if dec.More() {
		return app.Errorf(app.EInvalid, "请求体只能包含一个 JSON 对象")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "字符串"
	case "bool":
		return "布尔值"
	case "slice", "array":
		return "数组"
	case "struct", "map":
		return "对象"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "数字"
	}
	return k
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// setFlash stores a one-time message shown on the next page.
func (s *Server) setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(flashCookie), Value: url.QueryEscape(msg), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies, MaxAge: 60})
}

func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(s.cookieName(flashCookie))
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(flashCookie), Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.SecureCookies})
	v, _ := url.QueryUnescape(c.Value)
	return v
}

// redirect answers a successful form post.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to, flash string) {
	if flash != "" {
		s.setFlash(w, flash)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func idString(id int64) string { return fmt.Sprint(id) }
