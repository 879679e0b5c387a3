package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// apiDocs is the OpenAPI document and its readable page, both built once
// at start from the declared routes.
type apiDocs struct {
	json []byte
	etag string
	page apiDocsData
}

func (s *Server) apiDocRoutes() {
	s.router.Handle(Route{Method: "GET", Pattern: "/api/openapi.json", Access: Public, Summary: "OpenAPI 接口文档（JSON）"}, s.openAPIJSON)
	s.router.Handle(Route{Method: "GET", Pattern: "/api/docs", Access: Signed, Summary: "API 文档"}, s.apiDocsPage)
	s.addNav("系统设置", NavItem{Label: "API 文档", Href: "/api/docs"})
}

// buildAPIDocs generates the document once every route is registered; an
// error fails the boot.
func (s *Server) buildAPIDocs() error {
	d, err := buildOpenAPI(s.router.Routes())
	if err != nil {
		return err
	}
	b, err := d.encode()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	s.apiDocs = &apiDocs{json: b, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, page: docsPage(d)}
	return nil
}

func (s *Server) openAPIJSON(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// The document changes only with a new release; the ETag lets clients
	// revalidate cheaply after the hour.
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("ETag", s.apiDocs.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.apiDocs.json))
}

func (s *Server) apiDocsPage(w http.ResponseWriter, r *http.Request) {
	pg := s.page(r, "API 文档", Crumb{Label: "系统设置"}, Crumb{Label: "API 文档"})
	pg.Data = s.apiDocs.page
	s.render(w, r, http.StatusOK, "api/docs", pg)
}

// apiDocsData is the document laid out for people: one table per tag,
// then each operation's parameters and fields.
type apiDocsData struct {
	Version string
	Tags    []docTag
	Errors  []docError
}

type docTag struct {
	Name string
	Ops  []docOp
}

type docOp struct {
	ID          string // operationId, also the page anchor
	Method      string
	MethodClass string // tag colour
	Path        string
	Summary     string
	Desc        string
	Auth        string
	Status      string
	Params      []docField
	Request     *docBody
	Response    *docBody
}

type docBody struct {
	Kind   string // 对象, 对象数组 …
	Fields []docField
}

type docField struct {
	Name     string
	In       string // 路径 or 查询 for parameters
	Type     string
	Required bool
	Desc     string
}

type docError struct {
	Status string
	Desc   string
}

func docsPage(d *oaDoc) apiDocsData {
	out := apiDocsData{Version: d.OpenAPI}
	for _, er := range errorResponses {
		out.Errors = append(out.Errors, docError{Status: strconv.Itoa(er.Status), Desc: er.Desc})
	}
	idx := map[string]int{}
	for _, t := range d.Tags {
		idx[t.Name] = len(out.Tags)
		out.Tags = append(out.Tags, docTag{Name: t.Name})
	}
	for _, pe := range d.Paths {
		for _, me := range *pe.Val {
			op := me.Val
			o := docOp{ID: op.OperationID, Method: strings.ToUpper(me.Key), Path: pe.Key,
				Summary: op.Summary, Desc: op.Description, Auth: authText(op.route)}
			o.MethodClass = methodClass(o.Method)
			for _, p := range op.Parameters {
				in := "路径"
				if p.In == "query" {
					in = "查询"
				}
				o.Params = append(o.Params, docField{Name: p.Name, In: in, Type: typeLabel(d, p.Schema),
					Required: p.Required, Desc: p.Description})
			}
			if op.RequestBody != nil {
				o.Request = body(d, op.RequestBody.Content["application/json"].Schema)
			}
			if len(op.Responses) > 0 {
				first := op.Responses[0]
				o.Status = first.Key + " " + first.Val.Description
				if m, ok := first.Val.Content["application/json"]; ok {
					o.Response = body(d, m.Schema)
				}
			}
			i := idx[op.Tags[0]]
			out.Tags[i].Ops = append(out.Tags[i].Ops, o)
		}
	}
	return out
}

func authText(rt Route) string {
	switch rt.Access {
	case Public:
		return "无需登录"
	case Signed:
		return "登录即可"
	}
	return "需要权限：" + rt.Perm.Title
}

func methodClass(m string) string {
	switch m {
	case "GET":
		return "tag-blue"
	case "POST":
		return "tag-green"
	case "PUT", "PATCH":
		return "tag-orange"
	case "DELETE":
		return "tag-red"
	}
	return "tag-grey"
}

// resolve follows a $ref (or a one-element allOf around it) to the schema.
func resolve(d *oaDoc, s *oaSchema) *oaSchema {
	for range 8 {
		switch {
		case s == nil:
			return nil
		case s.Ref != "":
			s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
		case len(s.AllOf) == 1 && s.Type == "":
			s = s.AllOf[0]
		default:
			return s
		}
	}
	return s
}

// typeLabel names a schema's type in Chinese.
func typeLabel(d *oaDoc, s *oaSchema) string {
	r := resolve(d, s)
	if r == nil {
		return ""
	}
	l := baseLabel(d, r)
	if s.Nullable || r.Nullable {
		l += "，可为空"
	}
	return l
}

func baseLabel(d *oaDoc, r *oaSchema) string {
	switch r.Type {
	case "string":
		switch r.Format {
		case "date":
			return "日期"
		case "date-time":
			return "时间"
		}
		return "字符串"
	case "integer":
		if r.Description == fenDesc || strings.HasSuffix(r.Description, "（"+fenDesc+"）") {
			return "金额（分）"
		}
		return "整数"
	case "number":
		return "数字"
	case "boolean":
		return "布尔值"
	case "array":
		if it := resolve(d, r.Items); it != nil {
			return baseLabel(d, it) + "数组"
		}
		return "数组"
	case "object":
		return "对象"
	}
	return "任意"
}

func fieldDesc(s *oaSchema) string {
	desc := s.Description
	if len(s.Enum) > 0 {
		if desc != "" {
			desc += "；"
		}
		desc += "可选值：" + strings.Join(s.Enum, "、")
	}
	return desc
}

// body lays out a request or response body: its kind and, for objects or
// arrays of objects, the fields with nested ones as a.b and a[].b.
func body(d *oaDoc, s *oaSchema) *docBody {
	r := resolve(d, s)
	if r == nil {
		return nil
	}
	b := &docBody{Kind: typeLabel(d, s)}
	if r.Type == "array" {
		r = resolve(d, r.Items)
	}
	flatten(d, r, "", map[*oaSchema]bool{}, &b.Fields)
	return b
}

func flatten(d *oaDoc, s *oaSchema, prefix string, seen map[*oaSchema]bool, out *[]docField) {
	if s == nil || s.Type != "object" || seen[s] {
		return
	}
	seen[s] = true
	defer delete(seen, s)
	for _, p := range s.Properties {
		r := resolve(d, p.Val)
		desc := fieldDesc(p.Val)
		if desc == "" && r != nil {
			desc = fieldDesc(r)
		}
		*out = append(*out, docField{Name: prefix + p.Key, Type: typeLabel(d, p.Val),
			Required: slices.Contains(s.Required, p.Key), Desc: desc})
		switch {
		case r != nil && r.Type == "object":
			flatten(d, r, prefix+p.Key+".", seen, out)
		case r != nil && r.Type == "array":
			flatten(d, resolve(d, r.Items), prefix+p.Key+"[].", seen, out)
		}
	}
}
