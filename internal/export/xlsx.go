package export

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrExportTooLarge is returned when an export has more rows than one
// worksheet can hold.
var ErrExportTooLarge = errors.New("导出数据超过Excel单个工作表的行数上限，请缩小筛选范围后重试")

// Number formats of the XLSX writer.
const (
	formatDate     = "yyyy-mm-dd"
	formatDateTime = "yyyy-mm-dd hh:mm"
	formatMoney    = "#,##0.00"
)

// headerFill is the light background of the header row.
const headerFill = "DDEBF7"

// Limits of a worksheet, as in Excel.
const (
	maxRows        = 1 << 20 // rows of a worksheet
	maxColumns     = 16384   // columns of a worksheet
	maxColumnWidth = 255     // character units
	maxSheetName   = 31      // UTF-16 code units
	maxCellChars   = 32767   // UTF-16 code units of a text cell
)

// Style indexes of the workbook's cellXfs (see stylesXML).
const (
	styleHeader   = 1
	styleDate     = 2
	styleDateTime = 3
	styleMoney    = 4
)

const (
	// spoolMemoryDefault is how much of the compressed file is held in memory;
	// the rest goes to a temporary file until the file is sent.
	spoolMemoryDefault = 4 << 20
	// sheetChunk is the size of the pieces of worksheet XML handed to the
	// compressor.
	sheetChunk = 64 << 10
)

// spoolMemory is spoolMemoryDefault; tests lower it.
var spoolMemory = spoolMemoryDefault

// WriteXLSX writes an Excel workbook with a single worksheet to w: a bold,
// shaded, frozen header row built from cols followed by the rows produced
// by rows. See the package documentation for the accepted cell values. A
// row may have fewer cells than there are columns but not more.
//
// The sheet name is cleaned of characters Excel does not allow and cut to
// 31 characters; an empty name becomes "Sheet1".
//
// Text cells are inline strings: they are written as they come, so no
// table of strings grows with the rows. Characters XML 1.0 does not allow
// (control characters other than tab, line feed and carriage return, and
// U+FFFE and U+FFFF) are dropped, invalid UTF-8 becomes U+FFFD, and a text
// longer than Excel's 32,767 characters is cut there.
//
// The worksheet is compressed as the rows arrive, and the whole file is
// kept (its first 4 MB in memory, the rest in a temporary file) until the
// row source has returned: an error from the source leaves w untouched,
// and the source may still do work (such as recording the export) after
// its last row, before anything is sent.
func WriteXLSX(w io.Writer, sheet string, cols []Column, rows RowSource) error {
	if len(cols) == 0 {
		return errors.New("export: no columns")
	}
	if len(cols) > maxColumns {
		return fmt.Errorf("export: %d columns exceed the worksheet limit of %d", len(cols), maxColumns)
	}

	sp := &spool{limit: spoolMemory}
	defer sp.close()
	zw := zip.NewWriter(sp)
	zw.RegisterCompressor(zip.Deflate, newFlateWriter)
	// The small fixed parts are stored; only the worksheet is compressed.
	for _, p := range []struct{ name, body string }{
		{"[Content_Types].xml", contentTypesXML},
		{"_rels/.rels", rootRelsXML},
		{"xl/workbook.xml", workbookXML(sheetName(sheet))},
		{"xl/_rels/workbook.xml.rels", workbookRelsXML},
		{"xl/styles.xml", stylesXML},
		{"xl/theme/theme1.xml", themeXML},
	} {
		pw, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Store})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if _, err := io.WriteString(pw, p.body); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	out, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}

	sw := newSheetWriter(out, cols)
	if rows == nil {
		rows = func(func([]any) error) error { return nil }
	}
	var writeErr error
	srcErr := rows(func(row []any) error {
		if writeErr != nil {
			return writeErr
		}
		writeErr = sw.row(row)
		return writeErr
	})
	if srcErr != nil {
		return srcErr
	}
	if writeErr != nil {
		// The source swallowed the error yield gave it.
		return writeErr
	}
	if err := sw.finish(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := sp.writeTo(w); err != nil {
		return fmt.Errorf("export: send: %w", err)
	}
	return nil
}

// flateWriters keeps compressors for reuse: each holds about a megabyte of
// tables.
var flateWriters sync.Pool

// pooledFlate returns its compressor to the pool when closed.
type pooledFlate struct{ *flate.Writer }

