package web

import (
	"html/template"
	"math/rand/v2"
	"strings"
	"testing"

	"shegong/internal/reminder"
)

// listRowsTemplate is the template form of ListView.Body: the rows as the
// list component wrote them before Body.
const listRowsTemplate = `{{range .Rows}}<tr>{{range .}}<td>{{if .Tag}}<span class="tag tag-{{.Tag}}">{{.Text}}</span>{{else if .Href}}<a href="{{.Href}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{if .Sub}}<div class="sub">{{.Sub}}</div>{{end}}</td>{{end}}</tr>
  {{else}}<tr><td colspan="{{len .Cols}}" class="empty">{{.Empty}}</td></tr>{{end}}`

var (
	rowsByTemplate = template.Must(template.New("rows").Parse(listRowsTemplate))
	rowsByBody     = template.Must(template.New("body").Parse(`{{.Body}}`))
)

func renderBoth(t testing.TB, lv ListView) (want, got string) {
	var w, g strings.Builder
	if err := rowsByTemplate.Execute(&w, lv); err != nil {
		t.Fatal(err)
	}
	if err := rowsByBody.Execute(&g, lv); err != nil {
		t.Fatal(err)
	}
	return w.String(), g.String()
}

// pieces of text that exercise every escaping rule: markup, quotes,
// entities, NUL, bytes that are not UTF-8, schemes safe and unsafe,
// percent signs, spaces and Chinese.
var bodyPieces = []string{"", "a", "Z9", "个案", "王小明", "<", ">", "&", "'", "\"", "+", "\x00", "\x80", "\xe4\xb8",
	" ", "\t", "\n", "%", "%2F", "#", "?", "=", ";", ":", "/", "(", ")", "javascript:", "JavaScript:alert(1)",
	"http://", "https://x", "mailto:", "data:", "/cases/12", "?page=2&sort=a", "~", "_", "-", ".", "!", "*",
	",", "@", "[", "]", "$", "^", "`", "{", "}", "|", "\\", "\u00a0", "\u2028", "&amp;", "<script>", "é"}

func randomText(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(5); n > 0; n-- {
		b.WriteString(bodyPieces[r.IntN(len(bodyPieces))])
	}
	return b.String()
}

func TestListBodyMatchesTemplate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 3000 {
		lv := ListView{Empty: randomText(r), Cols: make([]ColView, r.IntN(4))}
		for range r.IntN(4) {
			row := make([]Cell, r.IntN(4))
			for j := range row {
				c := &row[j]
				if r.IntN(3) == 0 {
					c.Tag = randomText(r)
				}
				if r.IntN(2) == 0 {
					c.Href = randomText(r)
				}
				c.Text = randomText(r)
				if r.IntN(3) == 0 {
					c.Sub = randomText(r)
				}
			}
			lv.Rows = append(lv.Rows, row)
		}
		want, got := renderBoth(t, lv)
		if want != got {
			t.Fatalf("case %d: %#v\ntemplate: %q\nBody:     %q", i, lv.Rows, want, got)
		}
	}
}

func FuzzListBody(f *testing.F) {
	f.Add("王小明", "/cases/1?a=b&c=d", "open", "备注")
	f.Add("<b>", "javascript:alert(1)", "\"x", "\x00")
	f.Fuzz(func(t *testing.T, text, href, tag, sub string) {
		lv := ListView{Cols: []ColView{{}, {}, {}}, Empty: text, Rows: [][]Cell{
			{{Text: text, Href: href, Sub: sub}, {Text: text, Tag: tag}, {Text: sub}},
		}}
		want, got := renderBoth(t, lv)
		if want != got {
			t.Fatalf("template: %q\nBody:     %q", want, got)
		}
		lv.Rows = nil
		if want, got := renderBoth(t, lv); want != got {
			t.Fatalf("empty list: template %q, Body %q", want, got)
		}
	})
}

func BenchmarkListBody(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	lv := ListView{Cols: make([]ColView, 8)}
	for range 20 {
		row := make([]Cell, 8)
		for j := range row {
			row[j] = Cell{Text: "个案" + randomText(r), Href: "/cases/123"}
		}
		lv.Rows = append(lv.Rows, row)
	}
	b.Run("template", func(b *testing.B) {
		for b.Loop() {
			rowsByTemplate.Execute(discard{}, lv)
		}
	})
	b.Run("Body", func(b *testing.B) {
		for b.Loop() {
			rowsByBody.Execute(discard{}, lv)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

const filterOptionsTemplate = `{{$v := .Value}}{{range .Options}}<option value="{{.Value}}"{{if eq .Value $v}} selected{{end}}>{{.Label}}</option>{{end}}`

const navTemplate = `{{range .Nav}}
    <div class="nav-group">
      <div class="nav-group-label">{{.Label}}</div>
      <ul>{{range .Items}}<li><a href="{{.Href}}"{{if eq .Href $.Active}} aria-current="page"{{end}}>{{.Label}}</a></li>{{end}}</ul>
    </div>
    {{end}}`

func sameOutput(t *testing.T, what, tmpl, viaGo string, data any) {
	t.Helper()
	var w, g strings.Builder
	if err := template.Must(template.New("t").Parse(tmpl)).Execute(&w, data); err != nil {
		t.Fatal(err)
	}
	if err := template.Must(template.New("g").Parse(viaGo)).Execute(&g, data); err != nil {
		t.Fatal(err)
	}
	if w.String() != g.String() {
		t.Fatalf("%s: %#v\ntemplate: %q\nGo:       %q", what, data, w.String(), g.String())
	}
}

func TestOptionsAndNavMatchTemplate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for range 2000 {
		f := FilterView{Value: randomText(r)}
		for range r.IntN(5) {
			o := Option{Value: randomText(r), Label: randomText(r)}
			if r.IntN(4) == 0 {
				o.Value = f.Value
			}
			f.Options = append(f.Options, o)
		}
		sameOutput(t, "filter options", filterOptionsTemplate, `{{.OptionsHTML}}`, f)

		pg := &Page{Active: randomText(r)}
		for range r.IntN(4) {
			g := NavGroup{Label: randomText(r)}
			for range r.IntN(4) {
				it := NavItem{Label: randomText(r), Href: randomText(r)}
				if r.IntN(4) == 0 {
					it.Href = pg.Active
				}
				g.Items = append(g.Items, it)
			}
			pg.Nav = append(pg.Nav, g)
		}
		sameOutput(t, "navigation", navTemplate, `{{.NavHTML}}`, pg)
	}
}

const homeRemindersTemplate = `{{range .Reminders}}<li{{if .Overdue}} class="overdue"{{end}}><a href="{{.Href}}">{{.Title}}</a><div class="sub">{{if .Overdue}}<span class="tag tag-red">逾期</span>{{else}}<span class="tag tag-orange">{{.Kind}}</span>{{end}} {{.Detail}}</div></li>{{end}}`

func TestHomeRemindersMatchTemplate(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	for range 2000 {
		var d homeData
		for range r.IntN(5) {
			d.Reminders = append(d.Reminders, reminder.Item{Kind: randomText(r), Title: randomText(r), Detail: randomText(r),
				Href: randomText(r), Overdue: r.IntN(2) == 0})
		}
		sameOutput(t, "home reminders", homeRemindersTemplate, `{{.RemindersHTML}}`, d)
	}
}
