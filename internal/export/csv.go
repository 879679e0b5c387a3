package export

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// utf8BOM makes Excel read the file as UTF-8 rather than the local code
// page, which would garble Chinese text.
const utf8BOM = "\ufeff"

// WriteCSV writes a CSV file to w: a UTF-8 byte order mark, a header line
// from cols, then one line per row produced by rows, with CRLF line ends.
// Cell values are those of WriteXLSX, written as text: times as
// "2006-01-02" or "2006-01-02 15:04", Money as an exact decimal such as
// "1234.50", booleans as TRUE or FALSE; strings go through EscapeCell.
//
// Unlike WriteXLSX, lines are written as rows arrive, so an error from the
// row source can leave a partial file in w.
//
// Excel reads long digit strings in a CSV file (ID card numbers, for
// example) as numbers and loses digits; prefer XLSX for lists with such
// columns.
func WriteCSV(w io.Writer, cols []Column, rows RowSource) error {
	if len(cols) == 0 {
		return errors.New("export: no columns")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.WriteString(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(bw) // reuses bw, which is large enough
	cw.UseCRLF = true

	record := make([]string, len(cols))
	for i, c := range cols {
		record[i] = EscapeCell(c.Header)
	}
	if err := cw.Write(record); err != nil {
		return err
	}

	if rows == nil {
		rows = func(func([]any) error) error { return nil }
	}
	rowNum := 1
	var writeErr error
	srcErr := rows(func(row []any) error {
		if writeErr != nil {
			return writeErr
		}
		rowNum++
		if len(row) > len(cols) {
			writeErr = fmt.Errorf("export: row %d has %d cells for %d columns", rowNum, len(row), len(cols))
			return writeErr
		}
		clear(record)
		for i, v := range row {
			s, ok := csvText(v)
			if !ok {
				writeErr = unsupportedError(v, rowNum, i)
				return writeErr
			}
			record[i] = s
		}
		writeErr = cw.Write(record)
		return writeErr
	})
	if srcErr != nil {
		return srcErr
	}
	if writeErr != nil {
		return writeErr
	}
	cw.Flush()
	return cw.Error()
}

// csvText formats a cell value for a CSV file.
func csvText(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", true
	case string:
		return EscapeCell(v), true
	case int:
		return strconv.Itoa(v), true
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint:
		return strconv.FormatUint(uint64(v), 10), true
	case uint8:
		return strconv.FormatUint(uint64(v), 10), true
	case uint16:
		return strconv.FormatUint(uint64(v), 10), true
	case uint32:
		return strconv.FormatUint(uint64(v), 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float32:
		return formatFloat(float64(v), 32), true
	case float64:
		return formatFloat(v, 64), true
	case bool:
		if v {
			return "TRUE", true
		}
		return "FALSE", true
	case time.Time:
		switch {
		case v.IsZero():
			return "", true
		case hasClock(v):
			return v.Format(dateTimeLayout), true
		}
		return v.Format(dateLayout), true
	case Money:
		return v.String(), true
	}
	if d, ok := indirect(v); ok {
		return csvText(d)
	}
	return "", false
}

func formatFloat(f float64, bits int) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}
