// Package export turns the system's lists into spreadsheet downloads and
// reads spreadsheet uploads for imports.
//
// Every list page exports through the same functions so that all downloads
// look alike (bold frozen header, set column widths, consistent date and
// money formats) and share the same protection against spreadsheet formula
// injection.
//
// Rows are pulled from a RowSource one at a time, so a caller can stream
// straight from a database cursor: the XLSX writer compresses the worksheet
// as the rows arrive and keeps the first 4 MB of the file in memory and the
// rest in a temporary file until it is sent, and the CSV writer writes each
// row as it arrives.
//
// # Cell values
//
// A row is a []any whose elements may be:
//
//   - nil: an empty cell;
//   - string: text, passed through EscapeCell;
//   - int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
//     an integer;
//   - float32, float64: a number (NaN and infinities become empty cells);
//   - bool: a boolean;
//   - time.Time: a date ("yyyy-mm-dd") when its clock reads exactly
//     midnight, otherwise a date and time ("yyyy-mm-dd hh:mm"); the wall
//     clock in the value's own location is written, so convert to the
//     display location first; the zero time is an empty cell;
//   - Money: an amount in fen, shown in yuan with two decimals;
//   - a pointer to any of the above, where a nil pointer is an empty cell;
//   - fmt.Stringer: the result of String(), treated as text.
//
// Any other type is a programming error and makes the writer fail.
package export

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Content types for the two download formats.
const (
	ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ContentTypeCSV  = "text/csv; charset=utf-8"
)

// Column describes one column of an export.
type Column struct {
	// Header is the text of the header cell.
	Header string
	// Width is the column width in Excel character units. Zero picks a
	// width that fits the header.
	Width float64
}

// RowSource produces the data rows of an export, in order, by calling yield
// once per row. When yield returns an error the source must stop and return
// that error (or one wrapping it); any error the source returns aborts the
// export.
//
// The writers do not keep the row slice after yield returns, so a source
// may reuse one slice for every row.
type RowSource func(yield func(row []any) error) error

// Slice builds a RowSource from an in-memory slice, mapping each item to a
// row with the given function.
func Slice[T any](items []T, row func(T) []any) RowSource {
	return func(yield func([]any) error) error {
		for _, it := range items {
			if err := yield(row(it)); err != nil {
				return err
			}
		}
		return nil
	}
}

// Money is an amount of money in fen (1/100 yuan), the unit the system
// stores amounts in.
//
// In an XLSX file it is written as a number of yuan with the number format
// "#,##0.00". The decimal value is first built exactly with integer
// arithmetic and only the spreadsheet cell itself holds the nearest binary
// floating-point number, which is exact to the fen for any amount below
// 10^13 yuan. In a CSV file it is written as the exact decimal text, without
// thousands separators, e.g. "-1234.50".
type Money int64

// String returns the amount in yuan as an exact decimal with two places,
// e.g. Money(123456).String() == "1234.56" and Money(-5).String() == "-0.05".
func (m Money) String() string {
	var buf [24]byte
	return string(m.appendDecimal(buf[:0]))
}

func (m Money) appendDecimal(b []byte) []byte {
	n := int64(m)
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = -u // two's complement negation is exact even for the minimum int64
	}
	b = strconv.AppendUint(b, u/100, 10)
	f := u % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// yuan returns the amount as a float64 number of yuan, the value closest to
// the exact decimal.
func (m Money) yuan() float64 {
	const exact = 1 << 53
	if n := int64(m); n > -exact && n < exact {
		// Both operands are exact, so the quotient is correctly rounded:
		// the same float64 that parsing the decimal text would give.
		return float64(n) / 100
	}
	f, _ := strconv.ParseFloat(m.String(), 64)
	return f
}

// EscapeCell protects a text cell against formula injection (also known as
// CSV injection). A value that starts with '=', '+', '-', '@', a tab or a
// carriage return could be taken for a formula by a spreadsheet program, so
// it is returned with a leading single quote, which makes the program show
// it as plain text. Any other value is returned unchanged.
//
// The writers apply EscapeCell to every string cell, including the header.
// Numbers passed as numeric types are numbers, not text, and are never
// escaped, so a negative int or Money is written as a negative number; only
// a string such as "-1" gains the quote.
func EscapeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// ContentDisposition returns a Content-Disposition header value that makes
// browsers download the response under the given file name, which may be
// Chinese. Following RFC 6266 and RFC 5987 it carries an ASCII fallback in
// filename and the exact name, percent-encoded UTF-8, in filename*:
//
//	attachment; filename="export.xlsx"; filename*=UTF-8''%E6%9C%8D%E5%8A%A1.xlsx
//
// Control characters and path separators are removed from the name first.
func ContentDisposition(filename string) string {
	name := cleanFilename(filename)
	if name == "" {
		name = "export"
	}
	var b strings.Builder
	b.WriteString(`attachment; filename="`)
	b.WriteString(asciiFallback(name))
	b.WriteString(`"; filename*=UTF-8''`)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

// cleanFilename drops everything before the last path separator, control
// characters and invalid UTF-8, and trims surrounding spaces.
func cleanFilename(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// asciiFallback returns the name itself when it is plain ASCII (with quotes
// replaced), and otherwise "export" with the name's extension.
func asciiFallback(name string) string {
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.NewReplacer(`"`, "_", `\`, "_").Replace(name)
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ext = name[i:]
		for j := 1; j < len(ext); j++ {
			c := ext[j]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
				ext = ""
				break
			}
		}
	}
	return "export" + ext
}

// isAttrChar reports whether c may appear unencoded in an RFC 5987
// ext-value (the attr-char production).
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// headerWidth estimates the column width needed for a header: CJK and
// other wide characters take two units.
func headerWidth(s string) float64 {
	w := 0
	for _, r := range s {
		if r >= 0x1100 {
			w += 2
		} else {
			w++
		}
	}
	return float64(max(w+2, 8))
}

// unsupportedError reports a cell value of a type the writers do not know.
func unsupportedError(v any, row, col int) error {
	return fmt.Errorf("export: row %d column %d: unsupported cell type %T", row, col+1, v)
}
