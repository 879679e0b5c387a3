package export

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestEscapeCell(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"=SUM(A1)", "'=SUM(A1)"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@x", "'@x"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"=HYPERLINK(\"http://example.invalid\",\"点击\")", "'=HYPERLINK(\"http://example.invalid\",\"点击\")"},
		{"张三", "张三"},
		{"normal text", "normal text"},
		{"1+1=2", "1+1=2"},
		{" =1", " =1"},
		{"'=1", "'=1"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EscapeCell(tt.in); got != tt.want {
			t.Errorf("EscapeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzEscapeCell(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+1", "-1", "@SUM(A1)", "\t=x", "\r=x", "'=x", "正常文本", "a=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeCell(s)
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("EscapeCell(%q) = %q starts with a formula character", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("EscapeCell(%q) = %q, want the input or the input after a quote", s, got)
		}
		if again := EscapeCell(got); again != got {
			t.Fatalf("EscapeCell is not idempotent: %q then %q", got, again)
		}
	})
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		in   Money
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{-5, "-0.05"},
		{100, "1.00"},
		{123456, "1234.56"},
		{-123450, "-1234.50"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Money(%d).String() = %q, want %q", int64(tt.in), got, tt.want)
		}
	}
}

func TestMoneyYuanMatchesDecimal(t *testing.T) {
	for _, fen := range []int64{0, 1, 7, 10, 99, 101, 12345, -12345, 1999999, 123456789012, -987654321098, 1<<53 - 1, 1 << 53, 1<<60 + 3} {
		m := Money(fen)
		if got, want := m.yuan(), parseFloat(t, m.String()); got != want {
			t.Errorf("Money(%d).yuan() = %v, want %v", fen, got, want)
		}
	}
}

func TestContentDisposition(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"同工名单.xlsx", `attachment; filename="export.xlsx"; filename*=UTF-8''%E5%90%8C%E5%B7%A5%E5%90%8D%E5%8D%95.xlsx`},
		{"report 2024.csv", `attachment; filename="report 2024.csv"; filename*=UTF-8''report%202024.csv`},
		{`a"b\c.xlsx`, `attachment; filename="c.xlsx"; filename*=UTF-8''c.xlsx`},
		{"x\r\nSet-Cookie: a=b.xlsx", `attachment; filename="xSet-Cookie: a=b.xlsx"; filename*=UTF-8''xSet-Cookie%3A%20a%3Db.xlsx`},
		{"../../etc/服务.xlsx", `attachment; filename="export.xlsx"; filename*=UTF-8''%E6%9C%8D%E5%8A%A1.xlsx`},
		{"名单", `attachment; filename="export"; filename*=UTF-8''%E5%90%8D%E5%8D%95`},
		{"", `attachment; filename="export"; filename*=UTF-8''export`},
		{`say"hi".csv`, `attachment; filename="say_hi_.csv"; filename*=UTF-8''say%22hi%22.csv`},
	}
	for _, tt := range tests {
		if got := ContentDisposition(tt.in); got != tt.want {
			t.Errorf("ContentDisposition(%q)\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

func TestSheetName(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", "Sheet1"},
		{"服务对象", "服务对象"},
		{"a/b:c?d*e[f]g\\h", "a_b_c_d_e_f_g_h"},
		{"'quoted'", "quoted"},
		{strings.Repeat("长", 40), strings.Repeat("长", 31)},
		{strings.Repeat("😀", 20), strings.Repeat("😀", 15)},
		{"history", "history_"},
	}
	for _, tt := range tests {
		if got := sheetName(tt.in); got != tt.want {
			t.Errorf("sheetName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSlice(t *testing.T) {
	type person struct {
		name string
		age  int
	}
	src := Slice([]person{{"张三", 30}, {"李四", 41}}, func(p person) []any { return []any{p.name, p.age} })
	var got [][]any
	if err := src(func(row []any) error { got = append(got, row); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1][0] != "李四" || got[1][1] != 41 {
		t.Fatalf("rows = %v", got)
	}
	stop := errors.New("stop")
	n := 0
	if err := src(func([]any) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("after a yield error: err = %v, calls = %d", err, n)
	}
}