func (p pooledFlate) Close() error {
	err := p.Writer.Close()
	// Let go of the file the compressor wrote to before keeping it.
	p.Writer.Reset(io.Discard)
	flateWriters.Put(p.Writer)
	return err
}

func newFlateWriter(out io.Writer) (io.WriteCloser, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(out)
		return pooledFlate{fw}, nil
	}
	// Exports are generated on request; the fastest level costs about a
	// quarter more bytes but takes a fraction of the time.
	fw, err := flate.NewWriter(out, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return pooledFlate{fw}, nil
}

// sheetWriter writes the worksheet XML.
type sheetWriter struct {
	out    io.Writer
	buf    []byte
	err    error
	cols   []string // column letters
	rowNum int
	num    []byte // the current row number, for cell references
}

func newSheetWriter(out io.Writer, cols []Column) *sheetWriter {
	sw := &sheetWriter{out: out, buf: make([]byte, 0, sheetChunk+4096), cols: make([]string, len(cols))}
	for i := range cols {
		sw.cols[i] = columnName(i + 1)
	}
	b := append(sw.buf, sheetHead...)
	b = append(b, "<cols>"...)
	for i, c := range cols {
		width := c.Width
		if width <= 0 {
			width = headerWidth(c.Header)
		}
		width = min(width, maxColumnWidth)
		b = append(b, `<col min="`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `" max="`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `" width="`...)
		b = strconv.AppendFloat(b, width, 'f', -1, 64)
		b = append(b, `" customWidth="1"/>`...)
	}
	b = append(b, "</cols><sheetData>"...)
	sw.buf = b

	sw.startRow(` ht="20" customHeight="1"`)
	for i, c := range cols {
		// Every header cell is a shaded text, an empty one too.
		sw.text(i, styleHeader, EscapeCell(c.Header))
	}
	sw.endRow()
	return sw
}

// row writes one data row.
func (sw *sheetWriter) row(row []any) error {
	if sw.rowNum >= maxRows {
		return ErrExportTooLarge
	}
	sw.startRow("")
	if len(row) > len(sw.cols) {
		return fmt.Errorf("export: row %d has %d cells for %d columns", sw.rowNum, len(row), len(sw.cols))
	}
	for i, v := range row {
		if err := sw.cell(i, v); err != nil {
			return unsupportedError(v, sw.rowNum, i)
		}
	}
	sw.endRow()
	return sw.err
}

func (sw *sheetWriter) startRow(attrs string) {
	sw.rowNum++
	sw.num = strconv.AppendInt(sw.num[:0], int64(sw.rowNum), 10)
	sw.buf = append(sw.buf, `<row r="`...)
	sw.buf = append(sw.buf, sw.num...)
	sw.buf = append(sw.buf, '"')
	sw.buf = append(sw.buf, attrs...)
	sw.buf = append(sw.buf, '>')
}

func (sw *sheetWriter) endRow() {
	sw.buf = append(sw.buf, "</row>"...)
	if len(sw.buf) >= sheetChunk {
		sw.flush()
	}
}

func (sw *sheetWriter) flush() {
	if sw.err == nil && len(sw.buf) > 0 {
		_, sw.err = sw.out.Write(sw.buf)
	}
	sw.buf = sw.buf[:0]
}

func (sw *sheetWriter) finish() error {
	sw.buf = append(sw.buf, "</sheetData></worksheet>"...)
	sw.flush()
	return sw.err
}

// cellStart writes a cell's opening tag up to its last attribute.
func (sw *sheetWriter) cellStart(col, style int, typ string) {
	b := append(sw.buf, `<c r="`...)
	b = append(b, sw.cols[col]...)
	b = append(b, sw.num...)
	b = append(b, '"')
	if style != 0 {
		b = append(b, ` s="`...)
		b = append(b, byte('0'+style))
		b = append(b, '"')
	}
	if typ != "" {
		b = append(b, ` t="`...)
		b = append(b, typ...)
		b = append(b, '"')
	}
	sw.buf = b
}

// number writes a numeric cell whose value is already formatted.
func (sw *sheetWriter) number(col, style int, v []byte) {
	sw.cellStart(col, style, "")
	sw.buf = append(sw.buf, "><v>"...)
	sw.buf = append(sw.buf, v...)
	sw.buf = append(sw.buf, "</v></c>"...)
}

