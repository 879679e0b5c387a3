package e2e

import (
	"testing"

	"shegong/internal/demo"
	"shegong/internal/testenv"
)

// TestDemoHomePages signs in, after the demo load, as a worker, a
// supervisor, a centre head and the director, and photographs each home
// page with its figures, to-dos and reminders.
func TestDemoHomePages(t *testing.T) {
	e := testenv.New(t, "")
	if _, _, err := demo.Load(e.Ctx, e.Sys.DB, e.Sys.Cipher, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		user string
		see  []string
	}{
		{"beian_sg1", []string{"个案跟进不足", "结案后跟进", "个案申请被驳回", "小组报告待交"}},
		{"dudao1", []string{"个案开案申请", "被督导同工个案跟进不足"}},
		{"beian_head", []string{"通用事项申请", "合同年到期"}},
		{"zongganshi", []string{"通用事项申请"}},
	} {
		b := NewBrowser(t, e.HTTP.URL, "demo-home-"+u.user, 1280, 1000)
		b.Open("/login")
		b.Fill("#f-username", u.user)
		b.Fill("#f-password", demo.Password)
		b.Click("#main button[type=submit]")
		b.MustSee(append([]string{"工作台"}, u.see...)...)
		b.Shot("home")
	}
}
