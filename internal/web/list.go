package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/export"
)

// Cell is one table cell: text, an optional link, and an optional status
// tag colour (green, blue, orange, red, grey) that renders it as a tag.
type Cell struct {
	Text string
	Href string
	Tag  string
	Sub  string // a second, smaller line
}

// ListCol declares one column of a list of T.
type ListCol[T any] struct {
	Key    string // sort key the service accepts; "" when not sortable
	Label  string
	Cell   func(T) Cell
	Export func(T) any // the spreadsheet value; nil uses the cell text
	Width  float64     // spreadsheet column width
}

// Filter declares one filter of a list's filter bar.
type Filter struct {
	Name    string
	Label   string
	Type    string // select, text, date, month
	Options []Option
}

// ListDef is the one list component: filter bar, sortable dense table,
// pagination with a total, and export of all pages to Excel.
type ListDef[T any] struct {
	Sheet   string // export file and sheet name
	Filters []Filter
	Cols    []ListCol[T]
	Empty   string
	Search  string // placeholder of the free-text box; "" hides it
}

// ColView, FilterView and ListView are what the list partial renders.
type ColView struct {
	Label    string
	SortHref string
	Sorted   bool
	Desc     bool
}

type FilterView struct {
	Filter
	Value string
}

type PageLink struct {
	N       int
	Href    string
	Current bool
	Gap     bool
}

type ListView struct {
	Cols       []ColView
	Rows       [][]Cell
	RowHrefs   []string
	Filters    []FilterView
	Search     string
	Q          string
	Total      int
	Page       int
	Pages      int
	PrevHref   string
	NextHref   string
	PageLinks  []PageLink
	ExportHref string
	Empty      string
	Path       string
	Hidden     map[string]string // sort state carried by the filter form
}

// wantsExport reports whether the list is asked for as a spreadsheet.
func wantsExport(r *http.Request) bool { return r.URL.Query().Get("format") == "xlsx" }

// listQuery parses paging and sorting; exports take every row.
func listQuery(r *http.Request) app.ListQuery {
	q := app.ParseListQuery(r.URL.Query())
	if wantsExport(r) {
		q.Page, q.Size = 1, 0
	}
	return q
}

func withParam(u url.URL, kv ...string) string {
	v := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	u.RawQuery = v.Encode()
	return u.RequestURI()
}

// buildList turns rows into the view the list partial renders.
func buildList[T any](r *http.Request, def ListDef[T], q app.ListQuery, rows []T, total int) ListView {
	u := *r.URL
	lv := ListView{Total: total, Page: q.Page, Empty: def.Empty, Path: u.Path, Search: def.Search, Q: q.Q,
		Hidden: map[string]string{}}
	if lv.Empty == "" {
		lv.Empty = "没有符合条件的记录"
	}
	if q.Sort != "" {
		lv.Hidden["sort"] = q.Sort
		if q.Desc {
			lv.Hidden["dir"] = "desc"
		}
	}
	if q.Size != app.DefaultPageSize {
		lv.Hidden["size"] = strconv.Itoa(q.Size)
	}
	for _, c := range def.Cols {
		cv := ColView{Label: c.Label}
		if c.Key != "" {
			cv.Sorted = q.Sort == c.Key
			cv.Desc = cv.Sorted && q.Desc
			dir := ""
			if cv.Sorted && !q.Desc {
				dir = "desc"
			}
			cv.SortHref = withParam(u, "sort", c.Key, "dir", dir, "page", "")
		}
		lv.Cols = append(lv.Cols, cv)
	}
	for _, row := range rows {
		cells := make([]Cell, len(def.Cols))
		for i, c := range def.Cols {
			cells[i] = c.Cell(row)
		}
		lv.Rows = append(lv.Rows, cells)
	}
	qv := u.Query()
	for _, f := range def.Filters {
		lv.Filters = append(lv.Filters, FilterView{Filter: f, Value: qv.Get(f.Name)})
	}
	size := max(q.Size, 1)
	lv.Pages = max((total+size-1)/size, 1)
	if q.Page > 1 {
		lv.PrevHref = withParam(u, "page", strconv.Itoa(q.Page-1))
	}
	if q.Page < lv.Pages {
		lv.NextHref = withParam(u, "page", strconv.Itoa(q.Page+1))
	}
	last := 0
	for n := 1; n <= lv.Pages; n++ {
		if n == 1 || n == lv.Pages || (n >= q.Page-2 && n <= q.Page+2) {
			if last != 0 && n != last+1 {
				lv.PageLinks = append(lv.PageLinks, PageLink{Gap: true})
			}
			lv.PageLinks = append(lv.PageLinks, PageLink{N: n, Href: withParam(u, "page", strconv.Itoa(n)), Current: n == q.Page})
			last = n
		}
	}
	lv.ExportHref = withParam(u, "format", "xlsx", "page", "")
	return lv
}

