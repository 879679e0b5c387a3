package web_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"shegong/internal/authz"
	"shegong/internal/testenv"
	"shegong/internal/web"
)

// fetchOpenAPI reads the served document as generic JSON.
func fetchOpenAPI(t *testing.T, e *testenv.Env) (map[string]any, testenv.Response) {
	t.Helper()
	r := e.Anon().Get("/api/openapi.json")
	if r.Status != http.StatusOK {
		t.Fatalf("openapi.json: %d %s", r.Status, r.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Body), &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc, r
}

func obj(t *testing.T, v any, where string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: not an object: %v", where, v)
	}
	return m
}

// oaPath converts a ServeMux pattern the way the document does.
func oaPath(pattern string) string {
	p := strings.ReplaceAll(pattern, "{$}", "")
	return strings.ReplaceAll(p, "...}", "}")
}

func TestEveryRouteHasSummary(t *testing.T) {
	e := testenv.New(t, "")
	for _, rt := range e.Sys.Web.Routes() {
		if strings.TrimSpace(rt.Summary) == "" {
			t.Errorf("%s %s declares no Summary", rt.Method, rt.Pattern)
		}
	}
}

func TestOpenAPIDocumentCoversEveryAPIRoute(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		doc, res := fetchOpenAPI(t, e)
		if doc["openapi"] != "3.0.3" {
			t.Fatalf("openapi version %v", doc["openapi"])
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
			!strings.Contains(res.Header.Get("Cache-Control"), "max-age") || res.Header.Get("ETag") == "" {
			t.Fatalf("headers: %v", res.Header)
		}
		paths := obj(t, doc["paths"], "paths")
		ops, apiRoutes := 0, 0
		patterns := map[string]bool{}
		for _, rt := range e.Sys.Web.Routes() {
			where := rt.Method + " " + rt.Pattern
			if !strings.HasPrefix(rt.Pattern, "/api/") {
				continue
			}
			if !strings.HasPrefix(rt.Pattern, "/api/v1/") {
				// Outside /api/v1 there are only the document and its page.
				if rt.Pattern != "/api/openapi.json" && rt.Pattern != "/api/docs" {
					t.Errorf("%s: API routes belong under /api/v1", where)
				}
				continue
			}
			apiRoutes++
			patterns[oaPath(rt.Pattern)] = true
			if rt.API == nil {
				t.Errorf("%s declares no APIDoc", where)
				continue
			}
			item, ok := paths[oaPath(rt.Pattern)].(map[string]any)
			if !ok {
				t.Errorf("%s is missing from the document", where)
				continue
			}
			op, ok := item[strings.ToLower(rt.Method)].(map[string]any)
			if !ok {
				t.Errorf("%s: method missing from the document", where)
				continue
			}
			if op["summary"] != rt.Summary || op["summary"] == "" {
				t.Errorf("%s: summary %v, want %q", where, op["summary"], rt.Summary)
			}
			tags, _ := op["tags"].([]any)
			if rt.API.Tag == "" || len(tags) != 1 || tags[0] != rt.API.Tag {
				t.Errorf("%s: tags %v, want %q", where, tags, rt.API.Tag)
			}
			if id, _ := op["operationId"].(string); id == "" {
				t.Errorf("%s: no operationId", where)
			}
			_, secured := op["security"]
			if secured != (rt.Access != web.Public) {
				t.Errorf("%s: security %v for access %v", where, op["security"], rt.Access)
			}
			resp := obj(t, op["responses"], where+" responses")
			for _, code := range []string{"401", "403", "404", "409", "422", "429", "500"} {
				if _, ok := resp[code]; !ok {
					t.Errorf("%s: no %s response", where, code)
				}
			}
		}
		for p, item := range paths {
			ops += len(obj(t, item, p))
		}
		if apiRoutes == 0 || ops != apiRoutes || len(paths) != len(patterns) {
			t.Fatalf("document has %d operations on %d paths; the server has %d /api/v1 routes on %d paths",
				ops, len(paths), apiRoutes, len(patterns))
		}
	})
}

