package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// The OpenAPI 3.0.3 document is generated from the route declarations, so
// it cannot drift from what the server really serves: every route under
// /api/v1 declares an APIDoc and the request and response shapes are read
// from the Go types by reflection.

const (
	apiPrefix      = "/api/v1"
	openAPIVersion = "3.0.3"
	fenDesc        = "金额，单位：分"
	bearerScheme   = "bearer"
)

// oaDoc is an OpenAPI document; only the parts this server needs.
type oaDoc struct {
	OpenAPI    string                `json:"openapi"`
	Info       oaInfo                `json:"info"`
	Tags       []oaTag               `json:"tags"`
	Paths      ordered[oaPathItem]   `json:"paths"`
	Components oaComponents          `json:"components"`
	byPath     map[string]oaPathItem // unexported: lookups while building
}

type oaInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

type oaTag struct {
	Name string `json:"name"`
}

// oaPathItem maps lower-case methods to operations, in declaration order.
type oaPathItem = *ordered[*oaOperation]

type oaOperation struct {
	OperationID string                `json:"operationId"`
	Summary     string                `json:"summary"`
	Description string                `json:"description,omitempty"`
	Tags        []string              `json:"tags"`
	Parameters  []oaParameter         `json:"parameters,omitempty"`
	RequestBody *oaRequestBody        `json:"requestBody,omitempty"`
	Responses   ordered[oaResponse]   `json:"responses"`
	Security    []map[string][]string `json:"security,omitempty"`
	Permission  string                `json:"x-permission,omitempty"`
	route       Route
}

type oaParameter struct {
	Name        string    `json:"name"`
	In          string    `json:"in"`
	Description string    `json:"description,omitempty"`
	Required    bool      `json:"required"`
	Schema      *oaSchema `json:"schema"`
}

type oaRequestBody struct {
	Required bool               `json:"required"`
	Content  map[string]oaMedia `json:"content"`
}

type oaMedia struct {
	Schema *oaSchema `json:"schema"`
}

type oaResponse struct {
	Ref         string             `json:"$ref,omitempty"`
	Description string             `json:"description,omitempty"`
	Content     map[string]oaMedia `json:"content,omitempty"`
}

type oaComponents struct {
	Schemas         map[string]*oaSchema        `json:"schemas"`
	Responses       map[string]oaResponse       `json:"responses"`
	SecuritySchemes map[string]oaSecurityScheme `json:"securitySchemes"`
}

type oaSecurityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

// oaSchema is a JSON schema as OpenAPI 3.0 writes it.
type oaSchema struct {
	Ref                  string             `json:"$ref,omitempty"`
	AllOf                []*oaSchema        `json:"allOf,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Format               string             `json:"format,omitempty"`
	Description          string             `json:"description,omitempty"`
	Enum                 []string           `json:"enum,omitempty"`
	Nullable             bool               `json:"nullable,omitempty"`
	Items                *oaSchema          `json:"items,omitempty"`
	MinItems             *int               `json:"minItems,omitempty"`
	MaxItems             *int               `json:"maxItems,omitempty"`
	Properties           ordered[*oaSchema] `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties *oaSchema          `json:"additionalProperties,omitempty"`
}

// ordered is a JSON object that keeps its keys in insertion order, so the
// document reads in declaration order (paths, methods, struct fields).
type ordered[V any] []entry[V]

type entry[V any] struct {
	Key string
	Val V
}

func (o ordered[V]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.Val)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o *ordered[V]) set(key string, v V) { *o = append(*o, entry[V]{key, v}) }

func (o ordered[V]) get(key string) (V, bool) {
	for _, e := range o {
		if e.Key == key {
			return e.Val, true
		}
	}
	var zero V
	return zero, false
}