// text writes a text cell; the caller has already applied EscapeCell.
func (sw *sheetWriter) text(col, style int, s string) {
	sw.cellStart(col, style, "inlineStr")
	sw.buf = append(sw.buf, '>')
	sw.inlineString(s)
}

// inlineString writes the rest of an inline string cell after its opening
// tag.
func (sw *sheetWriter) inlineString(s string) {
	if len(s) > maxCellChars { // bytes >= UTF-16 units, so shorter is within
		s = truncateUTF16(s, maxCellChars)
	}
	mark := len(sw.buf)
	for {
		b := append(sw.buf, "<is><t"...)
		if n := len(s); n > 0 && (isXMLSpace(s[0]) || isXMLSpace(s[n-1])) {
			b = append(b, ` xml:space="preserve"`...)
		}
		b = append(b, '>')
		var ok bool
		if b, ok = appendXMLText(b, s); ok {
			sw.buf = append(b, "</t></is></c>"...)
			return
		}
		// Dropping the characters XML forbids may change the text's
		// ends or its escapes: start again from the clean text.
		sw.buf = b[:mark]
		s = dropForbidden(s)
	}
}

// cell writes one cell of a data row; empty values write nothing.
func (sw *sheetWriter) cell(col int, v any) error {
	var tmp [32]byte
	switch v := v.(type) {
	case nil:
	case string:
		if v != "" {
			sw.text(col, 0, EscapeCell(v))
		}
	case int:
		sw.number(col, 0, strconv.AppendInt(tmp[:0], int64(v), 10))
	case int8:
		sw.number(col, 0, strconv.AppendInt(tmp[:0], int64(v), 10))
	case int16:
		sw.number(col, 0, strconv.AppendInt(tmp[:0], int64(v), 10))
	case int32:
		sw.number(col, 0, strconv.AppendInt(tmp[:0], int64(v), 10))
	case int64:
		sw.number(col, 0, strconv.AppendInt(tmp[:0], v, 10))
	case uint:
		sw.number(col, 0, strconv.AppendUint(tmp[:0], uint64(v), 10))
	case uint8:
		sw.number(col, 0, strconv.AppendUint(tmp[:0], uint64(v), 10))
	case uint16:
		sw.number(col, 0, strconv.AppendUint(tmp[:0], uint64(v), 10))
	case uint32:
		sw.number(col, 0, strconv.AppendUint(tmp[:0], uint64(v), 10))
	case uint64:
		sw.number(col, 0, strconv.AppendUint(tmp[:0], v, 10))
	case bool:
		sw.cellStart(col, 0, "b")
		if v {
			sw.buf = append(sw.buf, "><v>1</v></c>"...)
		} else {
			sw.buf = append(sw.buf, "><v>0</v></c>"...)
		}
	case float64:
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sw.number(col, 0, appendCellFloat(tmp[:0], v))
		}
	case float32:
		// Go through the shortest decimal so that float32(0.1) is written
		// as 0.1, as the CSV writer does, not as 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return sw.cell(col, f)
	case time.Time:
		if v.IsZero() {
			return nil
		}
		style := styleDate
		if hasClock(v) {
			style = styleDateTime
		}
		if serial, ok := excelTime(v); ok {
			sw.number(col, style, strconv.AppendFloat(tmp[:0], serial, 'f', -1, 64))
		} else {
			// Before Excel's first day: the time as text, as excelize
			// wrote it.
			_, offset := v.Zone()
			sw.text(col, style, v.Add(time.Duration(offset)*time.Second).Format(time.RFC3339Nano))
		}
	case Money:
		sw.number(col, styleMoney, appendCellFloat(tmp[:0], v.yuan()))
	default:
		d, ok := indirect(v)
		if !ok {
			return errors.New("unsupported")
		}
		return sw.cell(col, d)
	}
	return nil
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendXMLText appends s escaped as XML character data. It reports false,
// with b unchanged in meaning, when s holds a character XML 1.0 forbids;
// invalid UTF-8 is written as U+FFFD.
//
// Besides XML's own escapes it protects the text from the spreadsheet
// format's escapes: a reader turns "_xHHHH_" into the character with that
// code, so an underscore that starts such a sequence in the text is itself
// written as "_x005F_". Tabs and carriage returns are written as character
// references, which XML readers do not normalize away.
func appendXMLText(b []byte, s string) ([]byte, bool) {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c >= 0x20 && c != '&' && c != '<' && c != '>' && c != '_', c == '\n':
				i++
				continue
			case c == '&':
				esc = "&amp;"
			case c == '<':
				esc = "&lt;"
			case c == '>':
				esc = "&gt;"
			case c == '\t':
				esc = "&#x9;"
			case c == '\r':
				esc = "&#xD;"
			case c == '_':
				if !isEscapeSequence(s[i:]) {
					i++
					continue
				}
				esc = "_x005F_" // the escape of "_", followed by "xHHHH_"
			default:
				return b, false
			}
			b = append(b, s[start:i]...)
			b = append(b, esc...)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0xFFFE || r == 0xFFFF:
			return b, false
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...), true
}

