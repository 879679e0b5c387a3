package web

import (
	"html/template"
	"strconv"
	"strings"
)

// Body renders the list's table rows (the <tbody> content) in Go. The list
// component is on most pages and its rows were most of their rendering:
// html/template calls an escaping function through reflection for every
// cell field (about a microsecond each). The output is byte for byte what
// the template form of the rows gives (listRowsTemplate, kept for the
// test that holds the two to the same output for any text).
func (lv ListView) Body() template.HTML {
	var b strings.Builder
	b.Grow(len(lv.Rows) * len(lv.Cols) * 48)
	for _, row := range lv.Rows {
		b.WriteString("<tr>")
		for _, c := range row {
			b.WriteString("<td>")
			switch {
			case c.Tag != "":
				b.WriteString(`<span class="tag tag-`)
				escapeHTML(&b, c.Tag)
				b.WriteString(`">`)
				escapeHTML(&b, c.Text)
				b.WriteString("</span>")
			case c.Href != "":
				b.WriteString(`<a href="`)
				escapeURLAttr(&b, c.Href)
				b.WriteString(`">`)
				escapeHTML(&b, c.Text)
				b.WriteString("</a>")
			default:
				escapeHTML(&b, c.Text)
			}
			if c.Sub != "" {
				b.WriteString(`<div class="sub">`)
				escapeHTML(&b, c.Sub)
				b.WriteString("</div>")
			}
			b.WriteString("</td>")
		}
		b.WriteString("</tr>\n  ")
	}
	if len(lv.Rows) == 0 {
		b.WriteString(`<tr><td colspan="`)
		b.WriteString(strconv.Itoa(len(lv.Cols)))
		b.WriteString(`" class="empty">`)
		escapeHTML(&b, lv.Empty)
		b.WriteString("</td></tr>")
	}
	return template.HTML(b.String())
}

// escapeHTML writes s as HTML text or a quoted attribute value: the
// characters that could end the text or value, start markup or an
// entity are written as references, and NUL as U+FFFD (as html/template
// does in both places).
func escapeHTML(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case 0:
			rep = "\uFFFD"
		case '"':
			rep = "&#34;"
		case '&':
			rep = "&amp;"
		case '\'':
			rep = "&#39;"
		case '+':
			rep = "&#43;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(rep)
		start = i + 1
	}
	b.WriteString(s[start:])
}

// escapeURLAttr writes u as a quoted href value: a URL whose scheme is not
// http, https or mailto is replaced by a harmless fragment (as
// html/template does), bytes outside the URL character set are
// percent-encoded, and the result is escaped as an attribute value.
func escapeURLAttr(b *strings.Builder, u string) {
	if !safeURL(u) {
		b.WriteString("#ZgotmplZ")
		return
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			b.WriteByte(c)
		case strings.IndexByte("-._~!#$*,/:;=?@[]", c) >= 0:
			b.WriteByte(c)
		case c == '%' && i+2 < len(u) && isHex(u[i+1]) && isHex(u[i+2]):
			b.WriteByte(c) // already an escape
		case c == '&':
			b.WriteString("&amp;")
		case c == '+':
			b.WriteString("&#43;")
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// safeURL reports whether u is relative or of a scheme a link may use.
func safeURL(u string) bool {
	i := strings.IndexByte(u, ':')
	if i < 0 || strings.IndexByte(u[:i], '/') >= 0 {
		return true
	}
	switch strings.ToLower(u[:i]) {
	case "http", "https", "mailto":
		return true
	}
	return false
}

// OptionsHTML renders a list filter's options (after its "全部" option),
// the one whose value is the filter's marked selected: what the template
// gave (filterOptionsTemplate in the tests), written in Go.
func (f FilterView) OptionsHTML() template.HTML {
	var b strings.Builder
	for _, o := range f.Options {
		b.WriteString(`<option value="`)
		escapeHTML(&b, o.Value)
		b.WriteByte('"')
		if o.Value == f.Value {
			b.WriteString(" selected")
		}
		b.WriteByte('>')
		escapeHTML(&b, o.Label)
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// NavHTML renders the side navigation's groups, the current module's link
// marked: what the layout's template gave (navTemplate in the tests),
// written in Go, as it is on every page.
func (pg *Page) NavHTML() template.HTML {
	var b strings.Builder
	for _, g := range pg.Nav {
		b.WriteString("\n    <div class=\"nav-group\">\n      <div class=\"nav-group-label\">")
		escapeHTML(&b, g.Label)
		b.WriteString("</div>\n      <ul>")
		for _, it := range g.Items {
			b.WriteString(`<li><a href="`)
			escapeURLAttr(&b, it.Href)
			b.WriteByte('"')
			if it.Href == pg.Active {
				b.WriteString(` aria-current="page"`)
			}
			b.WriteByte('>')
			escapeHTML(&b, it.Label)
			b.WriteString("</a></li>")
		}
		b.WriteString("</ul>\n    </div>\n    ")
	}
	return template.HTML(b.String())
}

// RemindersHTML renders the home page's reminder items: what the home
// template gave (homeRemindersTemplate in the tests), written in Go; a
// worker with a large case load has dozens.
func (d homeData) RemindersHTML() template.HTML {
	var b strings.Builder
	for _, it := range d.Reminders {
		b.WriteString("<li")
		if it.Overdue {
			b.WriteString(` class="overdue"`)
		}
		b.WriteString(`><a href="`)
		escapeURLAttr(&b, it.Href)
		b.WriteString(`">`)
		escapeHTML(&b, it.Title)
		b.WriteString(`</a><div class="sub">`)
		if it.Overdue {
			b.WriteString(`<span class="tag tag-red">逾期</span>`)
		} else {
			b.WriteString(`<span class="tag tag-orange">`)
			escapeHTML(&b, it.Kind)
			b.WriteString("</span>")
		}
		b.WriteByte(' ')
		escapeHTML(&b, it.Detail)
		b.WriteString("</div></li>")
	}
	return template.HTML(b.String())
}
