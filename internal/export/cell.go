package export

import (
	"fmt"
	"time"
)

// deref replaces a pointer to a supported cell type by the value it points
// to, or by nil for a nil pointer. ok is false when v is not such a pointer.
func deref(v any) (out any, ok bool) {
	switch p := v.(type) {
	case *string:
		return ptrValue(p), true
	case *int:
		return ptrValue(p), true
	case *int8:
		return ptrValue(p), true
	case *int16:
		return ptrValue(p), true
	case *int32:
		return ptrValue(p), true
	case *int64:
		return ptrValue(p), true
	case *uint:
		return ptrValue(p), true
	case *uint8:
		return ptrValue(p), true
	case *uint16:
		return ptrValue(p), true
	case *uint32:
		return ptrValue(p), true
	case *uint64:
		return ptrValue(p), true
	case *float32:
		return ptrValue(p), true
	case *float64:
		return ptrValue(p), true
	case *bool:
		return ptrValue(p), true
	case *time.Time:
		return ptrValue(p), true
	case *Money:
		return ptrValue(p), true
	}
	return v, false
}

func ptrValue[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// indirect resolves the types that the writers do not handle directly:
// pointers and fmt.Stringer values. ok is false for an unsupported type.
func indirect(v any) (out any, ok bool) {
	if d, isPtr := deref(v); isPtr {
		return d, true
	}
	if s, isStringer := v.(fmt.Stringer); isStringer {
		return s.String(), true
	}
	return nil, false
}

// hasClock reports whether t has a time of day other than midnight.
func hasClock(t time.Time) bool {
	h, m, s := t.Clock()
	return h != 0 || m != 0 || s != 0 || t.Nanosecond() != 0
}

// Layouts used for times in CSV files; they match the XLSX number formats.
const (
	dateLayout     = "2006-01-02"
	dateTimeLayout = "2006-01-02 15:04"
)
