package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// FuzzAPIInput sends outside input through the whole HTTP stack: a JSON body
// to the create routes of clients, departments and volunteers, and a query
// string (filters, sort, direction, page) to the client list page and its
// API. Nothing answers 5xx; every API refusal is the JSON error shape with a
// Chinese message; a created record answers 201 with its id.
func FuzzAPIInput(f *testing.F) {
	for _, s := range [][2]string{
		{`{"name":"陈大伯","gender":"男","phone":"13800138000"}`, "sort=name&dir=desc&page=2&size=50&q=陈"},
		{`{"name":"财务部","kind":"finance"}`, "status=active&site_id=1&category_id=x"},
		{`{"name":"张三","site_id":1,"id_number":"11010519491231002X"}`, "sort=name%3B+DROP+TABLE+clients&dir=sideways"},
		{`{"name":1}`, "page=-1&size=100000000000000000000"},
		{`{"name":"x","unknown":true}`, "q=%25%27%22%3C"},
		{`[1,2,3]`, "format=xlsx&q=%00"},
		{`{"name":"x"}{"name":"y"}`, "sort=&dir=&page=&size="},
		{`{"name":"` + strings.Repeat("长", 300) + `"}`, "town_id=99999999999999999999999"},
		{"\xff\xfe", "%zz"},
		{``, ""},
	} {
		f.Add(s[0], s[1])
	}
	e := testenv.New(f, "")
	o := e.Org("lvye", "绿叶社工")
	site := o.Site("北岸中心", "centre")
	admin := o.User("fuzzadmin", true, authz.RoleOrgAdmin, authz.RoleDirector, authz.RoleWorker).Assign(site, "社工")
	token := e.APIClient(admin).Token
	cookie := e.Login(admin)
	u := e.HTTP.URL
	var session *http.Cookie
	for _, c := range cookie.HTTP.Jar.Cookies(mustURL(u)) {
		if c.Name == "shegong_session" {
			session = c
		}
	}
	if session == nil {
		f.Fatal("no session cookie")
	}
	han := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}
	f.Fuzz(func(t *testing.T, body, query string) {
		for _, path := range []string{"/api/v1/clients", "/api/v1/departments", "/api/v1/volunteers"} {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			e.Sys.Web.ServeHTTP(rec, req)
			var out struct {
				ID      int64  `json:"id"`
				Code    string `json:"code"`
				Message string `json:"message"`
			}
			err := json.Unmarshal(rec.Body.Bytes(), &out)
			switch {
			case rec.Code >= 500:
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
			case rec.Code >= 400:
				if err != nil || out.Code == "" || !han(out.Message) {
					t.Fatalf("POST %s %q: %d without a Chinese JSON error: %s", path, body, rec.Code, rec.Body)
				}
			case rec.Code == http.StatusCreated:
				if err != nil {
					t.Fatalf("POST %s %q: 201 with %s", path, body, rec.Body)
				}
			default:
				t.Fatalf("POST %s %q: unexpected %d", path, body, rec.Code)
			}
		}
		for _, path := range []string{"/api/v1/clients?", "/clients?"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL.Path, req.URL.RawQuery = strings.TrimSuffix(path, "?"), query
			if strings.HasPrefix(path, "/api/") {
				req.Header.Set("Authorization", "Bearer "+token)
			} else {
				req.AddCookie(session)
			}
			rec := httptest.NewRecorder()
			e.Sys.Web.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("GET %s%s: %d %.300s", path, query, rec.Code, rec.Body)
			}
			if strings.HasPrefix(path, "/api/") && rec.Code >= 400 && !han(rec.Body.String()) {
				t.Fatalf("GET %s%s: %d without a Chinese message: %s", path, query, rec.Code, rec.Body)
			}
		}
	})
}
