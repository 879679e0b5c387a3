package app

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestParseFen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Fen
		ok   bool
	}{
		{"1234.56", 123456, true},
		{"1,234.5", 123450, true},
		{"¥12", 1200, true},
		{"￥0.07", 7, true},
		{"-3.10", -310, true},
		{"1868261.10", 186826110, true},
		{"", 0, false},
		{"1.234", 0, false},
		{"abc", 0, false},
		{"1.", 0, false},
		{".5", 0, false},
		{"12345678901234", 0, false},
		{"1e3", 0, false},
	} {
		got, err := ParseFen(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseFen(%q) = %d, %v", c.in, got, err)
		}
	}
}

func TestFenString(t *testing.T) {
	for _, c := range []struct {
		f    Fen
		want string
	}{
		{0, "¥0.00"}, {7, "¥0.07"}, {123456, "¥1,234.56"}, {-310, "¥-3.10"}, {186826110, "¥1,868,261.10"},
		{100000000, "¥1,000,000.00"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("%d: %q, want %q", c.f, got, c.want)
		}
	}
}

// FuzzParseFenDate: money and dates typed into forms and import cells.
// Whatever parses formats back to the same value (money also with thousands
// separators, dates in the canonical form); whatever is refused is EInvalid
// with a Chinese message.
func FuzzParseFenDate(f *testing.F) {
	for _, s := range []string{"1234.56", "1,234.5", "-0.01", "¥12", "", "9999999999999.99", "１２.５", "1e3", "0.001",
		"2026-03-01", "2026/3/1", "0000-01-01", "2026-02-29", "2028-02-29", " 2026.12.31 ", "x"} {
		f.Add(s)
	}
	refused := func(t *testing.T, what, s string, err error) {
		t.Helper()
		if ErrorCode(err) != EInvalid || !strings.ContainsFunc(ErrorMessage(err), func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Fatalf("%s(%q) refused without a Chinese EInvalid message: %v", what, s, err)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseFen(s); err != nil {
			refused(t, "ParseFen", s, err)
		} else {
			back, err := ParseFen(v.Plain(false))
			if err != nil || back != v {
				t.Fatalf("%q → %d → %q → %d (%v)", s, v, v.Plain(false), back, err)
			}
			if grouped, err := ParseFen(v.Plain(true)); err != nil || grouped != v {
				t.Fatalf("grouped %q → %d", v.Plain(true), grouped)
			}
		}
		if d, err := ParseDate(s); err != nil {
			refused(t, "ParseDate", s, err)
		} else if again, err := ParseDate(d.String()); err != nil || !again.Equal(d) || again.String() != d.String() {
			t.Fatalf("%q → %s → %v", s, d, err)
		}
	})
}

func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"2026-03-01", "2026-03-01"}, {"2026/3/1", "2026-03-01"}, {"2026.03.01", "2026-03-01"}, {" 2026-12-31 ", "2026-12-31"},
	} {
		d, err := ParseDate(c.in)
		if err != nil || d.String() != c.want {
			t.Errorf("ParseDate(%q) = %v, %v", c.in, d, err)
		}
	}
	for _, bad := range []string{"", "2026-02-30", "2026-13-01", "01/03/2026", "明天", "0001-01-01", "1899-12-31", "2200-01-01"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func TestDateMonthBounds(t *testing.T) {
	d := NewDate(2026, time.February, 14)
	if d.MonthStart().String() != "2026-02-01" || d.MonthEnd().String() != "2026-02-28" {
		t.Fatal(d.MonthStart(), d.MonthEnd())
	}
	if NewDate(2028, time.February, 3).MonthEnd().String() != "2028-02-29" {
		t.Fatal("leap year")
	}
	// Today is the date in China, not in UTC.
	if got := Today(time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)).String(); got != "2026-03-02" {
		t.Fatal(got)
	}
}

func TestListQuery(t *testing.T) {
	q := ParseListQuery(url.Values{"page": {"3"}, "size": {"1000"}, "sort": {"name"}, "dir": {"desc"}, "q": {strings.Repeat("长", 300)}})
	if q.Page != 3 || q.Size != 200 || !q.Desc || len([]rune(q.Q)) != 100 {
		t.Fatalf("%+v", q)
	}
	allowed := map[string]string{"name": "c.name", "date": "c.created_at"}
	if got := q.OrderBy(allowed, "date", "c.id"); got != " ORDER BY c.name DESC, c.id" {
		t.Fatal(got)
	}
	// A sort key outside the whitelist never reaches SQL.
	evil := ParseListQuery(url.Values{"sort": {"name; DROP TABLE clients"}})
	if got := evil.OrderBy(allowed, "date", "c.id"); strings.Contains(got, "DROP") {
		t.Fatal(got)
	}
	bad := ParseListQuery(url.Values{"page": {"-1"}, "size": {"x"}})
	if bad.Page != 1 || bad.Size != DefaultPageSize || bad.LimitOffset() != " LIMIT 20 OFFSET 0" {
		t.Fatalf("%+v", bad)
	}
}

func FuzzListQuery(f *testing.F) {
	f.Add("1", "20", "name", "desc", "张")
	f.Fuzz(func(t *testing.T, page, size, sort, dir, q string) {
		lq := ParseListQuery(url.Values{"page": {page}, "size": {size}, "sort": {sort}, "dir": {dir}, "q": {q}})
		if lq.Page < 1 || lq.Size < 1 || lq.Size > 200 {
			t.Fatalf("%+v", lq)
		}
		ob := lq.OrderBy(map[string]string{"name": "x.name"}, "name", "x.id")
		if ob != " ORDER BY x.name ASC, x.id" && ob != " ORDER BY x.name DESC, x.id" && ob != " ORDER BY x.name, x.id" {
			t.Fatalf("order by %q", ob)
		}
	})
}

func TestValidation(t *testing.T) {
	var v Validation
	v.Required("name", "  ", "名称")
	v.MaxLen("name", "x", "名称", 1)
	v.MaxLen("note", "一二三", "备注", 2)
	err := v.Err()
	if ErrorCode(err) != EInvalid || FieldErrors(err)["name"] != "名称不能为空" || FieldErrors(err)["note"] != "备注不能超过2个字" {
		t.Fatalf("%v %v", err, FieldErrors(err))
	}
}