// Standard error responses: every error body is an apiError.
var errorResponses = []struct {
	Status int
	Name   string
	Desc   string
}{
	{http.StatusUnauthorized, "Unauthorized", "未登录、令牌无效或已过期，或用户名、密码错误"},
	{http.StatusForbidden, "Forbidden", "无权执行此操作，或须先修改初始密码，或跨站请求被拒绝"},
	{http.StatusNotFound, "NotFound", "记录不存在，或不在您的数据范围内"},
	{http.StatusConflict, "Conflict", "与现有记录冲突，例如重复或已被他人修改"},
	{http.StatusUnprocessableEntity, "Invalid", "输入有误；fields 按字段给出中文说明"},
	{http.StatusTooManyRequests, "Locked", "多次登录失败，账号已被临时锁定"},
	{http.StatusInternalServerError, "Internal", "系统内部错误；请凭响应头 X-Request-Id 联系管理员"},
}

// errorCodes are the values of apiError.code.
var errorCodes = []app.Code{app.EInvalid, app.ENotFound, app.EForbidden, app.EConflict,
	app.EUnauthorized, app.ELocked, app.EInternal}

const apiDescription = `社工服务管理系统的 JSON API。接口与网页界面调用同一套业务服务，遵循同样的权限与数据范围。

- 认证：调用 POST /api/v1/session 用账号和密码换取令牌，或在「系统设置 › API 令牌」中创建长期令牌；之后在请求头中加入 Authorization: Bearer 令牌。
- 错误：统一返回 {"code": …, "message": …, "fields": …}。message 是可直接展示的中文说明，fields 按字段给出输入错误。
- 数据范围：不存在的记录与超出您数据范围的记录同样返回 404。
- 金额为以分为单位的整数；日期格式为 YYYY-MM-DD；时间为 RFC 3339 格式。`

// buildOpenAPI generates the document from the declared routes. Every
// route under /api/v1 must declare a summary and an APIDoc with a tag; a
// type the generator cannot describe is an error, so the boot fails.
func buildOpenAPI(routes []Route) (*oaDoc, error) {
	d := &oaDoc{
		OpenAPI: openAPIVersion,
		Info:    oaInfo{Title: "社工服务管理系统 API", Version: "1.0", Description: apiDescription},
		Tags:    []oaTag{},
		byPath:  map[string]oaPathItem{},
		Components: oaComponents{
			Schemas:   map[string]*oaSchema{},
			Responses: map[string]oaResponse{},
			SecuritySchemes: map[string]oaSecurityScheme{bearerScheme: {Type: "http", Scheme: "bearer",
				Description: "登录接口返回的令牌，或在「系统设置 › API 令牌」中创建的令牌"}},
		},
	}
	b := newSchemaBuilder(d.Components.Schemas)
	errSchema, err := b.schemaOf(reflect.TypeFor[apiError](), "错误响应")
	if err != nil {
		return nil, err
	}
	for _, er := range errorResponses {
		d.Components.Responses[er.Name] = oaResponse{Description: er.Desc,
			Content: map[string]oaMedia{"application/json": {Schema: errSchema}}}
	}
	opIDs := map[string]string{}
	for _, rt := range routes {
		if rt.Pattern != apiPrefix && !strings.HasPrefix(rt.Pattern, apiPrefix+"/") {
			continue
		}
		where := rt.Method + " " + rt.Pattern
		op, p, err := b.operation(rt)
		if err != nil {
			return nil, fmt.Errorf("web: OpenAPI: %s: %w", where, err)
		}
		if prev, dup := opIDs[op.OperationID]; dup {
			return nil, fmt.Errorf("web: OpenAPI: %s and %s share the operationId %s", prev, where, op.OperationID)
		}
		opIDs[op.OperationID] = where
		item, ok := d.byPath[p]
		if !ok {
			item = &ordered[*oaOperation]{}
			d.byPath[p] = item
			d.Paths.set(p, item)
		}
		method := strings.ToLower(rt.Method)
		if _, dup := item.get(method); dup {
			return nil, fmt.Errorf("web: OpenAPI: %s is declared twice", where)
		}
		item.set(method, op)
		if !slices.Contains(d.tagNames(), rt.API.Tag) {
			d.Tags = append(d.Tags, oaTag{Name: rt.API.Tag})
		}
	}
	return d, nil
}