// isEscapeSequence reports whether s starts with "_xHHHH_".
func isEscapeSequence(s string) bool {
	if len(s) < 7 || s[1] != 'x' || s[6] != '_' {
		return false
	}
	for i := 2; i < 6; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// dropForbidden removes the characters XML 1.0 does not allow and replaces
// invalid UTF-8 by U+FFFD.
func dropForbidden(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, s)
}

// truncateUTF16 cuts s to at most n UTF-16 code units.
func truncateUTF16(s string, n int) string {
	units := 0
	for i, r := range s {
		if units += utf16.RuneLen(r); units > n {
			return s[:i]
		}
	}
	return s
}

// appendCellFloat formats a number the way the spreadsheet library did: the
// shortest decimal, cut (not rounded) to Excel's 15 significant digits.
func appendCellFloat(b []byte, v float64) []byte {
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	if math.Abs(v) == math.MaxFloat64 {
		return b
	}
	const maxPrec = 15
	str := b[start:]
	decimal := -1
	for i, c := range str {
		if c == '.' {
			decimal = i
			break
		}
	}
	significant := 0
	for idx, c := range str {
		if c < '0' || c > '9' || significant == 0 && c == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			end := idx
			if end-1 == decimal {
				end--
			}
			return b[:start+end]
		}
		if decimal < 0 {
			decimal = len(str)
		}
		for ; idx < decimal; idx++ {
			str[idx] = '0'
		}
		return b[:start+decimal]
	}
	return b
}

var (
	excelMinTime1900      = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC)
	excelBuggyPeriodStart = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC).Add(-time.Nanosecond)
)

// excelTime returns the serial number Excel stores for the wall clock of t
// in its own location (days since 1899-12-30, counting Excel's 29 February
// 1900), computed as the spreadsheet library did; ok is false for times
// before 1900, which have none.
func excelTime(t time.Time) (serial float64, ok bool) {
	const day = 24 * time.Hour
	const maxDuration = 290 * 364 * day
	_, offset := t.Zone()
	t = t.Add(time.Duration(offset) * time.Second)
	if t.Before(excelMinTime1900) {
		return 0, false
	}
	tt, diff := t, t.Sub(excelMinTime1900)
	for diff >= maxDuration {
		serial += float64(maxDuration / day)
		tt = tt.Add(-maxDuration)
		diff = tt.Sub(excelMinTime1900)
	}
	rem := diff % day
	serial += float64(diff-rem)/float64(day) + float64(rem)/float64(day)
	if t.After(excelBuggyPeriodStart) {
		serial++
	}
	return serial, serial > 0
}

// columnName returns the letters of the n-th column (1 is "A").
func columnName(n int) string {
	var b [4]byte
	i := len(b)
	for n > 0 {
		n--
		i--
		b[i] = byte('A' + n%26)
		n /= 26
	}
	return string(b[i:])
}

// sheetName makes s acceptable to Excel as a worksheet name.
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		if r == 0xFFFE || r == 0xFFFF {
			return -1 // not allowed in XML
		}
		return r
	}, s)
	s = strings.Trim(s, "' ")
	units := 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if units+n > maxSheetName {
			s = s[:i]
			break
		}
		units += n
	}
	s = strings.TrimRight(s, "' ")
	switch {
	case s == "":
		return "Sheet1"
	case strings.EqualFold(s, "History"):
		// Excel reserves this name.
		return s + "_"
	}
	return s
}

