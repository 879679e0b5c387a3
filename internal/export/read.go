package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// Errors returned by ReadXLSX. Their messages are meant for the user; the
// returned error may add details after them and wraps the underlying cause,
// so test with errors.Is.
var (
	ErrNotXLSX        = errors.New("文件不是有效的Excel(.xlsx)文件")
	ErrFileTooLarge   = errors.New("文件过大")
	ErrSheetNotFound  = errors.New("找不到指定的工作表")
	ErrTooManyRows    = errors.New("文件行数超过上限")
	ErrTooManyColumns = errors.New("文件列数超过上限")
	ErrReadFailed     = errors.New("读取上传文件失败")
)

// Default limits of ReadXLSX.
const (
	DefaultMaxRows       = 10000
	DefaultMaxCols       = 100
	DefaultMaxBytes      = 10 << 20
	DefaultMaxUnzipBytes = 200 << 20
)

// ReadLimits bounds the work ReadXLSX does for one upload. A zero field
// takes its default.
type ReadLimits struct {
	// MaxRows is the last worksheet row, counting the header, that may
	// hold data.
	MaxRows int
	// MaxCols is the last column that may hold data.
	MaxCols int
	// MaxBytes is the largest accepted file size.
	MaxBytes int64
	// MaxUnzipBytes is the largest accepted total size of the file's
	// uncompressed parts, a guard against zip bombs.
	MaxUnzipBytes int64
}

func (l ReadLimits) withDefaults() ReadLimits {
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxCols <= 0 {
		l.MaxCols = DefaultMaxCols
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxUnzipBytes <= 0 {
		l.MaxUnzipBytes = DefaultMaxUnzipBytes
	}
	return l
}

// ReadXLSX reads the cell texts of one worksheet of an uploaded .xlsx file:
// the named sheet, or the first one when sheet is "".
//
// rows[i] holds worksheet row i+1, so rows[0] is normally the header and an
// importer can report problems by row number. Cells are the values as
// Excel displays them (dates in built-in formats as "2006-01-02"), with
// surrounding white space removed. Empty rows in the middle are kept as nil
// slices; trailing empty cells and trailing empty rows are dropped.
//
// Reading stops with an error wrapping ErrFileTooLarge, ErrTooManyRows or
// ErrTooManyColumns when the upload exceeds limits, whose zero value
// means the defaults.
func ReadXLSX(r io.Reader, sheet string, limits ReadLimits) ([][]string, error) {
	l := limits.withDefaults()

	data, err := io.ReadAll(io.LimitReader(r, l.MaxBytes+1))
	if err != nil {
		return nil, &readError{kind: ErrReadFailed, cause: err}
	}
	if int64(len(data)) > l.MaxBytes {
		return nil, fmt.Errorf("%w（不能超过%s）", ErrFileTooLarge, sizeText(l.MaxBytes))
	}
	if err := checkZip(data, l.MaxUnzipBytes); err != nil {
		return nil, err
	}

	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    l.MaxUnzipBytes,
		UnzipXMLSizeLimit: min(l.MaxUnzipBytes, excelize.StreamChunkSize),
		ShortDatePattern:  "yyyy-mm-dd",
		CultureInfo:       excelize.CultureNameZhCN,
	})
	if err != nil {
		return nil, &readError{kind: ErrNotXLSX, cause: err}
	}
	defer f.Close()

	if sheet == "" {
		list := f.GetSheetList()
		if len(list) == 0 {
			return nil, &readError{kind: ErrNotXLSX, cause: errors.New("workbook has no sheets")}
		}
		sheet = list[0]
	} else if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
		return nil, fmt.Errorf("%w“%s”", ErrSheetNotFound, sheet)
	}

	it, err := f.Rows(sheet)
	if err != nil {
		return nil, &readError{kind: ErrNotXLSX, cause: err}
	}
	defer it.Close()

	var out [][]string
	for rowNum := 1; it.Next(); rowNum++ {
		cells, err := it.Columns()
		if err != nil {
			return nil, &readError{kind: ErrNotXLSX, cause: err}
		}
		cells = trimRow(cells)
		if len(cells) == 0 {
			continue
		}
		if rowNum > l.MaxRows {
			return nil, fmt.Errorf("%w（最多%d行）", ErrTooManyRows, l.MaxRows)
		}
		if len(cells) > l.MaxCols {
			return nil, fmt.Errorf("%w（最多%d列）", ErrTooManyColumns, l.MaxCols)
		}
		for len(out) < rowNum-1 {
			out = append(out, nil)
		}
		out = append(out, cells)
	}
	if err := it.Error(); err != nil {
		return nil, &readError{kind: ErrNotXLSX, cause: err}
	}
	return out, nil
}

// checkZip rejects data that is not a zip archive or that would unpack to
// more than limit bytes. archive/zip refuses to inflate an entry past its
// declared size, so the declared sizes can be trusted.
func checkZip(data []byte, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return &readError{kind: ErrNotXLSX, cause: err}
	}
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if total > uint64(limit) {
			return fmt.Errorf("%w（解压后超过%s）", ErrFileTooLarge, sizeText(limit))
		}
	}
	return nil
}

// trimRow trims every cell and drops trailing empty cells, in place.
func trimRow(cells []string) []string {
	for i, c := range cells {
		cells[i] = strings.TrimFunc(c, isTrimmed)
	}
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// isTrimmed matches white space, including the ideographic space, and the
// invisible characters that often stick to pasted text.
func isTrimmed(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%dKB", n>>10)
	}
	return fmt.Sprintf("%d字节", n)
}

// readError carries a user-facing error kind together with the technical
// cause, which stays available to errors.Is, errors.As and logs but does
// not show in the message.
type readError struct {
	kind, cause error
}

func (e *readError) Error() string   { return e.kind.Error() }
func (e *readError) Unwrap() []error { return []error{e.kind, e.cause} }
