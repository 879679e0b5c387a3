package app

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ListQuery is the paging and sorting part of every list request.
type ListQuery struct {
	Page int    // 1-based
	Size int    // rows per page; 0 means all (exports)
	Sort string // a key the list declares sortable
	Desc bool
	Q    string // free-text search
}

// MaxExportRows caps one export.
const MaxExportRows = 200000

// DefaultPageSize is the size of a page unless the user picks another.
const DefaultPageSize = 20

// ParseListQuery reads page, size, sort, dir and q from v, clamping bad values.
func ParseListQuery(v url.Values) ListQuery {
	q := ListQuery{Page: 1, Size: DefaultPageSize}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n > 0 && n < 1_000_000 {
		q.Page = n
	}
	if n, err := strconv.Atoi(v.Get("size")); err == nil && n > 0 {
		q.Size = min(n, 200)
	}
	q.Sort = strings.TrimSpace(v.Get("sort"))
	q.Desc = v.Get("dir") == "desc"
	q.Q = strings.TrimSpace(v.Get("q"))
	if len([]rune(q.Q)) > 100 {
		q.Q = string([]rune(q.Q)[:100])
	}
	return q
}

// LimitOffset returns the SQL LIMIT/OFFSET clause for the query.
func (q ListQuery) LimitOffset() string {
	if q.Size <= 0 {
		return " LIMIT " + strconv.Itoa(MaxExportRows)
	}
	return " LIMIT " + strconv.Itoa(q.Size) + " OFFSET " + strconv.Itoa((max(q.Page, 1)-1)*q.Size)
}

// OrderBy returns an ORDER BY clause using only whitelisted sort keys;
// allowed maps a key to its SQL expression. tie is appended for a stable order.
func (q ListQuery) OrderBy(allowed map[string]string, def, tie string) string {
	expr, ok := allowed[q.Sort]
	if !ok {
		expr = allowed[def]
		if expr == "" {
			expr = def
		}
		if q.Sort != "" {
			// An unknown key sorts by the default, ascending.
			return " ORDER BY " + expr + ", " + tie
		}
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	return " ORDER BY " + expr + dir + ", " + tie
}

// Args collects bind values and hands out $n placeholders.
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Local is the time zone the agencies work in.
var Local = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// Today returns the calendar date of now in the agencies' time zone.
func Today(now time.Time) Date { return DateOf(now.In(Local)) }

// Rows is how a list service hands out a list without holding it in
// memory: it counts the rows first and passes the count to start (unless
// start is nil: an export counts what it writes and skips that query),
// then reads them from the database cursor and passes each to yield, in
// list order. An error from start or yield stops the read and is returned.
// Lists and their exports call the same function, so an export holds
// exactly the rows of the list, with the same filters, scope and masking.
type Rows[T any] func(start func(total int) error, yield func(T) error) error

// Collect reads a whole list into a slice (empty, not nil, when there are
// no rows), for pages of a few rows.
func Collect[T any](rows Rows[T]) ([]T, int, error) {
	out := []T{}
	var total int
	err := rows(func(n int) error { total = n; return nil }, func(v T) error { out = append(out, v); return nil })
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// SliceRows hands out rows already in memory.
func SliceRows[T any](rows []T) Rows[T] {
	return func(start func(int) error, yield func(T) error) error {
		if start != nil {
			if err := start(len(rows)); err != nil {
				return err
			}
		}
		for _, r := range rows {
			if err := yield(r); err != nil {
				return err
			}
		}
		return nil
	}
}