func (d *oaDoc) tagNames() []string {
	out := make([]string, len(d.Tags))
	for i, t := range d.Tags {
		out[i] = t.Name
	}
	return out
}

// operation describes one route and returns it with its OpenAPI path.
func (b *schemaBuilder) operation(rt Route) (*oaOperation, string, error) {
	doc := rt.API
	switch {
	case doc == nil:
		return nil, "", fmt.Errorf("API route declares no APIDoc")
	case strings.TrimSpace(rt.Summary) == "":
		return nil, "", fmt.Errorf("API route declares no Summary")
	case strings.TrimSpace(doc.Tag) == "":
		return nil, "", fmt.Errorf("APIDoc declares no Tag")
	}
	p, names := openAPIPath(rt.Pattern)
	op := &oaOperation{
		OperationID: operationID(rt.Method, p),
		Summary:     rt.Summary,
		Description: doc.Desc,
		Tags:        []string{doc.Tag},
		route:       rt,
	}
	for _, pp := range doc.Path {
		if !slices.Contains(names, pp.Name) {
			return nil, "", fmt.Errorf("path parameter %q is not in the pattern", pp.Name)
		}
	}
	for _, n := range names {
		prm := defaultPathParam(n)
		for _, pp := range doc.Path {
			if pp.Name == n {
				prm = pp
			}
		}
		s, err := paramSchema(prm.Type)
		if err != nil {
			return nil, "", fmt.Errorf("path parameter %s: %w", n, err)
		}
		op.Parameters = append(op.Parameters, oaParameter{Name: n, In: "path", Description: prm.Desc, Required: true, Schema: s})
	}
	for _, q := range doc.Query {
		if q.Name == "" {
			return nil, "", fmt.Errorf("query parameter without a name")
		}
		s, err := paramSchema(q.Type)
		if err != nil {
			return nil, "", fmt.Errorf("query parameter %s: %w", q.Name, err)
		}
		op.Parameters = append(op.Parameters, oaParameter{Name: q.Name, In: "query", Description: q.Desc, Required: q.Required, Schema: s})
	}
	if doc.Request != nil {
		if rt.Method == http.MethodGet || rt.Method == http.MethodHead {
			return nil, "", fmt.Errorf("a %s request has no body", rt.Method)
		}
		s, err := b.schemaOf(reflect.TypeOf(doc.Request), "请求体")
		if err != nil {
			return nil, "", fmt.Errorf("request: %w", err)
		}
		op.RequestBody = &oaRequestBody{Required: true, Content: map[string]oaMedia{"application/json": {Schema: s}}}
	}
	status := doc.Status
	if status == 0 {
		status = http.StatusOK
		if doc.Response == nil {
			status = http.StatusNoContent
		}
	}
	if status < 200 || status > 299 {
		return nil, "", fmt.Errorf("success status %d is not 2xx", status)
	}
	ok := oaResponse{Description: successText(status)}
	if doc.Response != nil {
		if status == http.StatusNoContent {
			return nil, "", fmt.Errorf("a 204 response has no body")
		}
		s, err := b.schemaOf(reflect.TypeOf(doc.Response), "响应")
		if err != nil {
			return nil, "", fmt.Errorf("response: %w", err)
		}
		ok.Content = map[string]oaMedia{"application/json": {Schema: s}}
	}
	op.Responses.set(fmt.Sprint(status), ok)
	for _, er := range errorResponses {
		op.Responses.set(fmt.Sprint(er.Status), oaResponse{Ref: "#/components/responses/" + er.Name})
	}
	if rt.Access != Public {
		op.Security = []map[string][]string{{bearerScheme: {}}}
	}
	if rt.Access == Permitted {
		op.Permission = rt.Perm.Name
	}
	return op, p, nil
}

func successText(status int) string {
	switch status {
	case http.StatusCreated:
		return "已创建"
	case http.StatusAccepted:
		return "已受理"
	case http.StatusNoContent:
		return "成功，无返回内容"
	}
	return "成功"
}

