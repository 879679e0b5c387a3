package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// workbook builds an .xlsx file the way a user's spreadsheet program would,
// cell by cell.
func workbook(t *testing.T, build func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	build(f)
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func set(t *testing.T, f *excelize.File, sheet, cell string, v any) {
	t.Helper()
	if err := f.SetCellValue(sheet, cell, v); err != nil {
		t.Fatal(err)
	}
}

func TestReadXLSXUserFile(t *testing.T) {
	data := workbook(t, func(f *excelize.File) {
		set(t, f, "Sheet1", "A1", "说明")
		if _, err := f.NewSheet("名单"); err != nil {
			t.Fatal(err)
		}
		set(t, f, "名单", "A1", " 姓名 ")
		set(t, f, "名单", "B1", "出生日期")
		set(t, f, "名单", "C1", "电话")
		set(t, f, "名单", "A2", "\u3000张三\u200b")
		// A date typed into Excel: a serial number with the built-in
		// short date format.
		set(t, f, "名单", "B2", 32939)
		style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle("名单", "B2", "B2", style); err != nil {
			t.Fatal(err)
		}
		set(t, f, "名单", "C2", "13800138000")
		// Row 3 left empty, row 4 has a gap and trailing blanks.
		set(t, f, "名单", "A4", "李四")
		set(t, f, "名单", "C4", "   ")
		set(t, f, "名单", "E4", "")
	})

	got, err := ReadXLSX(bytes.NewReader(data), "名单", ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"姓名", "出生日期", "电话"},
		{"张三", "1990-03-07", "13800138000"},
		nil,
		{"李四"},
	}
	assertRows(t, got, want)
	if got[2] != nil {
		t.Errorf("empty row = %q, want nil", got[2])
	}

	first, err := ReadXLSX(bytes.NewReader(data), "", ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	assertRows(t, first, [][]string{{"说明"}})
}

func TestReadXLSXLimits(t *testing.T) {
	data := workbook(t, func(f *excelize.File) {
		for r := 1; r <= 6; r++ {
			for c := 1; c <= 4; c++ {
				cell, _ := excelize.CoordinatesToCellName(c, r)
				set(t, f, "Sheet1", cell, r*10+c)
			}
		}
	})

	if _, err := ReadXLSX(bytes.NewReader(data), "", ReadLimits{MaxRows: 6, MaxCols: 4}); err != nil {
		t.Errorf("at the limits: %v", err)
	}

	_, err := ReadXLSX(bytes.NewReader(data), "", ReadLimits{MaxRows: 5})
	if !errors.Is(err, ErrTooManyRows) || err.Error() != "文件行数超过上限（最多5行）" {
		t.Errorf("rows: got %v", err)
	}
	_, err = ReadXLSX(bytes.NewReader(data), "", ReadLimits{MaxCols: 3})
	if !errors.Is(err, ErrTooManyColumns) || err.Error() != "文件列数超过上限（最多3列）" {
		t.Errorf("columns: got %v", err)
	}
	_, err = ReadXLSX(bytes.NewReader(data), "", ReadLimits{MaxBytes: 1024})
	if !errors.Is(err, ErrFileTooLarge) || err.Error() != "文件过大（不能超过1KB）" {
		t.Errorf("bytes: got %v", err)
	}
	_, err = ReadXLSX(bytes.NewReader(data), "", ReadLimits{MaxUnzipBytes: 4096})
	if !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("unzipped bytes: got %v", err)
	}
}

// A sheet whose only data sits far below the row limit must fail fast,
// without building a huge slice of empty rows.
func TestReadXLSXSparseRows(t *testing.T) {
	data := workbook(t, func(f *excelize.File) {
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			cell, text string
		}{{"A1", "表头"}, {"A1000000", "远处的数据"}} {
			if err := sw.SetRow(r.cell, []any{r.text}); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	_, err := ReadXLSX(bytes.NewReader(data), "", ReadLimits{})
	if !errors.Is(err, ErrTooManyRows) {
		t.Errorf("got %v, want ErrTooManyRows", err)
	}
}

func TestReadXLSXInvalid(t *testing.T) {
	zipped := func(name, content string) []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(name)
		_, _ = w.Write([]byte(content))
		_ = zw.Close()
		return buf.Bytes()
	}
	inputs := map[string][]byte{
		"empty":       nil,
		"text":        []byte("姓名,年龄\n张三,30\n"),
		"old xls":     append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 600)...),
		"other zip":   zipped("readme.txt", "hello"),
		"broken xlsx": zipped("xl/workbook.xml", "<workbook><sheets><sheet"),
	}
	for name, data := range inputs {
		_, err := ReadXLSX(bytes.NewReader(data), "", ReadLimits{})
		if !errors.Is(err, ErrNotXLSX) || err.Error() != "文件不是有效的Excel(.xlsx)文件" {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestReadXLSXMissingSheet(t *testing.T) {
	data := workbook(t, func(f *excelize.File) { set(t, f, "Sheet1", "A1", "x") })
	_, err := ReadXLSX(bytes.NewReader(data), "名单", ReadLimits{})
	if !errors.Is(err, ErrSheetNotFound) || err.Error() != "找不到指定的工作表“名单”" {
		t.Errorf("got %v", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadXLSXReadFailure(t *testing.T) {
	_, err := ReadXLSX(failingReader{}, "", ReadLimits{})
	if !errors.Is(err, ErrReadFailed) || err.Error() != "读取上传文件失败" {
		t.Errorf("got %v", err)
	}
	if err == nil || !errorsContain(err, "connection reset") {
		t.Errorf("cause lost: %v", err)
	}
}

func errorsContain(err error, text string) bool {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range u.Unwrap() {
			if strings.Contains(e.Error(), text) {
				return true
			}
		}
	}
	return false
}

// Dates written by WriteXLSX come back in the same text form the CSV
// writer uses.
func TestReadXLSXDatesMatchCSV(t *testing.T) {
	ts := []time.Time{
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 7, 15, 9, 5, 0, 0, shanghai),
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "", []Column{{Header: "时间"}}, Slice(ts, func(t time.Time) []any { return []any{t} })); err != nil {
		t.Fatal(err)
	}
	got, err := ReadXLSX(&buf, "", ReadLimits{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tm := range ts {
		want, _ := csvText(tm)
		if got[i+1][0] != want {
			t.Errorf("row %d: got %q, want %q", i+2, got[i+1][0], want)
		}
	}
}
