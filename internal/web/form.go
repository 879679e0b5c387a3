package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"shegong/internal/app"
)

// Form is the one form pattern: what the user typed, and the errors beside
// each field plus a summary on top. A form re-rendered after an error keeps
// every value the user entered.
type Form struct {
	Values  url.Values
	Errors  map[string]string
	Message string
}

// newForm starts a form from the request's posted values.
func newForm(r *http.Request) *Form {
	if err := r.ParseForm(); err != nil {
		return &Form{Values: url.Values{}, Message: "表单内容无法解析"}
	}
	return &Form{Values: r.PostForm}
}

// formOf starts a form pre-filled with values (for edit pages).
func formOf(values map[string]string) *Form {
	v := url.Values{}
	for k, s := range values {
		v.Set(k, s)
	}
	return &Form{Values: v}
}

// Get returns the trimmed value of a field.
func (f *Form) Get(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// All returns every value of a multi-valued field.
func (f *Form) All(name string) []string { return f.Values[name] }

// Int64 parses a field as an id; 0 when blank or bad.
func (f *Form) Int64(name string) int64 {
	n, _ := strconv.ParseInt(f.Get(name), 10, 64)
	return n
}

// Int64s parses a multi-valued field as ids.
func (f *Form) Int64s(name string) []int64 {
	var out []int64
	for _, s := range f.Values[name] {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// Date parses a date field, recording a field error when it is malformed.
func (f *Form) Date(name string, v *app.Validation) app.Date {
	s := f.Get(name)
	if s == "" {
		return app.Date{}
	}
	d, err := app.ParseDate(s)
	if err != nil {
		v.Add(name, app.ErrorMessage(err))
	}
	return d
}

// Fen parses a money field, recording a field error when it is malformed.
func (f *Form) Fen(name string, v *app.Validation) app.Fen {
	s := f.Get(name)
	if s == "" {
		return 0
	}
	n, err := app.ParseFen(s)
	if err != nil {
		v.Add(name, app.ErrorMessage(err))
	}
	return n
}

// Checked reports whether a checkbox was ticked.
func (f *Form) Checked(name string) bool {
	s := f.Get(name)
	return s == "on" || s == "1" || s == "true"
}

// SetError takes the messages of err into the form. It reports false for
// errors that are not about the input (the caller then fails the request).
func (f *Form) SetError(err error) bool {
	var e *app.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case app.EInvalid, app.EConflict:
	default:
		return false
	}
	f.Message = e.Message
	if len(e.Fields) > 0 {
		f.Errors = e.Fields
		if len(e.Fields) > 1 {
			f.Message = "提交的内容有 " + strconv.Itoa(len(e.Fields)) + " 处需要修改，请查看标红的字段"
		}
	}
	return true
}

// Option is a choice in a select or radio group.
type Option struct {
	Value string
	Label string
}

// Field is what the field partials render.
type Field struct {
	Name         string
	Label        string
	Type         string // text, date, number, password, textarea, select, checkbox, multiselect, email, tel, month
	Value        string
	Values       []string
	Error        string
	Required     bool
	Help         string
	Placeholder  string
	Options      []Option
	Max          int // maxlength
	Autofocus    bool
	Autocomplete string
}

// newField builds a Field from the form: field form name label [opts…]
// where opts are "required", "type=date", "help=…", "placeholder=…",
// "max=50", "autofocus", "autocomplete=…", or a []Option for choices.
func newField(f *Form, name, label string, opts ...any) Field {
	fd := Field{Name: name, Label: label, Type: "text"}
	if f != nil {
		fd.Value = f.Values.Get(name)
		fd.Values = f.Values[name]
		fd.Error = f.Errors[name]
	}
	for _, o := range opts {
		switch v := o.(type) {
		case []Option:
			fd.Options = v
			if fd.Type == "text" {
				fd.Type = "select"
			}
		case string:
			k, val, _ := strings.Cut(v, "=")
			switch k {
			case "required":
				fd.Required = true
			case "autofocus":
				fd.Autofocus = true
			case "type":
				fd.Type = val
			case "help":
				fd.Help = val
			case "placeholder":
				fd.Placeholder = val
			case "autocomplete":
				fd.Autocomplete = val
			case "max":
				fd.Max, _ = strconv.Atoi(val)
			}
		}
	}
	return fd
}

// Selected reports whether v is among the field's values.
func (fd Field) Selected(v string) bool {
	for _, x := range fd.Values {
		if x == v {
			return true
		}
	}
	return fd.Value == v
}

// withParseErrors lays the form's own parse errors (a malformed date) over
// the service's answer, so that every field error shows at once.
func withParseErrors(parse *app.Validation, err error) error {
	if parse.OK() {
		return err
	}
	if err != nil && app.ErrorCode(err) != app.EInvalid {
		return err
	}
	var v app.Validation
	own := app.FieldErrors(parse.Err())
	for _, name := range parse.FieldNames() {
		v.Add(name, own[name])
	}
	for name, msg := range app.FieldErrors(err) {
		v.Add(name, msg)
	}
	return v.Err()
}

// formStatus is the status of a form shown again after err: 409 for a
// conflict (edited by someone else, duplicate), 422 for bad input.
func formStatus(err error) int {
	if app.ErrorCode(err) == app.EConflict {
		return http.StatusConflict
	}
	return http.StatusUnprocessableEntity
}

// genderOptions are the choices of a gender field.
var genderOptions = []Option{{"男", "男"}, {"女", "女"}}