// The parts of the workbook other than the worksheet.
const (
	xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

	contentTypesXML = xmlDecl + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
		`<Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
		`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
		`<Override PartName="/xl/theme/theme1.xml" ContentType="application/vnd.openxmlformats-officedocument.theme+xml"/>` +
		`</Types>`

	rootRelsXML = xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
		`</Relationships>`

	workbookRelsXML = xmlDecl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
		`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/theme" Target="theme/theme1.xml"/>` +
		`</Relationships>`

	// stylesXML: fonts 0 normal, 1 bold; fills 0 and 1 as Excel requires,
	// 2 the header's; borders 0 none, 1 the header's bottom line; cellXfs
	// in the order of the style constants.
	stylesXML = xmlDecl + `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="3"><numFmt numFmtId="164" formatCode="` + formatDate + `"/>` +
		`<numFmt numFmtId="165" formatCode="` + formatDateTime + `"/>` +
		`<numFmt numFmtId="166" formatCode="` + formatMoney + `"/></numFmts>` +
		`<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>` +
		`<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>` +
		`<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>` +
		`<fill><patternFill patternType="solid"><fgColor rgb="FF` + headerFill + `"/></patternFill></fill></fills>` +
		`<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>` +
		`<border><left/><right/><top/><bottom style="thin"><color rgb="FF9BB7D4"/></bottom><diagonal/></border></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		`<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>` +
		`<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1">` +
		`<alignment horizontal="center" vertical="center" wrapText="1"/></xf>` +
		`<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>` +
		`<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>` +
		`<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>` +
		`</styleSheet>`

	// themeXML is a minimal Office theme (its colours, the Calibri fonts
	// and plain format lists): programs resolve colours against it.
	themeXML = xmlDecl + `<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="Office Theme">` +
		`<a:themeElements><a:clrScheme name="Office">` +
		`<a:dk1><a:sysClr val="windowText" lastClr="000000"/></a:dk1><a:lt1><a:sysClr val="window" lastClr="FFFFFF"/></a:lt1>` +
		`<a:dk2><a:srgbClr val="44546A"/></a:dk2><a:lt2><a:srgbClr val="E7E6E6"/></a:lt2>` +
		`<a:accent1><a:srgbClr val="5B9BD5"/></a:accent1><a:accent2><a:srgbClr val="ED7D31"/></a:accent2>` +
		`<a:accent3><a:srgbClr val="A5A5A5"/></a:accent3><a:accent4><a:srgbClr val="FFC000"/></a:accent4>` +
		`<a:accent5><a:srgbClr val="4472C4"/></a:accent5><a:accent6><a:srgbClr val="70AD47"/></a:accent6>` +
		`<a:hlink><a:srgbClr val="0563C1"/></a:hlink><a:folHlink><a:srgbClr val="954F72"/></a:folHlink></a:clrScheme>` +
		`<a:fontScheme name="Office"><a:majorFont><a:latin typeface="Calibri Light"/><a:ea typeface=""/><a:cs typeface=""/></a:majorFont>` +
		`<a:minorFont><a:latin typeface="Calibri"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont></a:fontScheme>` +
		`<a:fmtScheme name="Office"><a:fillStyleLst>` + themeFill + themeFill + themeFill + `</a:fillStyleLst>` +
		`<a:lnStyleLst><a:ln w="6350">` + themeFill + `</a:ln><a:ln w="12700">` + themeFill + `</a:ln><a:ln w="19050">` + themeFill + `</a:ln></a:lnStyleLst>` +
		`<a:effectStyleLst><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle><a:effectStyle><a:effectLst/></a:effectStyle></a:effectStyleLst>` +
		`<a:bgFillStyleLst>` + themeFill + themeFill + themeFill + `</a:bgFillStyleLst></a:fmtScheme>` +
		`</a:themeElements></a:theme>`
	themeFill = `<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>`

	// sheetHead opens the worksheet with the first row frozen.
	sheetHead = xmlDecl + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<sheetViews><sheetView tabSelected="1" workbookViewId="0">` +
		`<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>` +
		`<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>` +
		`<sheetFormatPr defaultRowHeight="15"/>`
)

func workbookXML(sheet string) string {
	// sheetName has replaced control characters.
	name := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(sheet)
	return xmlDecl + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
		`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
		`<bookViews><workbookView/></bookViews>` +
		`<sheets><sheet name="` + name + `" sheetId="1" r:id="rId1"/></sheets></workbook>`
}
