package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/cases"
	"shegong/internal/export"
	"shegong/internal/testenv"
)

// The export of a filtered list longer than any page streams exactly the
// rows of the list's pages, in the same order, masked, and is audited with
// its number of rows.
func TestClientExportEqualsPages(t *testing.T) {
	testenv.Each(t, func(t *testing.T, e *testenv.Env) {
		w := newClientWorld(e)
		cats, err := e.Sys.Clients.Categories(e.Ctx, w.o.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 260 {
			who := w.wang
			if i%9 == 0 {
				who = w.zhao
			}
			in := cases.ClientInput{Name: fmt.Sprintf("%s客户%03d", []string{"陈", "李", "黄"}[i%3], i),
				BirthDate: app.NewDate(1950+i%50, time.Month(1+i%12), 1+i%28), Phone: fmt.Sprintf("139%08d", i)}
			if i%4 == 0 {
				in.CategoryIDs = []int64{cats[3].ID, cats[0].ID}
			}
			if _, err := e.Sys.Clients.Create(e.Ctx, who.Principal(), in); err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
		}
		c := e.Login(w.svc)
		api := e.APIClient(w.svc)
		filter := url.Values{"site_id": {fmt.Sprint(w.siteA)}, "sort": {"name"}}
		var want [][]string
		total := 0
		for page := 1; ; page++ {
			v := url.Values{"size": {"100"}, "page": {fmt.Sprint(page)}}
			for k, x := range filter {
				v[k] = x
			}
			r := api.Get("/api/v1/clients?" + v.Encode())
			var body struct {
				Items []cases.Client `json:"items"`
				Total int            `json:"total"`
			}
			if err := json.Unmarshal([]byte(r.Body), &body); err != nil || r.Status != 200 {
				t.Fatalf("api page %d: %d %v", page, r.Status, err)
			}
			total = body.Total
			for _, cl := range body.Items {
				want = append(want, []string{cl.Code, cl.NameMasked, cl.PhoneMasked})
			}
			if len(body.Items) < 100 {
				break
			}
		}
		if total < 200 || len(want) != total {
			t.Fatalf("pages: %d rows of %d", len(want), total)
		}
		v := url.Values{"format": {"xlsx"}}
		for k, x := range filter {
			v[k] = x
		}
		r := c.Get("/clients?" + v.Encode())
		if r.Status != 200 || r.Header.Get("Content-Type") != export.ContentTypeXLSX {
			t.Fatalf("export: %d %s", r.Status, clip(r.Body))
		}
		sheet, err := export.ReadXLSX(strings.NewReader(r.Body), "", export.ReadLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sheet)-1 != total {
			t.Fatalf("export has %d rows, pages %d", len(sheet)-1, total)
		}
		withCats := 0
		for i, row := range sheet[1:] {
			// 编号, 姓名, …, 电话 (column 6), 类别 (column 7).
			if row[0] != want[i][0] || row[1] != want[i][1] || row[5] != want[i][2] {
				t.Fatalf("row %d: export %v, page %v", i+1, row, want[i])
			}
			if len(row) > 6 && row[6] != "" {
				withCats++
			}
			noSecrets(t, "export", strings.Join(row, "|"))
		}
		if withCats == 0 {
			t.Fatal("no categories exported")
		}
		if n := e.Count(`SELECT COUNT(*) FROM audit_log WHERE org_id = $1 AND action = 'export' AND object_id = '/clients'
			AND detail LIKE $2`, w.o.ID, fmt.Sprintf("服务对象，%d 行%%", total)); n != 1 {
			t.Fatalf("export audit rows: %d", n)
		}
	})
}
