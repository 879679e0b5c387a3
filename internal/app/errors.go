// Package app holds the small vocabulary every business area shares: coded
// errors with user-safe Chinese messages, field validation, calendar dates and
// money in fen.
package app

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Code classifies an error so that one place can map it to an HTTP status.
type Code string

const (
	EInvalid      Code = "invalid"      // bad input; Fields says where
	ENotFound     Code = "not_found"    // no such record in the caller's scope
	EForbidden    Code = "forbidden"    // the caller may not do this
	EConflict     Code = "conflict"     // duplicate or edited by someone else
	EUnauthorized Code = "unauthorized" // not signed in, or bad credentials
	ELocked       Code = "locked"       // account temporarily locked
	EInternal     Code = "internal"     // anything else; never shown in detail
)

// Error is an error a user may see. Message is in Chinese and safe to show.
type Error struct {
	Code    Code
	Message string
	// Fields maps a form field name to its message, for EInvalid.
	Fields map[string]string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error with a formatted Chinese message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is the usual "not found" answer for a record kind, e.g. "服务点".
func ErrNotFound(what string) *Error {
	return Errorf(ENotFound, "%s不存在或无权访问", what)
}

// ErrForbidden is the usual answer when a role lacks a permission.
func ErrForbidden() *Error { return Errorf(EForbidden, "您没有权限执行此操作") }

// ErrorCode returns the code of err, EInternal for errors that are not *Error.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the user-safe message of err; internal errors are not echoed.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "系统内部错误，请稍后再试"
}

// FieldErrors returns the per-field messages of an EInvalid error, or nil.
func FieldErrors(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation collects field errors; the first message per field wins.
type Validation struct {
	fields map[string]string
	order  []string
}

// Add records msg for field unless that field already has a message.
func (v *Validation) Add(field, msg string) {
	if v.fields == nil {
		v.fields = map[string]string{}
	}
	if _, ok := v.fields[field]; ok {
		return
	}
	v.fields[field] = msg
	v.order = append(v.order, field)
}

// Has reports whether field already has an error.
func (v *Validation) Has(field string) bool { _, ok := v.fields[field]; return ok }

// OK reports whether no error was recorded.
func (v *Validation) OK() bool { return len(v.fields) == 0 }

// Err returns nil when valid, otherwise an EInvalid *Error carrying all fields.
func (v *Validation) Err() error {
	if v.OK() {
		return nil
	}
	msg := "提交的内容有误，请检查标出的字段"
	if len(v.order) == 1 {
		msg = v.fields[v.order[0]]
	}
	return &Error{Code: EInvalid, Message: msg, Fields: maps.Clone(v.fields)}
}

// Fields returns the field names with errors in the order they were added.
func (v *Validation) FieldNames() []string { return slices.Clone(v.order) }
