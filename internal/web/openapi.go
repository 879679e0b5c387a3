package web

// APIDoc describes a JSON API route for the OpenAPI document.
type APIDoc struct {
	Tag      string // group, in Chinese
	Request  any    // a value of the request body type, or nil
	Response any    // a value of the response body type, or nil (204)
	Query    []Param
}

// Param is a documented query parameter.
type Param struct {
	Name string
	Desc string
	Type string // string, integer, boolean
}
