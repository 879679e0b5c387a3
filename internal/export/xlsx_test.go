package export

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

var shanghai = time.FixedZone("CST", 8*3600)

func sampleColumns() []Column {
	return []Column{
		{Header: "姓名", Width: 12},
		{Header: "年龄"},
		{Header: "服务时长"},
		{Header: "出生日期", Width: 14},
		{Header: "登记时间", Width: 18},
		{Header: "补贴金额", Width: 14},
		{Header: "已结案"},
		{Header: "备注", Width: 30},
	}
}

func sampleRows() [][]any {
	note := "需要上门服务"
	var nilNote *string
	return [][]any{
		{"张三", 34, 2.5, time.Date(1990, 3, 7, 0, 0, 0, 0, shanghai), time.Date(2024, 5, 1, 14, 30, 0, 0, shanghai), Money(123456), true, "=SUM(A1)"},
		{"李四（外来务工）", int64(-3), -0.25, time.Time{}, time.Date(2024, 12, 31, 23, 59, 0, 0, shanghai), Money(-5), false, "-1"},
		{"王五", nil, 0.0, &time.Time{}, nil, Money(0), nil, &note},
		{"  前后空格  ", uint8(7), float32(0.1), nil, nil, Money(100000000), nil, nilNote},
		{"@王五"},
	}
}

func TestWriteXLSXRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "服务对象", sampleColumns(), Slice(sampleRows(), func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	got, err := ReadXLSX(bytes.NewReader(buf.Bytes()), "服务对象", ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "年龄", "服务时长", "出生日期", "登记时间", "补贴金额", "已结案", "备注"},
		{"张三", "34", "2.5", "1990-03-07", "2024-05-01 14:30", "1,234.56", "TRUE", "'=SUM(A1)"},
		{"李四（外来务工）", "-3", "-0.25", "", "2024-12-31 23:59", "-0.05", "FALSE", "'-1"},
		{"王五", "", "0", "", "", "0.00", "", "需要上门服务"},
		{"前后空格", "7", "0.1", "", "", "1,000,000.00"},
		{"'@王五"},
	}
	assertRows(t, got, want)
}

func assertRows(t *testing.T, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\n%q", len(got), len(want), got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
}

func TestWriteXLSXLayout(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]any{{"张三", 1, 2, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), Money(1)}}
	if err := WriteXLSX(&buf, "", sampleColumns(), Slice(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != "Sheet1" {
		t.Fatalf("sheets = %q", got)
	}

	panes, err := f.GetPanes("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 || panes.TopLeftCell != "A2" {
		t.Errorf("panes = %+v, want the first row frozen", panes)
	}

	for col, want := range map[string]float64{"A": 12, "B": headerWidth("年龄"), "H": 30} {
		if got, err := f.GetColWidth("Sheet1", col); err != nil || got != want {
			t.Errorf("width of column %s = %v (%v), want %v", col, got, err, want)
		}
	}

	styleOf := func(cell string) *excelize.Style {
		t.Helper()
		id, err := f.GetCellStyle("Sheet1", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	hs := styleOf("A1")
	if hs.Font == nil || !hs.Font.Bold {
		t.Errorf("header font = %+v, want bold", hs.Font)
	}
	if hs.Fill.Pattern != 1 || len(hs.Fill.Color) == 0 || !strings.EqualFold(hs.Fill.Color[0], headerFill) {
		t.Errorf("header fill = %+v, want solid %s", hs.Fill, headerFill)
	}
	for cell, want := range map[string]string{"D2": formatDate, "E2": formatDateTime, "F2": formatMoney} {
		if st := styleOf(cell); st.CustomNumFmt == nil || *st.CustomNumFmt != want {
			t.Errorf("number format of %s = %v, want %q", cell, st.CustomNumFmt, want)
		}
	}

	// Money is a real number, not text.
	if typ, err := f.GetCellType("Sheet1", "F2"); err != nil || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("type of F2 = %v (%v), want a number", typ, err)
	}
	raw, err := f.GetCellValue("Sheet1", "F2", excelize.Options{RawCellValue: true})
	if err != nil || raw != "0.01" {
		t.Errorf("raw F2 = %q (%v), want 0.01", raw, err)
	}
}

func TestWriteXLSXErrors(t *testing.T) {
	cols := []Column{{Header: "A"}, {Header: "B"}}

	var buf bytes.Buffer
	boom := errors.New("query failed")
	err := WriteXLSX(&buf, "", cols, func(yield func([]any) error) error {
		if err := yield([]any{"x", 1}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("source error: got %v, want %v", err, boom)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written despite the source error", buf.Len())
	}

	err = WriteXLSX(io.Discard, "", cols, Slice([][]any{{1, 2, 3}}, func(r []any) []any { return r }))
	if err == nil || !strings.Contains(err.Error(), "3 cells for 2 columns") {
		t.Errorf("too many cells: got %v", err)
	}

	err = WriteXLSX(io.Discard, "", cols, Slice([][]any{{struct{}{}}}, func(r []any) []any { return r }))
	if err == nil || !strings.Contains(err.Error(), "unsupported cell type struct {}") {
		t.Errorf("unsupported type: got %v", err)
	}

	// A source that ignores the error from yield still fails the export.
	calls := 0
	err = WriteXLSX(io.Discard, "", cols, func(yield func([]any) error) error {
		for range 3 {
			calls++
			_ = yield([]any{make(chan int)})
		}
		return nil
	})
	if err == nil || calls != 3 {
		t.Errorf("swallowed error: got %v after %d calls", err, calls)
	}

	if err := WriteXLSX(io.Discard, "", nil, nil); err == nil {
		t.Error("no columns: want an error")
	}
}

func TestWriteXLSXNoRows(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "空表", []Column{{Header: "姓名"}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := ReadXLSX(&buf, "", ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, got, [][]string{{"姓名"}})
}

type status int

func (s status) String() string { return [...]string{"待处理", "已完成"}[s] }

func TestWriteXLSXStringer(t *testing.T) {
	var buf bytes.Buffer
	rows := [][]any{{status(1)}, {status(0)}}
	if err := WriteXLSX(&buf, "", []Column{{Header: "状态"}}, Slice(rows, func(r []any) []any { return r })); err != nil {
		t.Fatal(err)
	}
	got, err := ReadXLSX(&buf, "", ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, got, [][]string{{"状态"}, {"已完成"}, {"待处理"}})
}

func BenchmarkWriteXLSX100k(b *testing.B) {
	const n = 100_000
	cols := []Column{
		{Header: "编号"}, {Header: "姓名"}, {Header: "性别"}, {Header: "年龄"},
		{Header: "所属社区"}, {Header: "登记日期"}, {Header: "补贴金额"}, {Header: "备注"},
	}
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, shanghai)
	src := func(yield func([]any) error) error {
		row := make([]any, len(cols))
		for i := range n {
			row[0] = int64(i + 1)
			row[1] = "张小明"
			row[2] = "男"
			row[3] = 20 + i%60
			row[4] = "幸福里社区居委会"
			row[5] = day.AddDate(0, 0, i%365)
			row[6] = Money(i * 37)
			row[7] = "定期回访，情况稳定"
			if err := yield(row); err != nil {
				return err
			}
		}
		return nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteXLSX(io.Discard, "服务对象", cols, src); err != nil {
			b.Fatal(err)
		}
	}
}
