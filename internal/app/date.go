package app

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// Date is a calendar date without time zone (contract ends, birth dates,
// follow-up dates). It is stored as 'YYYY-MM-DD' text in SQLite and DATE in
// PostgreSQL, so both compare and sort it the same way.
type Date struct{ t time.Time }

// MinYear and MaxYear bound the dates ParseDate accepts.
const (
	MinYear = 1900
	MaxYear = 2199
)

// DateLayout is the display and storage format.
const DateLayout = "2006-01-02"

// NewDate builds a Date.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date { return NewDate(t.Date()) }

// ParseDate parses 2006-01-02 (also accepts 2006/01/02 and 2006.01.02).
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer("/", "-", ".", "-").Replace(s)
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		// Accept non-padded forms such as 2026-3-1.
		t, err = time.Parse("2006-1-2", s)
		if err != nil {
			return Date{}, Errorf(EInvalid, "日期格式应为 2026-03-01")
		}
	}
	// Year 1 would be the zero Date (read as "no date"); nothing this
	// organization records lies outside these years.
	if y := t.Year(); y < MinYear || y > MaxYear {
		return Date{}, Errorf(EInvalid, "日期超出范围：年份应在 %d 至 %d 之间", MinYear, MaxYear)
	}
	return Date{t}, nil
}

func (d Date) IsZero() bool    { return d.t.IsZero() }
func (d Date) Time() time.Time { return d.t }
func (d Date) String() string {
	if d.t.IsZero() {
		return ""
	}
	return d.t.Format(DateLayout)
}
func (d Date) AddDays(n int) Date   { return Date{d.t.AddDate(0, 0, n)} }
func (d Date) Before(o Date) bool   { return d.t.Before(o.t) }
func (d Date) After(o Date) bool    { return d.t.After(o.t) }
func (d Date) Equal(o Date) bool    { return d.t.Equal(o.t) }
func (d Date) Year() int            { return d.t.Year() }
func (d Date) Month() time.Month    { return d.t.Month() }
func (d Date) Day() int             { return d.t.Day() }
func (d Date) AddMonths(n int) Date { return Date{d.t.AddDate(0, n, 0)} }

// DaysUntil returns o - d in whole days.
func (d Date) DaysUntil(o Date) int { return int(o.t.Sub(d.t).Hours() / 24) }

// MonthStart returns the first day of d's month.
func (d Date) MonthStart() Date { return NewDate(d.t.Year(), d.t.Month(), 1) }

// MonthEnd returns the last day of d's month.
func (d Date) MonthEnd() Date { return d.MonthStart().AddMonths(1).AddDays(-1) }

// Value implements driver.Valuer; the zero Date is NULL.
func (d Date) Value() (driver.Value, error) {
	if d.t.IsZero() {
		return nil, nil
	}
	return d.t.Format(DateLayout), nil
}

// Scan implements sql.Scanner for text, bytes, time and NULL.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		*d = NewDate(v.Date())
	case string:
		return d.scanText(v)
	case []byte:
		return d.scanText(string(v))
	default:
		return fmt.Errorf("app.Date: cannot scan %T", src)
	}
	return nil
}

func (d *Date) scanText(s string) error {
	if s == "" {
		*d = Date{}
		return nil
	}
	if len(s) > 10 {
		s = s[:10]
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return fmt.Errorf("app.Date: %w", err)
	}
	d.t = t
	return nil
}

// MarshalText renders the date for JSON.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses JSON input.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
