package cases_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

// The streamed list (what exports read) holds exactly the rows of the list's
// pages, in order, with the same filters, scope, masking and categories as
// a client's own page.
func TestClientRowsMatchPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cats, err := f.svc.Categories(f.ctx, f.org, true)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 25 {
			in := adult(fmt.Sprintf("客户%02d", i))
			in.Phone = fmt.Sprintf("138%08d", i)
			// Categories given out of display order, several per client.
			switch i % 3 {
			case 0:
				in.CategoryIDs = []int64{cats[5].ID, cats[1].ID, cats[3].ID}
			case 1:
				in.CategoryIDs = []int64{cats[2].ID}
			}
			p := f.w1
			if i%4 == 0 {
				p = f.w3
			}
			f.create(p, in)
		}
		for _, tc := range []struct {
			name string
			flt  cases.ClientFilter
			q    app.ListQuery
		}{
			{"all", cases.ClientFilter{}, app.ListQuery{}},
			{"site", cases.ClientFilter{SiteID: f.siteA}, app.ListQuery{Sort: "name"}},
			{"category", cases.ClientFilter{CategoryID: cats[1].ID}, app.ListQuery{Sort: "age", Desc: true}},
			{"search", cases.ClientFilter{}, app.ListQuery{Q: "客户1"}},
		} {
			for _, who := range []struct {
				name string
				p    *authz.Principal
			}{{"head", f.head}, {"w1", f.w1}} {
				p := who.p
				// Pages of 4.
				var paged []cases.Client
				total := -1
				for page := 1; ; page++ {
					q := tc.q
					q.Page, q.Size = page, 4
					rows, n, err := f.svc.List(f.ctx, p, tc.flt, q)
					if err != nil {
						t.Fatal(err)
					}
					total = n
					paged = append(paged, rows...)
					if len(rows) < 4 {
						break
					}
				}
				var streamed []cases.Client
				counted := -1
				q := tc.q
				q.Page, q.Size = 1, 0
				err := f.svc.Rows(f.ctx, p, tc.flt, q)(func(n int) error { counted = n; return nil },
					func(c cases.Client) error { streamed = append(streamed, c); return nil })
				if err != nil {
					t.Fatal(err)
				}
				if len(paged) == 0 || counted != total || len(streamed) != total || !reflect.DeepEqual(paged, streamed) {
					t.Fatalf("%s/%s: pages %d rows (total %d), stream %d rows (count %d)", tc.name, who.name,
						len(paged), total, len(streamed), counted)
				}
				// The export's stream: the same clients with the export's
				// fields alike and nothing else read.
				var exported []cases.Client
				err = f.svc.ExportRows(f.ctx, p, tc.flt, q)(nil, func(c cases.Client) error { exported = append(exported, c); return nil })
				if err != nil {
					t.Fatal(err)
				}
				if len(exported) != len(streamed) {
					t.Fatalf("%s/%s: export %d rows, list %d", tc.name, who.name, len(exported), len(streamed))
				}
				for i, c := range streamed {
					if want := exportFieldsOf(c); !reflect.DeepEqual(exported[i], want) {
						t.Fatalf("%s/%s: export row %d\n got %+v\nwant %+v", tc.name, who.name, i, exported[i], want)
					}
				}
				three := 0
				for _, c := range streamed {
					if len(c.Categories) == 3 {
						three++
					}
					got, err := f.svc.Head(f.ctx, p, cases.PermClientRead, c.ID)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(got.Categories, c.Categories) || got.PhoneMasked != c.PhoneMasked || c.PhoneMasked == "" {
						t.Fatalf("%s: list %+v, page %+v", c.Code, c.Categories, got.Categories)
					}
				}
				if tc.name != "search" && three == 0 {
					t.Fatalf("%s/%s: no client with three categories", tc.name, who.name)
				}
			}
		}
		// A failing reader stops the stream with its error.
		stop := errors.New("stop")
		n := 0
		err = f.svc.Rows(f.ctx, f.head, cases.ClientFilter{}, app.ListQuery{})(func(int) error { return nil },
			func(cases.Client) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Fatalf("stopped stream: %v after %d rows", err, n)
		}
	})
}

// exportFieldsOf is c with only cases.ClientExportFields kept.
func exportFieldsOf(c cases.Client) cases.Client {
	var out cases.Client
	src, dst := reflect.ValueOf(c), reflect.ValueOf(&out).Elem()
	for _, name := range cases.ClientExportFields {
		dst.FieldByName(name).Set(src.FieldByName(name))
	}
	return out
}
