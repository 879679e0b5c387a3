package volunteers_test

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/dbtest"
	"shegong/internal/pii"
)

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// FuzzVolunteerImportRow checks one row of the volunteer import (a dry run):
// no internal error, every refusal a Chinese message on the row, and a row
// that passes has a name, an ID number or phone that validates, and a
// registration date that parses.
func FuzzVolunteerImportRow(f *testing.F) {
	for _, s := range [][7]string{
		{"张三", "北岸中心", "", "", validID("44190019920202004"), "13500000001", ""},
		{"钱七", "北岸中心", "护照", "1980-05", "E1234567", "1350000000", "2026-03-01"},
		{"", "振华中心", "", "1980-13", "", "", "明天"},
		{"=1+1", "北岸中心", "居民身份证", "", "441900199202020041", "+86 135 0000 0001", "2026/3/1"},
		{"周九", "北岸中心", "男", "\xff", "１１０１０５１９４９１２３１００２Ｘ", "0769-83212345", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5], s[6])
	}
	d := dbtest.SQLite(f)
	var fx *fixture
	var w *authz.Principal
	header := []string{"姓名*", "服务点*", "证件类型", "出生年月", "证件号码", "手机号码", "登记日期"}
	f.Fuzz(func(t *testing.T, name, site, idType, born, idNo, phone, joined string) {
		if fx == nil {
			fx = setup(t, d)
			w = fx.user(fx.org, authz.RoleWorker, fx.siteA)
		}
		fx.t = t
		res, err := fx.svc.ImportVolunteers(fx.ctx, w, xlsx(t, header, []any{name, site, idType, born, idNo, phone, joined}), true)
		if err != nil {
			if app.ErrorCode(err) != app.EInvalid || !hasHan(app.ErrorMessage(err)) {
				t.Fatalf("import of %q: %v", []string{name, site, idType, born, idNo, phone, joined}, err)
			}
			return
		}
		for _, e := range res.Errors {
			if !hasHan(e.Message) || e.Row > 2 {
				t.Fatalf("row error %+v", e)
			}
		}
		if res.Rows != 1 || !res.OK() {
			return
		}
		if strings.TrimSpace(name) == "" {
			t.Fatalf("a row without a name passed: %q", name)
		}
		idNo, phone = strings.TrimSpace(idNo), strings.TrimSpace(phone)
		if idNo == "" && phone == "" {
			t.Fatal("a row without ID number and phone passed")
		}
		if phone != "" && pii.ValidateMobile(phone) != nil {
			t.Fatalf("phone %q passed", phone)
		}
		if kind := strings.TrimSpace(idType); idNo != "" && (kind == "" || kind == "身份证") &&
			pii.ValidateIDNumberAt(idNo, time.Now()) != nil {
			t.Fatalf("resident ID number %q passed", idNo)
		}
		if j := strings.TrimSpace(joined); j != "" {
			if _, err := app.ParseDate(j); err != nil {
				t.Fatalf("registration date %q passed", j)
			}
		}
	})
}
