package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// trickyRows exercises the text escaping and the value types.
func trickyRows() [][]any {
	long := strings.Repeat("长", 40000) // past Excel's 32,767 characters
	return [][]any{
		{"社工服务管理系统", `<b>&"'</b> ]]>`, "a\x01b\x1fc\x00", "\tlead", "trail\r\n", "line1\nline2", "_x0041_", "_x0041_x0042_"},
		{"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\t=1", "\r=1", "'quoted", "1,234"},
		{12345678901234567, -0.000123, 1e21, math.MaxFloat64, 1.0 / 3, float32(3.3), int8(-8), uint64(math.MaxUint64)},
		{nil, "", nil, nil, time.Date(2024, 2, 29, 0, 0, 0, 0, shanghai), time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(1899, 6, 1, 0, 0, 0, 0, time.UTC)},
		{long, "\uFFFE\uFFFF中", "bad\xff\xfeutf8", "😀 emoji", "_x005F_", " ", "\x01 x", Money(-123456789)},
		{},
		{true, false, "末行"},
	}
}

func rowsOf(rows [][]any) RowSource { return Slice(rows, func(r []any) []any { return r }) }

func eightColumns() []Column {
	return []Column{{Header: "文本"}, {Header: "=公式"}, {Header: ""}, {Header: "D"}, {Header: "E", Width: 300}, {Header: "F"}, {Header: "G"}, {Header: "H"}}
}

// wantText is what a text cell holds when read back.
func wantText(s string) string {
	s = EscapeCell(s)
	s = truncateUTF16(s, maxCellChars)
	return dropForbidden(s)
}