// openAPIPath converts a ServeMux pattern to an OpenAPI path and lists its
// parameter names: {name...} becomes {name}, {$} is dropped.
func openAPIPath(pattern string) (string, []string) {
	p := strings.ReplaceAll(pattern, "{$}", "")
	var names []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			n := strings.TrimSuffix(strings.Trim(s, "{}"), "...")
			names = append(names, n)
			segs[i] = "{" + n + "}"
		}
	}
	return strings.Join(segs, "/"), names
}

// defaultPathParam types a path parameter by its name: record ids are
// integers, the API token id {tid} is a hexadecimal string.
func defaultPathParam(name string) Param {
	switch {
	case name == "id":
		return Param{Name: name, Desc: "记录编号", Type: "integer"}
	case name == "tid":
		return Param{Name: name, Desc: "令牌编号", Type: "string"}
	case strings.HasSuffix(strings.ToLower(name), "id"):
		return Param{Name: name, Desc: "编号", Type: "integer"}
	}
	return Param{Name: name, Type: "string"}
}

func paramSchema(typ string) (*oaSchema, error) {
	switch typ {
	case "", "string":
		return &oaSchema{Type: "string"}, nil
	case "integer":
		return &oaSchema{Type: "integer", Format: "int64"}, nil
	case "number":
		return &oaSchema{Type: "number"}, nil
	case "boolean":
		return &oaSchema{Type: "boolean"}, nil
	case "date":
		return &oaSchema{Type: "string", Format: "date"}, nil
	}
	return nil, fmt.Errorf("unknown parameter type %q", typ)
}

// operationID is the method followed by the path after /api/v1 in camel
// case, parameters as "By…": DELETE /api/v1/tokens/{tid} → deleteTokensByTid.
func operationID(method, p string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, seg := range strings.Split(strings.TrimPrefix(p, apiPrefix), "/") {
		if strings.HasPrefix(seg, "{") {
			b.WriteString("By")
			seg = strings.Trim(seg, "{}")
		}
		for _, w := range strings.FieldsFunc(seg, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			r := []rune(w)
			b.WriteString(strings.ToUpper(string(r[0])) + string(r[1:]))
		}
	}
	return b.String()
}

// schemaBuilder turns Go types into schemas; named structs become
// components with stable package-qualified names.
type schemaBuilder struct {
	schemas map[string]*oaSchema
	names   map[reflect.Type]string
	owner   map[string]reflect.Type
}