// exportList writes rows already in memory as an .xlsx download; lists
// that can grow large export through exportRows instead.
func exportList[T any](s *Server, w http.ResponseWriter, r *http.Request, def ListDef[T], rows []T) {
	exportRows(s, w, r, def, app.SliceRows(rows))
}

// exportRows writes a list as an .xlsx download with the list's columns,
// reading the rows one at a time from the service, so memory stays at the
// writer's window whatever the number of rows. The cells carry what the
// list shows, so masked fields stay masked. The writer collects every row
// before it sends the first byte, so the export is audited, with the number
// of rows written, after the last row is read and before anything leaves;
// the audit row is not part of the export it records. An error before any
// byte is sent is answered as usual.
func exportRows[T any](s *Server, w http.ResponseWriter, r *http.Request, def ListDef[T], rows app.Rows[T]) {
	cols := make([]export.Column, len(def.Cols))
	for i, c := range def.Cols {
		cols[i] = export.Column{Header: c.Label, Width: c.Width}
	}
	p := principalOf(r)
	sheet := def.Sheet
	if sheet == "" {
		sheet = "导出"
	}
	name := sheet + "-" + s.Now().In(app.Local).Format("20060102") + ".xlsx"
	out := make([]any, len(def.Cols))
	n := 0
	src := func(yield func([]any) error) error {
		// No start: the rows need not be counted before they are read.
		err := rows(nil, func(row T) error {
			for i, c := range def.Cols {
				if c.Export != nil {
					out[i] = c.Export(row)
				} else {
					out[i] = c.Cell(row).Text
				}
			}
			n++
			return yield(out)
		})
		if err != nil {
			return err
		}
		if err := audit.Append(r.Context(), s.DB, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID,
			Username: p.Username, Action: "export", ObjectType: "list", ObjectID: r.URL.Path,
			Detail: fmt.Sprintf("%s，%d 行，条件 %s", sheet, n, r.URL.RawQuery)}); err != nil {
			return err
		}
		w.Header().Set("Content-Type", export.ContentTypeXLSX)
		w.Header().Set("Content-Disposition", export.ContentDisposition(name))
		w.Header().Set("Cache-Control", "no-store")
		return nil
	}
	sw := &sentWriter{w: w}
	if err := export.WriteXLSX(sw, sheet, cols, src); err != nil {
		if !sw.sent {
			s.fail(w, r, err)
			return
		}
		s.Log.Error("export", "err", err, "path", r.URL.Path)
	}
}

// sentWriter records whether anything was written.
type sentWriter struct {
	w    http.ResponseWriter
	sent bool
}

func (s *sentWriter) Write(b []byte) (int, error) {
	s.sent = true
	return s.w.Write(b)
}

// serveList renders a list page or, when asked, its export.
func serveList[T any](s *Server, w http.ResponseWriter, r *http.Request, pg *Page, tmpl string, def ListDef[T],
	q app.ListQuery, rows []T, total int, data func(ListView) any) {
	if wantsExport(r) {
		exportList(s, w, r, def, rows)
		return
	}
	renderList(s, w, r, pg, tmpl, def, q, rows, total, data)
}

// serveListRows is serveList for a list that can grow large: the page
// reads its rows into memory, the export streams them.
func serveListRows[T any](s *Server, w http.ResponseWriter, r *http.Request, pg *Page, tmpl string, def ListDef[T],
	q app.ListQuery, rows app.Rows[T], data func(ListView) any) {
	if wantsExport(r) {
		exportRows(s, w, r, def, rows)
		return
	}
	list, total, err := app.Collect(rows)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	renderList(s, w, r, pg, tmpl, def, q, list, total, data)
}

func renderList[T any](s *Server, w http.ResponseWriter, r *http.Request, pg *Page, tmpl string, def ListDef[T],
	q app.ListQuery, rows []T, total int, data func(ListView) any) {
	lv := buildList(r, def, q, rows, total)
	pg.Data = data(lv)
	s.render(w, r, http.StatusOK, tmpl, pg)
}
