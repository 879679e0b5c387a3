package web

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
)

type genBase struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	Hidden    string    `json:"-"`
	secret    string
}

type genNode struct {
	Name     string     `json:"name"`
	Children []*genNode `json:"children"`
}

type genPage[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

type genOut struct {
	genBase
	Amount   app.Fen          `json:"amount" doc:"合同金额"`
	Start    app.Date         `json:"start"`
	End      *app.Date        `json:"end,omitempty"`
	Role     authz.Role       `json:"role"`
	Tags     []string         `json:"tags"`
	Counts   map[string]int   `json:"counts"`
	Tree     genNode          `json:"tree"`
	Parent   *genNode         `json:"parent"`
	Extra    any              `json:"extra,omitempty"`
	Raw      json.RawMessage  `json:"raw"`
	Big      int64            `json:"big,string"`
	Inline   struct{ A bool } `json:"inline"`
	Untagged string
	ByID     map[int64]genNode `json:"by_id"`
	Page     genPage[genNode]  `json:"page"`
	Pair     [2]float64        `json:"pair"`
}

type genIn struct {
	Name string `json:"name"`
	Note string `json:"note,omitempty"`
}

type genBad struct {
	C chan int `json:"c"`
}

func genRoutes(extra ...Route) []Route {
	rs := []Route{
		{Method: "GET", Pattern: "/api/v1/things/{id}", Access: Permitted, Perm: &authz.Perm{Name: "thing.read", Title: "查看"},
			Object: "thing", Summary: "查看", API: &APIDoc{Tag: "事物", Response: genOut{},
				Query: []Param{{Name: "full", Desc: "完整", Type: "boolean"}}}},
		{Method: "POST", Pattern: "/api/v1/things", Access: Signed, Summary: "新建",
			API: &APIDoc{Tag: "事物", Request: genIn{}, Response: genOut{}, Status: 201}},
		{Method: "DELETE", Pattern: "/api/v1/tokens/{tid}", Access: Signed, Summary: "吊销", API: &APIDoc{Tag: "账号"}},
		{Method: "GET", Pattern: "/things", Access: Signed, Summary: "网页"},
	}
	return append(rs, extra...)
}

func genDoc(t *testing.T, routes []Route) map[string]any {
	t.Helper()
	d, err := buildOpenAPI(routes)
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.encode()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// at walks a decoded document by keys.
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %v: %s is not inside an object", keys, k)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("at %v: no %s", keys, k)
		}
	}
	return v
}