func newSchemaBuilder(into map[string]*oaSchema) *schemaBuilder {
	return &schemaBuilder{schemas: into, names: map[reflect.Type]string{}, owner: map[string]reflect.Type{}}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	dateType          = reflect.TypeFor[app.Date]()
	fenType           = reflect.TypeFor[app.Fen]()
	roleType          = reflect.TypeFor[authz.Role]()
	codeType          = reflect.TypeFor[app.Code]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// schemaOf describes how encoding/json writes a value of type t; where
// names the place for error messages.
func (b *schemaBuilder) schemaOf(t reflect.Type, where string) (*oaSchema, error) {
	if t.Kind() == reflect.Pointer {
		s, err := b.schemaOf(t.Elem(), where)
		if err != nil {
			return nil, err
		}
		return nullable(s), nil
	}
	switch t {
	case timeType:
		return &oaSchema{Type: "string", Format: "date-time"}, nil
	case dateType:
		return &oaSchema{Type: "string", Format: "date", Description: "日期，格式 YYYY-MM-DD"}, nil
	case fenType:
		return &oaSchema{Type: "integer", Format: "int64", Description: fenDesc}, nil
	case roleType:
		s := &oaSchema{Type: "string", Description: "角色"}
		for _, r := range authz.Roles {
			s.Enum = append(s.Enum, string(r.Role))
		}
		return s, nil
	case codeType:
		s := &oaSchema{Type: "string", Description: "错误类别"}
		for _, c := range errorCodes {
			s.Enum = append(s.Enum, string(c))
		}
		return s, nil
	}
	if implements(t, jsonMarshalerType) {
		// A type that writes its own JSON cannot be described by its fields.
		return &oaSchema{Description: "任意 JSON 值"}, nil
	}
	if implements(t, textMarshalerType) {
		return &oaSchema{Type: "string"}, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return &oaSchema{Type: "boolean"}, nil
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Uint8, reflect.Uint16:
		return &oaSchema{Type: "integer", Format: "int32"}, nil
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return &oaSchema{Type: "integer", Format: "int64"}, nil
	case reflect.Float32:
		return &oaSchema{Type: "number", Format: "float"}, nil
	case reflect.Float64:
		return &oaSchema{Type: "number", Format: "double"}, nil
	case reflect.String:
		return &oaSchema{Type: "string"}, nil
	case reflect.Interface:
		return &oaSchema{Description: "任意 JSON 值"}, nil
	case reflect.Slice, reflect.Array:
		e := t.Elem()
		if e.Kind() == reflect.Uint8 && !implements(e, jsonMarshalerType) && !implements(e, textMarshalerType) {
			if t.Kind() == reflect.Slice {
				return &oaSchema{Type: "string", Format: "byte", Description: "Base64 编码"}, nil
			}
		}
		items, err := b.schemaOf(e, where+"[]")
		if err != nil {
			return nil, err
		}
		s := &oaSchema{Type: "array", Items: items}
		if t.Kind() == reflect.Array {
			n := t.Len()
			s.MinItems, s.MaxItems = &n, &n
		}
		return s, nil
	case reflect.Map:
		k := t.Key()
		switch {
		case k.Kind() == reflect.String, implements(k, textMarshalerType):
		case k.Kind() >= reflect.Int && k.Kind() <= reflect.Uintptr:
		default:
			return nil, fmt.Errorf("%s: map key type %s cannot be written as JSON", where, k)
		}
		v, err := b.schemaOf(t.Elem(), where+"{}")
		if err != nil {
			return nil, err
		}
		return &oaSchema{Type: "object", AdditionalProperties: v}, nil
	case reflect.Struct:
		if t.Name() == "" {
			return b.object(t, where)
		}
		return b.component(t, where)
	}
	return nil, fmt.Errorf("%s: type %s cannot be written as JSON", where, t)
}

// component registers a named struct under components/schemas once and
// refers to it; recursive types terminate because the name is taken first.
func (b *schemaBuilder) component(t reflect.Type, where string) (*oaSchema, error) {
	name, ok := b.names[t]
	if !ok {
		name = schemaName(t)
		for i := 2; b.owner[name] != nil; i++ {
			name = fmt.Sprintf("%s_%d", schemaName(t), i)
		}
		b.names[t] = name
		b.owner[name] = t
		s, err := b.object(t, t.String())
		if err != nil {
			delete(b.names, t)
			delete(b.owner, name)
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		b.schemas[name] = s
	}
	return &oaSchema{Ref: "#/components/schemas/" + name}, nil
}

var pkgPathPrefix = regexp.MustCompile(`(?:[A-Za-z0-9_.\-~]+/)+`)

// schemaName is the package-qualified type name made safe for a component
// key: web.apiLoginIn; a generic web.page[shegong/internal/org.Site]
// becomes web.page_org.Site.
func schemaName(t reflect.Type) string {
	name := path.Base(t.PkgPath()) + "." + pkgPathPrefix.ReplaceAllString(t.Name(), "")
	var b strings.Builder
	for _, r := range name {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := b.String()
	for strings.Contains(out, "__") {
		out = strings.ReplaceAll(out, "__", "_")
	}
	return strings.Trim(out, "_")
}

// object describes a struct's JSON fields.
func (b *schemaBuilder) object(t reflect.Type, where string) (*oaSchema, error) {
	s := &oaSchema{Type: "object"}
	for _, f := range jsonFields(t) {
		fs, err := b.schemaOf(f.typ, where+"."+f.name)
		if err != nil {
			return nil, err
		}
		if f.asString {
			fs = &oaSchema{Type: "string", Nullable: fs.Nullable, Description: fs.Description}
		}
		if f.doc != "" {
			fs = described(fs, f.doc)
		}
		s.Properties.set(f.name, fs)
		if !f.optional {
			s.Required = append(s.Required, f.name)
		}
	}
	return s, nil
}

// nullable marks s as allowing null; a reference is wrapped, since
// OpenAPI 3.0 ignores the siblings of $ref.
func nullable(s *oaSchema) *oaSchema {
	if s.Ref != "" {
		return &oaSchema{AllOf: []*oaSchema{s}, Nullable: true}
	}
	c := *s
	c.Nullable = true
	return &c
}

func described(s *oaSchema, desc string) *oaSchema {
	if s.Ref != "" {
		return &oaSchema{AllOf: []*oaSchema{s}, Description: desc}
	}
	c := *s
	if c.Description != "" {
		desc = desc + "（" + c.Description + "）"
	}
	c.Description = desc
	return &c
}

// jsonField is one key of a struct's JSON object.
type jsonField struct {
	name     string
	typ      reflect.Type
	tagged   bool
	depth    int
	optional bool // omitempty or omitzero: the key may be absent
	asString bool // the ",string" option on a scalar
	doc      string
}

// jsonFields lists the keys encoding/json writes for struct t, in its
// order: exported fields, json tags, "-" skipped, and fields of untagged
// embedded structs promoted unless a shallower or tagged field wins.
func jsonFields(t reflect.Type) []jsonField {
	var all []jsonField
	var walk func(t reflect.Type, depth int, path map[reflect.Type]bool)
	walk = func(t reflect.Type, depth int, path map[reflect.Type]bool) {
		if path[t] {
			return
		}
		path[t] = true
		defer delete(path, t)
		for i := range t.NumField() {
			sf := t.Field(i)
			ft := sf.Type
			if sf.Anonymous {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if !sf.IsExported() && ft.Kind() != reflect.Struct {
					continue
				}
			} else if !sf.IsExported() {
				continue
			}
			tag := sf.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if sf.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				walk(ft, depth+1, path)
				continue
			}
			f := jsonField{name: name, typ: sf.Type, tagged: name != "", depth: depth, doc: sf.Tag.Get("doc")}
			if name == "" {
				f.name = sf.Name
			}
			for _, o := range strings.Split(opts, ",") {
				switch o {
				case "omitempty", "omitzero":
					f.optional = true
				case "string":
					k := sf.Type
					if k.Kind() == reflect.Pointer {
						k = k.Elem()
					}
					switch k.Kind() {
					case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
						reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
						reflect.Float32, reflect.Float64, reflect.String:
						f.asString = true
					}
				}
			}
			all = append(all, f)
		}
	}
	walk(t, 0, map[reflect.Type]bool{})

	var out []jsonField
	for i, f := range all {
		var rivals []jsonField
		first := true
		for j, g := range all {
			if g.name == f.name {
				rivals = append(rivals, g)
				if j < i {
					first = false
				}
			}
		}
		if !first {
			continue
		}
		if w, ok := dominant(rivals); ok {
			out = append(out, w)
		}
	}
	return out
}

// dominant picks the field encoding/json keeps among those sharing a name:
// the shallowest, and among equally shallow ones the only tagged one.
func dominant(fs []jsonField) (jsonField, bool) {
	minDepth := fs[0].depth
	for _, f := range fs {
		minDepth = min(minDepth, f.depth)
	}
	var top, tagged []jsonField
	for _, f := range fs {
		if f.depth == minDepth {
			top = append(top, f)
			if f.tagged {
				tagged = append(tagged, f)
			}
		}
	}
	switch {
	case len(top) == 1:
		return top[0], true
	case len(tagged) == 1:
		return tagged[0], true
	}
	return jsonField{}, false
}

// encode writes the document as indented JSON.
func (d *oaDoc) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("web: OpenAPI: encode: %w", err)
	}
	return buf.Bytes(), nil
}
