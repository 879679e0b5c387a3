package stats

import (
	"strings"
	"testing"

	"shegong/internal/app"
)

func day(s string) app.Date {
	d, err := app.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestParsePeriod(t *testing.T) {
	cases := []struct {
		in, kind, code, label, from, to string
	}{
		{"2026-03", "month", "2026-03", "2026年3月", "2026-03-01", "2026-03-31"},
		{"2026-3", "month", "2026-03", "2026年3月", "2026-03-01", "2026-03-31"},
		{"2024/02", "month", "2024-02", "2024年2月", "2024-02-01", "2024-02-29"},
		{" 2026年12月 ", "month", "2026-12", "2026年12月", "2026-12-01", "2026-12-31"},
		{"２０２６－０３", "month", "2026-03", "2026年3月", "2026-03-01", "2026-03-31"},
		{"2026Q1", "quarter", "2026Q1", "2026年第一季度", "2026-01-01", "2026-03-31"},
		{"2026q4", "quarter", "2026Q4", "2026年第四季度", "2026-10-01", "2026-12-31"},
		{"2026-Q2", "quarter", "2026Q2", "2026年第二季度", "2026-04-01", "2026-06-30"},
		{"2026年第三季度", "quarter", "2026Q3", "2026年第三季度", "2026-07-01", "2026-09-30"},
		{"2026年第3季度", "quarter", "2026Q3", "2026年第三季度", "2026-07-01", "2026-09-30"},
		{"2026H1", "half", "2026H1", "2026年上半年", "2026-01-01", "2026-06-30"},
		{"2026h2", "half", "2026H2", "2026年下半年", "2026-07-01", "2026-12-31"},
		{"2026年下半年", "half", "2026H2", "2026年下半年", "2026-07-01", "2026-12-31"},
		{"2026", "year", "2026", "2026年", "2026-01-01", "2026-12-31"},
		{"2017年", "year", "2017", "2017年", "2017-01-01", "2017-12-31"},
		{"2026-01-05~2026-02-20", "custom", "2026-01-05~2026-02-20", "2026-01-05 至 2026-02-20", "2026-01-05", "2026-02-20"},
		{"2026-1-5 至 2026/2/20", "custom", "2026-01-05~2026-02-20", "2026-01-05 至 2026-02-20", "2026-01-05", "2026-02-20"},
		{"2026-03-01～2026-03-01", "custom", "2026-03-01~2026-03-01", "2026-03-01 至 2026-03-01", "2026-03-01", "2026-03-01"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, err := ParsePeriod(c.in)
			if err != nil {
				t.Fatalf("ParsePeriod(%q): %v", c.in, err)
			}
			if string(p.Kind) != c.kind || p.Code != c.code || p.Label != c.label || p.From.String() != c.from || p.To.String() != c.to {
				t.Fatalf("ParsePeriod(%q) = %+v", c.in, p)
			}
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	cases := []struct{ in, field, msg string }{
		{"", "period", "请填写统计期间"},
		{"三月", "period", "期间格式不正确"},
		{"2026-13", "period", "月份应在 1 至 12 之间"},
		{"2026-00", "period", "月份应在 1 至 12 之间"},
		{"2026Q5", "period", "季度应为 Q1 至 Q4"},
		{"2026H3", "period", "半年应为 H1（上半年）或 H2（下半年）"},
		{"1999", "period", "年份应在 2000 至 2100 之间"},
		{"2101-01", "period", "年份应在 2000 至 2100 之间"},
		{"2026-03-05~2026-03-01", "to", "结束日期不能早于开始日期"},
		{"2010-01-01~2026-01-01", "to", "自定义期间不能超过 10 年"},
		{"2026-02-30~2026-03-01", "from", "开始日期格式应为"},
		{"2026-03-01~", "to", "结束日期格式应为"},
		{"1990-01-01~2026-01-01", "from", "年份应在 2000 至 2100 之间"},
		{strings.Repeat("2026", 20), "period", "期间格式不正确"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			_, err := ParsePeriod(c.in)
			if app.ErrorCode(err) != app.EInvalid || !strings.Contains(app.FieldErrors(err)[c.field], c.msg) {
				t.Fatalf("ParsePeriod(%q) = %v (%v), want %q on %s", c.in, err, app.FieldErrors(err), c.msg, c.field)
			}
		})
	}
}

func TestPeriodOf(t *testing.T) {
	today := day("2026-05-14")
	cases := []struct {
		kind, value, from, to string
		code                  string // "" when an error is wanted
		field                 string
	}{
		{"", "", "", "", "2026", ""},
		{"month", "", "", "", "2026-05", ""},
		{"quarter", "", "", "", "2026Q2", ""},
		{"half", "", "", "", "2026H1", ""},
		{"year", "", "", "", "2026", ""},
		{"custom", "", "", "", "", "from"},
		{"custom", "", "2026-01-01", "", "", "to"},
		{"custom", "", "2026-01-01", "2026-02-15", "2026-01-01~2026-02-15", ""},
		{"", "", "2026-01-01", "2026-02-15", "2026-01-01~2026-02-15", ""},
		{"custom", "2026-01-01~2026-02-15", "", "", "2026-01-01~2026-02-15", ""},
		{"custom", "2026Q1", "", "", "2026-01-01~2026-03-31", ""},
		{"custom", "", "昨天", "2026-02-15", "", "from"},
		{"quarter", "2026Q3", "", "", "2026Q3", ""},
		{"quarter", "2026-05", "", "", "2026Q2", ""},
		{"year", "2026Q3", "", "", "2026", ""},
		{"half", "2026-08", "", "", "2026H2", ""},
		{"month", "2026-01-05~2026-02-20", "", "", "2026-01", ""},
		{"month", "2026年13月", "", "", "", "period"},
		{"", "2026H2", "", "", "2026H2", ""},
		{"week", "", "", "", "", "kind"},
	}
	for _, c := range cases {
		p, err := PeriodOf(c.kind, c.value, c.from, c.to, today)
		if c.code != "" {
			if err != nil || p.Code != c.code {
				t.Errorf("PeriodOf(%q, %q, %q, %q) = %q, %v; want %q", c.kind, c.value, c.from, c.to, p.Code, err, c.code)
			}
			continue
		}
		if app.FieldErrors(err)[c.field] == "" {
			t.Errorf("PeriodOf(%q, %q, %q, %q) = %q, %v; want an error on %s", c.kind, c.value, c.from, c.to, p.Code, err, c.field)
		}
	}
	if p := CurrentPeriod(KindCustom, today); p.Code != "2026-01-01~2026-05-14" {
		t.Errorf("current custom period = %q", p.Code)
	}
	if p := CurrentPeriod(KindQuarter, day("2026-12-31")); p.Code != "2026Q4" {
		t.Errorf("current quarter at year end = %q", p.Code)
	}
}

func TestBuckets(t *testing.T) {
	codes := func(p Period) string {
		var out []string
		for _, b := range p.Buckets() {
			out = append(out, b.Code+"="+b.Label)
		}
		return strings.Join(out, " ")
	}
	q, _ := ParsePeriod("2026Q1")
	if got := codes(q); got != "2026-01=2026年1月 2026-02=2026年2月 2026-03=2026年3月" {
		t.Errorf("quarter buckets: %s", got)
	}
	c, _ := ParsePeriod("2026-01-15~2026-03-10")
	if got := codes(c); got != "2026-01-15~2026-01-31=2026年1月 2026-02=2026年2月 2026-03-01~2026-03-10=2026年3月" {
		t.Errorf("custom buckets: %s", got)
	}
	long, _ := ParsePeriod("2020-07-01~2023-06-30")
	if got := codes(long); got != "2020-07-01~2020-12-31=2020年 2021=2021年 2022=2022年 2023-01-01~2023-06-30=2023年" {
		t.Errorf("long buckets: %s", got)
	}
	y, _ := ParsePeriod("2026")
	if n := len(y.Buckets()); n != 12 {
		t.Errorf("a year has %d buckets", n)
	}
}

// FuzzParsePeriod: whatever is typed, parsing never panics; a period it
// accepts is a valid range inside the supported years whose code reads back
// as the same period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-03", "2026Q1", "2026H1", "2026", "2026-01-05~2026-02-20", "2026年第一季度", "2026年上半年",
		"２０２６Ｑ１", "2026-02-30", "~", "至", "9999-99", "2026-1-1至2026-1-1", "2026年13月"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			if app.ErrorCode(err) != app.EInvalid || app.ErrorMessage(err) == "" {
				t.Fatalf("ParsePeriod(%q): error without a message: %v", s, err)
			}
			return
		}
		if p.To.Before(p.From) || p.From.Year() < minYear || p.To.Year() > maxYear || p.Label == "" {
			t.Fatalf("ParsePeriod(%q) = %+v", s, p)
		}
		back, err := ParsePeriod(p.Code)
		if err != nil || back != p {
			t.Fatalf("ParsePeriod(%q) = %+v, its code reads back as %+v (%v)", s, p, back, err)
		}
		for _, b := range p.Buckets() {
			if b.From.Before(p.From) || b.To.After(p.To) || b.To.Before(b.From) {
				t.Fatalf("bucket %+v outside %+v", b, p)
			}
		}
	})
}