func TestGenerateSchemas(t *testing.T) {
	doc := genDoc(t, genRoutes())
	out := at(t, doc, "components", "schemas", "web.genOut")
	props := at(t, out, "properties").(map[string]any)
	want := map[string]string{
		"id":         `{"format":"int64","type":"integer"}`,
		"created_at": `{"format":"date-time","type":"string"}`,
		"amount":     `{"description":"合同金额（金额，单位：分）","format":"int64","type":"integer"}`,
		"start":      `{"description":"日期，格式 YYYY-MM-DD","format":"date","type":"string"}`,
		"end":        `{"description":"日期，格式 YYYY-MM-DD","format":"date","nullable":true,"type":"string"}`,
		"tags":       `{"items":{"type":"string"},"type":"array"}`,
		"counts":     `{"additionalProperties":{"format":"int64","type":"integer"},"type":"object"}`,
		"tree":       `{"$ref":"#/components/schemas/web.genNode"}`,
		"parent":     `{"allOf":[{"$ref":"#/components/schemas/web.genNode"}],"nullable":true}`,
		"extra":      `{"description":"任意 JSON 值"}`,
		"raw":        `{"description":"任意 JSON 值"}`,
		"big":        `{"type":"string"}`,
		"inline":     `{"properties":{"A":{"type":"boolean"}},"required":["A"],"type":"object"}`,
		"Untagged":   `{"type":"string"}`,
		"by_id":      `{"additionalProperties":{"$ref":"#/components/schemas/web.genNode"},"type":"object"}`,
		"page":       `{"$ref":"#/components/schemas/web.genPage_web.genNode"}`,
		"pair":       `{"items":{"format":"double","type":"number"},"maxItems":2,"minItems":2,"type":"array"}`,
	}
	for k, w := range want {
		b, _ := json.Marshal(props[k])
		if string(b) != w {
			t.Errorf("%s: %s, want %s", k, b, w)
		}
	}
	if len(props) != len(want)+1 { // + role
		t.Errorf("properties: %d %v", len(props), props)
	}
	if enum := at(t, props["role"], "enum").([]any); len(enum) != len(authz.Roles) || at(t, props["role"], "type") != "string" {
		t.Errorf("role: %v", props["role"])
	}
	// Embedded fields come first, in declaration order; omitempty is optional.
	b, _ := json.Marshal(at(t, out, "required"))
	if !strings.HasPrefix(string(b), `["id","created_at","amount","start","role"`) || strings.Contains(string(b), `"end"`) ||
		strings.Contains(string(b), `"extra"`) {
		t.Errorf("required: %s", b)
	}
	// The recursive type refers to itself.
	b, _ = json.Marshal(at(t, doc, "components", "schemas", "web.genNode", "properties", "children"))
	if string(b) != `{"items":{"allOf":[{"$ref":"#/components/schemas/web.genNode"}],"nullable":true},"type":"array"}` {
		t.Errorf("children: %s", b)
	}
}

func TestGenerateOperations(t *testing.T) {
	doc := genDoc(t, genRoutes())
	paths := at(t, doc, "paths").(map[string]any)
	if len(paths) != 3 {
		t.Fatalf("paths: %v", paths)
	}
	get := at(t, doc, "paths", "/api/v1/things/{id}", "get")
	if at(t, get, "operationId") != "getThingsById" || at(t, get, "x-permission") != "thing.read" || at(t, get, "summary") != "查看" {
		t.Errorf("get: %v", get)
	}
	b, _ := json.Marshal(at(t, get, "parameters"))
	if string(b) != `[{"description":"记录编号","in":"path","name":"id","required":true,"schema":{"format":"int64","type":"integer"}},{"description":"完整","in":"query","name":"full","required":false,"schema":{"type":"boolean"}}]` {
		t.Errorf("parameters: %s", b)
	}
	post := at(t, doc, "paths", "/api/v1/things", "post")
	if at(t, post, "responses", "201", "content", "application/json", "schema", "$ref") != "#/components/schemas/web.genOut" ||
		at(t, post, "requestBody", "content", "application/json", "schema", "$ref") != "#/components/schemas/web.genIn" {
		t.Errorf("post: %v", post)
	}
	del := at(t, doc, "paths", "/api/v1/tokens/{tid}", "delete")
	if at(t, del, "operationId") != "deleteTokensByTid" || at(t, del, "parameters").([]any)[0].(map[string]any)["schema"].(map[string]any)["type"] != "string" {
		t.Errorf("delete: %v", del)
	}
	if _, ok := at(t, del, "responses").(map[string]any)["204"]; !ok {
		t.Errorf("delete responses: %v", at(t, del, "responses"))
	}
	tags, _ := json.Marshal(doc["tags"])
	if string(tags) != `[{"name":"事物"},{"name":"账号"}]` {
		t.Errorf("tags: %s", tags)
	}
}

