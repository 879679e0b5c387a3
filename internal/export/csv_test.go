package export

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
)

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCSV(&buf, sampleColumns(), Slice(sampleRows(), func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "\xef\xbb\xbf姓名,") {
		t.Fatalf("output does not start with a BOM and the header: %q", out[:min(len(out), 20)])
	}
	if !strings.Contains(out, "\r\n") {
		t.Error("lines do not end with CRLF")
	}
	got, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, utf8BOM))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "年龄", "服务时长", "出生日期", "登记时间", "补贴金额", "已结案", "备注"},
		{"张三", "34", "2.5", "1990-03-07", "2024-05-01 14:30", "1234.56", "TRUE", "'=SUM(A1)"},
		{"李四（外来务工）", "-3", "-0.25", "", "2024-12-31 23:59", "-0.05", "FALSE", "'-1"},
		{"王五", "", "0", "", "", "0.00", "", "需要上门服务"},
		{"  前后空格  ", "7", "0.1", "", "", "1000000.00", "", ""},
		{"'@王五", "", "", "", "", "", "", ""},
	}
	assertRows(t, got, want)
}

func TestWriteCSVEscapesHeaderAndQuotes(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]any{{"a,b", "say \"hi\"", "\r=1+1", "+86 138"}}
	cols := []Column{{Header: "=危险"}, {Header: "b"}, {Header: "c"}, {Header: "d"}}
	if err := WriteCSV(&buf, cols, Slice(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	// encoding/csv drops a lone carriage return when UseCRLF is set; what
	// is left must still be escaped.
	want := utf8BOM + "'=危险,b,c,d\r\n\"a,b\",\"say \"\"hi\"\"\",\"'=1+1\",'+86 138\r\n"
	if got := buf.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestWriteCSVErrors(t *testing.T) {
	cols := []Column{{Header: "A"}}
	boom := errors.New("boom")
	if err := WriteCSV(&bytes.Buffer{}, cols, func(func([]any) error) error { return boom }); err != boom {
		t.Errorf("source error: got %v", err)
	}
	err := WriteCSV(&bytes.Buffer{}, cols, Slice([][]any{{[]int{1}}}, func(r []any) []any { return r }))
	if err == nil || !strings.Contains(err.Error(), "unsupported cell type []int") {
		t.Errorf("unsupported type: got %v", err)
	}
	if err := WriteCSV(&bytes.Buffer{}, nil, nil); err == nil {
		t.Error("no columns: want an error")
	}
}
