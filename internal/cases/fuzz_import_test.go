package cases_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode"

	"shegong/internal/app"
	"shegong/internal/dbtest"
	"shegong/internal/pii"
)

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// FuzzClientImportRow checks one row of the client import as typed into a
// spreadsheet: the check never fails with an internal error, every refusal
// (of the file or of the row) is a Chinese message, a row is never both
// counted bad and passed, and a row that passes carries a valid ID number,
// phone numbers and birth date.
func FuzzClientImportRow(f *testing.F) {
	for _, s := range [][6]string{
		{"陈大伯", "男", "1950-01-01", validID("19500101", 12), "13800138000", ""},
		{"李阿姨", "", "", "441900196001010229", "0769-83212345", "13900139000"},
		{"小强", "男", "2015-01-01", "", "", ""},
		{"", "女", "1960-13-01", "x", "12345", ""},
		{"=HYPERLINK(\"http://evil\")", "未知", "2026/3/1", "11010519491231002x", "+86 138-1234-5678", "008613812345678"},
		{"王老伯", "男", "0000-01-01", "１１０１０５１９４９１２３１００２Ｘ", "８６13812345678", "\xff"},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	d := dbtest.SQLite(f)
	var fx *fixture
	f.Fuzz(func(t *testing.T, name, gender, birth, id, phone, phone2 string) {
		if fx == nil {
			fx = newFixture(t, d)
		}
		fx.t = t
		data := xlsx(t, importHeader, []any{name, gender, birth, id, phone, phone2})
		pv, err := fx.svc.ImportCheck(fx.ctx, fx.w1, "导入.xlsx", bytes.NewReader(data))
		if err != nil {
			if app.ErrorCode(err) != app.EInvalid || !hasHan(app.ErrorMessage(err)) {
				t.Fatalf("import check of %q: %v", []string{name, gender, birth, id, phone, phone2}, err)
			}
			return
		}
		if pv.Rows > 1 || len(pv.Problems) > pv.Rows {
			t.Fatalf("one row gave rows=%d problems=%+v", pv.Rows, pv.Problems)
		}
		for _, p := range pv.Problems {
			if p.Row != 2 || !hasHan(p.Reason) {
				t.Fatalf("problem %+v", p)
			}
		}
		if pv.Rows != 1 || len(pv.Problems) > 0 {
			return
		}
		// The row passed: what it holds is valid once trimmed.
		if strings.TrimSpace(name) == "" {
			t.Fatalf("a row without a name passed: %q", name)
		}
		if id = strings.TrimSpace(id); id != "" && pii.ValidateIDNumberAt(id, time.Now()) != nil {
			t.Fatalf("ID number %q passed", id)
		}
		for _, ph := range []string{phone, phone2} {
			if ph = strings.TrimSpace(ph); ph != "" && pii.ValidatePhone(ph) != nil {
				t.Fatalf("phone %q passed", ph)
			}
		}
		if birth = strings.TrimSpace(birth); birth != "" {
			if _, err := app.ParseDate(birth); err != nil {
				t.Fatalf("birth date %q passed", birth)
			}
		}
	})
}