func TestGenerateRejectsBadDeclarations(t *testing.T) {
	cases := []struct {
		name  string
		route Route
		want  string
	}{
		{"no APIDoc", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲"}, "no APIDoc"},
		{"no summary", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, API: &APIDoc{Tag: "甲"}}, "no Summary"},
		{"no tag", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲", API: &APIDoc{}}, "no Tag"},
		{"unsupported type", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲", Response: genBad{}}}, "genBad.c: type chan int"},
		{"bad map key", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲", Response: map[[2]int]string{}}}, "map key"},
		{"GET body", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲", Request: genIn{}}}, "no body"},
		{"bad query type", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲", Query: []Param{{Name: "q", Type: "text"}}}}, "unknown parameter type"},
		{"unknown path param", Route{Method: "GET", Pattern: "/api/v1/x", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲", Path: []Param{{Name: "id"}}}}, "not in the pattern"},
		{"204 with body", Route{Method: "POST", Pattern: "/api/v1/x", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲", Response: genIn{}, Status: 204}}, "204"},
		{"operationId clash", Route{Method: "POST", Pattern: "/api/v1/things-", Access: Signed, Summary: "甲",
			API: &APIDoc{Tag: "甲"}}, "share the operationId postThings"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := buildOpenAPI(genRoutes(c.route))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestOpenAPIPathAndNames(t *testing.T) {
	for pattern, want := range map[string]string{
		"/api/v1/sites/{id}":               "/api/v1/sites/{id} getSitesById",
		"/api/v1/{$}":                      "/api/v1/ get",
		"/api/v1/files/{rest...}":          "/api/v1/files/{rest} getFilesByRest",
		"/api/v1/contract-years/{site_id}": "/api/v1/contract-years/{site_id} getContractYearsBySiteId",
	} {
		p, _ := openAPIPath(pattern)
		if got := p + " " + operationID("GET", p); got != want {
			t.Errorf("%s: %s, want %s", pattern, got, want)
		}
	}
	if n := schemaName(reflect.TypeFor[genPage[map[string]genNode]]()); n != "web.genPage_map_string_web.genNode" {
		t.Errorf("generic name: %s", n)
	}
	if p := defaultPathParam("site_id"); p.Type != "integer" {
		t.Errorf("site_id: %v", p)
	}
	if p := defaultPathParam("code"); p.Type != "string" {
		t.Errorf("code: %v", p)
	}
}

func TestDocsPageLayout(t *testing.T) {
	d, err := buildOpenAPI(genRoutes())
	if err != nil {
		t.Fatal(err)
	}
	pg := docsPage(d)
	if len(pg.Tags) != 2 || pg.Tags[0].Name != "事物" || len(pg.Tags[0].Ops) != 2 || len(pg.Errors) != 7 {
		t.Fatalf("tags: %+v", pg.Tags)
	}
	get := pg.Tags[0].Ops[0]
	if get.Auth != "需要权限：查看" || get.Method != "GET" || get.Status != "200 成功" || len(get.Params) != 2 || get.Params[0].In != "路径" {
		t.Errorf("get: %+v", get)
	}
	fields := map[string]docField{}
	for _, f := range get.Response.Fields {
		fields[f.Name] = f
	}
	for name, typ := range map[string]string{
		"amount": "金额（分）", "start": "日期", "end": "日期，可为空", "created_at": "时间", "role": "字符串",
		"tree": "对象", "tree.children": "对象数组", "page.items[].name": "字符串",
		"parent": "对象，可为空", "pair": "数字数组",
	} {
		if fields[name].Type != typ {
			t.Errorf("%s: %q, want %q", name, fields[name].Type, typ)
		}
	}
	// A recursive type is laid out once.
	if _, ok := fields["tree.children[].name"]; ok {
		t.Error("recursive type expanded")
	}
	if !strings.Contains(fields["role"].Desc, "可选值：platform_operator") || fields["end"].Required || !fields["amount"].Required {
		t.Errorf("fields: %+v %+v %+v", fields["role"], fields["end"], fields["amount"])
	}
	if pg.Tags[1].Ops[0].Auth != "登录即可" || pg.Tags[1].Ops[0].Response != nil || pg.Tags[0].Ops[1].Request == nil {
		t.Errorf("ops: %+v", pg.Tags)
	}
}
