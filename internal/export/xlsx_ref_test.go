package export

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// writeXLSXExcelize is the export writer as it was before WriteXLSX wrote
// the workbook itself: excelize's StreamWriter. The tests compare the two.
//
// It writes an Excel workbook with a single worksheet to w: a bold,
// shaded, frozen header row built from cols followed by the rows produced
// by rows. See the package documentation for the accepted cell values. A
// row may have fewer cells than there are columns but not more.
//
// The sheet name is cleaned of characters Excel does not allow and cut to
// 31 characters; an empty name becomes "Sheet1".
//
// All rows are collected (in memory up to a small limit, then in a
// temporary file) before the first byte is written to w, so an error from
// the row source leaves w untouched. The file is then compressed straight
// into w without being held in memory.
func writeXLSXExcelize(w io.Writer, sheet string, cols []Column, rows RowSource) error {
	if len(cols) == 0 {
		return errors.New("export: no columns")
	}
	if len(cols) > excelize.MaxColumns {
		return fmt.Errorf("export: %d columns exceed the worksheet limit of %d", len(cols), excelize.MaxColumns)
	}

	f := excelize.NewFile()
	defer f.Close()

	name := sheetName(sheet)
	if name != "Sheet1" {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return fmt.Errorf("export: rename sheet: %w", err)
		}
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	st, err := newRefStyles(f)
	if err != nil {
		return err
	}

	for i, c := range cols {
		width := c.Width
		if width <= 0 {
			width = headerWidth(c.Header)
		}
		width = min(width, excelize.MaxColumnWidth)
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return fmt.Errorf("export: column width: %w", err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze:      true,
		YSplit:      1,
		TopLeftCell: "A2",
		ActivePane:  "bottomLeft",
		Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return fmt.Errorf("export: freeze header: %w", err)
	}

	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: st.header, Value: EscapeCell(c.Header)}
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 20}); err != nil {
		return fmt.Errorf("export: header: %w", err)
	}

	if rows == nil {
		rows = func(func([]any) error) error { return nil }
	}
	buf := make([]any, len(cols))
	rowNum := 1
	var writeErr error
	srcErr := rows(func(row []any) error {
		if writeErr != nil {
			return writeErr
		}
		writeErr = func() error {
			rowNum++
			if rowNum > excelize.TotalRows {
				return ErrExportTooLarge
			}
			if len(row) > len(cols) {
				return fmt.Errorf("export: row %d has %d cells for %d columns", rowNum, len(row), len(cols))
			}
			for i, v := range row {
				c, err := st.cell(v)
				if err != nil {
					return unsupportedError(v, rowNum, i)
				}
				buf[i] = c
			}
			if err := sw.SetRow("A"+strconv.Itoa(rowNum), buf[:len(row)]); err != nil {
				return fmt.Errorf("export: row %d: %w", rowNum, err)
			}
			return nil
		}()
		clear(buf)
		return writeErr
	})
	if srcErr != nil {
		return srcErr
	}
	if writeErr != nil {
		// The source swallowed the error yield gave it.
		return writeErr
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}

	// excelize assembles the package in a bytes.Buffer unless it is given a
	// zip writer of its own; handing it one that writes to w streams the
	// file out instead, and leaves that buffer empty.
	f.ZipWriter = func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			// Exports are generated on request; the fastest level costs
			// about a quarter more bytes but takes a fraction of the time.
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	}
	if _, err := f.WriteToBuffer(); err != nil {
		return fmt.Errorf("export: write workbook: %w", err)
	}
	return nil
}

// refStyles holds the style IDs the reference writer uses.
type refStyles struct {
	header, date, dateTime, money int
}

func newRefStyles(f *excelize.File) (*refStyles, error) {
	var st refStyles
	var err error
	if st.header, err = f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "9BB7D4", Style: 1}},
	}); err != nil {
		return nil, fmt.Errorf("export: header style: %w", err)
	}
	for _, s := range []struct {
		id  *int
		fmt string
	}{{&st.date, formatDate}, {&st.dateTime, formatDateTime}, {&st.money, formatMoney}} {
		code := s.fmt
		if *s.id, err = f.NewStyle(&excelize.Style{CustomNumFmt: &code}); err != nil {
			return nil, fmt.Errorf("export: number format %q: %w", code, err)
		}
	}
	return &st, nil
}

// cell converts a row value into what the stream writer expects.
func (st *refStyles) cell(v any) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return EscapeCell(v), nil
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, bool:
		return v, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil
		}
		return v, nil
	case float32:
		// Go through the shortest decimal so that float32(0.1) is written
		// as 0.1, as the CSV writer does, not as 0.10000000149011612.
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
		return st.cell(f)
	case time.Time:
		if v.IsZero() {
			return nil, nil
		}
		if hasClock(v) {
			return excelize.Cell{StyleID: st.dateTime, Value: v}, nil
		}
		return excelize.Cell{StyleID: st.date, Value: v}, nil
	case Money:
		return excelize.Cell{StyleID: st.money, Value: v.yuan()}, nil
	}
	if d, ok := indirect(v); ok {
		return st.cell(d)
	}
	return nil, errors.New("unsupported")
}