func TestWriteXLSXTrickyValues(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, `名单<&">`, eightColumns(), rowsOf(trickyRows())); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); len(got) != 1 || got[0] != `名单<&">` {
		t.Fatalf("sheets = %q", got)
	}
	raw, err := f.GetRows(`名单<&">`, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("长", maxCellChars)
	want := [][]string{
		{"文本", "'=公式", "", "D", "E", "F", "G", "H"},
		{"社工服务管理系统", `<b>&"'</b> ]]>`, "abc", "'\tlead", "trail\r\n", "line1\nline2", "_x0041_", "_x0041_x0042_"},
		{`'=HYPERLINK("http://x")`, "'+1", "'-2", "'@SUM(A1)", "'\t=1", "'\r=1", "'quoted", "1,234"},
		{"12345678901234567", "-0.000123", "1000000000000000000000", "", "0.333333333333333", "3.3", "-8", "18446744073709551615"},
		{"", "", "", "", "45351", "45351.99998842592", "1.5", "1899-06-01T00:00:00Z"},
		{long, "中", "bad\uFFFD\uFFFDutf8", "😀 emoji", "_x005F_", " ", " x", "-1234567.89"},
		nil,
		{"1", "0", "末行"},
	}
	// MaxFloat64 is written in full; compare it apart.
	if got := raw[3][3]; len(got) != 309 || !strings.HasPrefix(got, "17976931348623157") {
		t.Errorf("MaxFloat64 = %.30s… (%d digits)", got, len(got))
	}
	raw[3][3] = ""
	if len(raw) != len(want) {
		t.Fatalf("got %d rows, want %d", len(raw), len(want))
	}
	for i := range want {
		if strings.Join(raw[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i+1, clip(raw[i]), clip(want[i]))
		}
	}
	// The escaping agrees with wantText, which the fuzz test relies on.
	for i, v := range trickyRows()[0] {
		if got := raw[1][i]; got != wantText(v.(string)) {
			t.Errorf("cell %d: %q, wantText %q", i, got, wantText(v.(string)))
		}
	}

	// Cell types and formats.
	for cell, want := range map[string]excelize.CellType{
		"A2": excelize.CellTypeInlineString, "A4": excelize.CellTypeUnset, "A8": excelize.CellTypeBool, "E5": excelize.CellTypeUnset,
	} {
		if got, err := f.GetCellType(`名单<&">`, cell); err != nil || got != want {
			t.Errorf("type of %s = %v (%v), want %v", cell, got, err, want)
		}
	}
	shown, err := f.GetRows(`名单<&">`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(shown[4][4:7], "|"); got != "2024-02-29|2024-02-29 23:59|1900-01-01 12:00" {
		t.Errorf("dates shown as %q", got)
	}
	if got := shown[5][7]; got != "-1,234,567.89" {
		t.Errorf("money shown as %q", got)
	}
	if w, err := f.GetColWidth(`名单<&">`, "E"); err != nil || w != maxColumnWidth {
		t.Errorf("width of E = %v (%v), want the maximum %v", w, err, maxColumnWidth)
	}
	if w, err := f.GetColWidth(`名单<&">`, "C"); err != nil || w != headerWidth("") {
		t.Errorf("width of C = %v (%v), want %v", w, err, headerWidth(""))
	}
}

func clip(row []string) []string {
	out := make([]string, len(row))
	for i, s := range row {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		out[i] = s
	}
	return out
}

// TestWriteXLSXMatchesExcelize compares the writer with the excelize
// StreamWriter it replaced: the same cells read back, displayed and raw,
// with the same types and number formats. The two differ only where the
// old writer was wrong: it wrote U+FFFD for a character XML forbids (now
// dropped) and mangled overlapping "_xHHHH_" sequences.
func TestWriteXLSXMatchesExcelize(t *testing.T) {
	sources := map[string][][]any{"sample": sampleRows(), "tricky": trickyRows()}
	sources["tricky"][0] = sources["tricky"][0][:7]
	sources["tricky"][0][2] = "abc"
	sources["tricky"][4][1], sources["tricky"][4][6] = "中", " x"
	for name, rows := range sources {
		t.Run(name, func(t *testing.T) {
			cols := eightColumns()
			var got, want bytes.Buffer
			if err := WriteXLSX(&got, "表", cols, rowsOf(rows)); err != nil {
				t.Fatal(err)
			}
			if err := writeXLSXExcelize(&want, "表", cols, rowsOf(rows)); err != nil {
				t.Fatal(err)
			}
			g, err := excelize.OpenReader(&got)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Close()
			w, err := excelize.OpenReader(&want)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for _, raw := range []bool{false, true} {
				gr, err := g.GetRows("表", excelize.Options{RawCellValue: raw})
				if err != nil {
					t.Fatal(err)
				}
				wr, err := w.GetRows("表", excelize.Options{RawCellValue: raw})
				if err != nil {
					t.Fatal(err)
				}
				assertRows(t, gr, wr)
				for r := range wr {
					for c := range wr[r] {
						cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
						gt, _ := g.GetCellType("表", cell)
						wt, _ := w.GetCellType("表", cell)
						if gt != wt {
							t.Errorf("type of %s = %v, excelize wrote %v", cell, gt, wt)
						}
						gs, _ := g.GetCellStyle("表", cell)
						ws, _ := w.GetCellStyle("表", cell)
						gst, _ := g.GetStyle(gs)
						wst, _ := w.GetStyle(ws)
						if fmtOf(gst) != fmtOf(wst) || (gst.Font != nil && gst.Font.Bold) != (wst.Font != nil && wst.Font.Bold) {
							t.Errorf("style of %s = %s, excelize wrote %s", cell, fmtOf(gst), fmtOf(wst))
						}
					}
				}
			}
			for c := 1; c <= len(cols); c++ {
				col, _ := excelize.ColumnNumberToName(c)
				gw, _ := g.GetColWidth("表", col)
				ww, _ := w.GetColWidth("表", col)
				if gw != ww {
					t.Errorf("width of %s = %v, excelize wrote %v", col, gw, ww)
				}
			}
		})
	}
}

func fmtOf(st *excelize.Style) string {
	if st == nil || st.CustomNumFmt == nil {
		return ""
	}
	return *st.CustomNumFmt
}

// TestWriteXLSXSpill writes a file larger than the memory window, so that
// most of it goes through the temporary file.
func TestWriteXLSXSpill(t *testing.T) {
	defer func(n int) { spoolMemory = n }(spoolMemory)
	spoolMemory = 10 << 10
	const n = 5000
	src := func(yield func([]any) error) error {
		for i := range n {
			if err := yield([]any{i, strings.Repeat("数据", i%50), float64(i) / 7}); err != nil {
				return err
			}
		}
		return nil
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "", []Column{{Header: "a"}, {Header: "b"}, {Header: "c"}}, src); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 10*spoolMemory {
		t.Fatalf("file of %d bytes does not spill", buf.Len())
	}
	// A source that fails after the spill still sends nothing.
	var none bytes.Buffer
	boom := errors.New("audit failed")
	err := WriteXLSX(&none, "", []Column{{Header: "a"}, {Header: "b"}, {Header: "c"}}, func(yield func([]any) error) error {
		if err := src(yield); err != nil {
			return err
		}
		return boom
	})
	if err != boom || none.Len() != 0 {
		t.Errorf("failing source after the spill: %v, %d bytes sent", err, none.Len())
	}

	got, err := ReadXLSX(&buf, "", ReadLimits{MaxRows: n + 1, MaxUnzipBytes: 1 << 30, MaxBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n+1 || got[n][0] != "4999" || got[n][1] != strings.Repeat("数据", 4999%50) {
		t.Fatalf("%d rows, last %q", len(got), got[len(got)-1])
	}
}

// TestWriteXLSXPackage checks the zip: the parts Excel needs, only the
// worksheet compressed.
func TestWriteXLSXPackage(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, "", []Column{{Header: "a"}}, rowsOf([][]any{{"x"}})); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if (f.Method == zip.Deflate) != (f.Name == "xl/worksheets/sheet1.xml") {
			t.Errorf("%s: method %d", f.Name, f.Method)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !utf8.Valid(b) || !bytes.HasPrefix(b, []byte("<?xml")) {
			t.Errorf("%s: %v, %.40q", f.Name, err, b)
		}
	}
	if got := strings.Join(names, " "); got != "[Content_Types].xml _rels/.rels xl/workbook.xml xl/_rels/workbook.xml.rels xl/styles.xml xl/theme/theme1.xml xl/worksheets/sheet1.xml" {
		t.Errorf("parts: %s", got)
	}
}

func TestWriteXLSXTooLarge(t *testing.T) {
	rows := 0
	err := WriteXLSX(io.Discard, "", []Column{{Header: "a"}}, func(yield func([]any) error) error {
		for {
			rows++
			if err := yield(nil); err != nil {
				return err
			}
		}
	})
	if err != ErrExportTooLarge || rows != maxRows {
		t.Errorf("got %v after %d rows, want ErrExportTooLarge after %d", err, rows, maxRows)
	}
}

func TestAppendCellFloat(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 2.5: "2.5", -0.25: "-0.25", 1.0 / 3: "0.333333333333333", 2.0 / 3: "0.666666666666666",
		123456789012345678: "123456789012345000", 1234567.8901234567: "1234567.89012345", 100: "100",
		1e-20: "0.00000000000000000001", 1234567890123456.7: "1234567890123450",
	} {
		if got := string(appendCellFloat(nil, v)); got != want {
			t.Errorf("appendCellFloat(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestColumnName(t *testing.T) {
	for n, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 702: "ZZ", 703: "AAA", maxColumns: "XFD"} {
		if got := columnName(n); got != want {
			t.Errorf("columnName(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzWriteXLSXText: any text reads back through excelize as wantText says.
func FuzzWriteXLSXText(f *testing.F) {
	for _, row := range trickyRows() {
		for _, v := range row {
			if s, ok := v.(string); ok && len(s) < 100 {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		if err := WriteXLSX(&buf, s, []Column{{Header: s}, {Header: "b"}}, rowsOf([][]any{{s, s + "_x0030_"}})); err != nil {
			t.Fatal(err)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		sheet := x.GetSheetList()[0]
		if sheet != sheetName(s) {
			t.Errorf("sheet %q, want %q", sheet, sheetName(s))
		}
		rows, err := x.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{wantText(s), wantText(s + "_x0030_")}
		if len(rows) != 2 || len(rows[1]) != 2 || rows[1][0] != want[0] || rows[1][1] != want[1] || rows[0][0] != want[0] {
			t.Errorf("read back %q, want %q", rows, want)
		}
	})
}