func TestOpenAPISchemas(t *testing.T) {
	e := testenv.New(t, "")
	doc, _ := fetchOpenAPI(t, e)
	comps := obj(t, doc["components"], "components")
	schemas := obj(t, comps["schemas"], "schemas")
	prop := func(schema, name string) map[string]any {
		t.Helper()
		s := obj(t, schemas[schema], schema)
		return obj(t, obj(t, s["properties"], schema+" properties")[name], schema+"."+name)
	}
	login := obj(t, schemas["web.apiLoginIn"], "web.apiLoginIn")
	for _, f := range []string{"username", "password"} {
		if prop("web.apiLoginIn", f)["type"] != "string" {
			t.Errorf("apiLoginIn.%s is not a string", f)
		}
	}
	if req, _ := login["required"].([]any); len(req) != 2 {
		t.Errorf("apiLoginIn required: %v", login["required"])
	}
	// Nested struct by reference, omitempty field not required.
	if prop("web.apiLoginOut", "user")["$ref"] != "#/components/schemas/web.apiMe" {
		t.Errorf("apiLoginOut.user: %v", prop("web.apiLoginOut", "user"))
	}
	if req, _ := obj(t, schemas["web.apiMe"], "apiMe")["required"].([]any); slices.Contains(req, any("staff_id")) || !slices.Contains(req, any("id")) {
		t.Errorf("apiMe required: %v", req)
	}
	// Untagged fields keep their Go names; time.Time and app.Date are strings.
	if f := prop("auth.Token", "created_at"); f["type"] != "string" || f["format"] != "date-time" {
		t.Errorf("auth.Token.CreatedAt: %v", f)
	}
	if f := prop("reminder.Item", "due"); f["type"] != "string" || f["format"] != "date" {
		t.Errorf("reminder.Item.Due: %v", f)
	}
	// The login answers 201 with its body; the standard error schema.
	login201 := obj(t, obj(t, obj(t, obj(t, doc["paths"], "paths")["/api/v1/session"], "session")["post"], "post")["responses"], "responses")
	if _, ok := login201["201"]; !ok {
		t.Errorf("login responses: %v", login201)
	}
	errSchema := obj(t, schemas["web.apiError"], "web.apiError")
	for _, f := range []string{"code", "message", "fields"} {
		if _, ok := obj(t, errSchema["properties"], "error properties")[f]; !ok {
			t.Errorf("error schema lacks %s", f)
		}
	}
	if obj(t, obj(t, comps["securitySchemes"], "securitySchemes")["bearer"], "bearer")["scheme"] != "bearer" {
		t.Error("no bearer security scheme")
	}
	// Every reference points to a component.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
				if _, ok := obj(t, comps[kind], kind)[name]; !ok {
					t.Errorf("dangling reference %s", ref)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
}

func TestOpenAPIRevalidation(t *testing.T) {
	e := testenv.New(t, "")
	_, first := fetchOpenAPI(t, e)
	req, _ := http.NewRequest("GET", e.HTTP.URL+"/api/openapi.json", nil)
	req.Header.Set("If-None-Match", first.Header.Get("ETag"))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", res.StatusCode)
	}
}

func TestAPIDocsPage(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		o := e.Org("lvye", "绿叶社工")
		w := o.User("wang", true, authz.RoleWorker)
		if r := e.Anon().Get("/api/docs"); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
			t.Fatalf("anonymous docs page: %d %s", r.Status, r.Location)
		}
		c := e.Login(w)
		r := c.Get("/api/docs")
		if r.Status != http.StatusOK {
			t.Fatalf("docs page: %d", r.Status)
		}
		for _, want := range []string{"API 文档", "/api/openapi.json", "账号", "工作台", "/api/v1/session",
			"登录并获取令牌", "无需登录", "登录即可", "吊销 API 令牌", `id="postSession"`, "username", "201",
			"user.display_name"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("docs page lacks %q", want)
			}
		}
		for _, rt := range e.Sys.Web.Routes() {
			if strings.HasPrefix(rt.Pattern, "/api/v1/") && !strings.Contains(r.Body, rt.Summary) {
				t.Errorf("docs page lacks %s %s", rt.Method, rt.Pattern)
			}
		}
		if home := c.Get("/"); !strings.Contains(home.Body, `href="/api/docs"`) {
			t.Error("navigation lacks the API docs")
		}
	})
}
