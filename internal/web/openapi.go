package web

// APIDoc describes a JSON API route for the OpenAPI document, which is
// built from the declared routes at start (openapi_gen.go).
//
// Request and Response are values of the Go types the handler decodes and
// encodes; their JSON shape is read by reflection (json tags, omitempty).
// A struct field may carry a `doc:"中文说明"` tag, shown as its description.
type APIDoc struct {
	Tag      string // group, in Chinese
	Request  any    // a value of the request body type, or nil
	Response any    // a value of the response body type, or nil (204)
	Query    []Param
	// Path documents path parameters whose default is wrong: by default
	// {id} and names ending in "id" are integers, {tid} and others strings.
	Path []Param
	// Status is the success status; 0 means 200 with a Response, 204 without.
	Status int
	// Desc is an optional longer Chinese description of the operation.
	Desc string
}

// Param is a documented query or path parameter.
type Param struct {
	Name     string
	Desc     string
	Type     string // string, integer, number, boolean, date; empty means string
	Required bool   // query parameters only; path parameters always are
}
