package cases_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

// The register is checked once per file, in chunks of ID numbers and
// phones: a file longer than one chunk still finds every clash, by the
// first or the second phone, and only clients of the same name clash by
// phone.
func TestClientImportChecksWholeFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.create(f.w1, cases.ClientInput{Name: "陈一", BirthDate: adult("").BirthDate, Phone: "13900000001"})
		f.create(f.w1, cases.ClientInput{Name: "陈二", BirthDate: adult("").BirthDate, Phone: "13900000008", Phone2: "13900000002"})
		taken := validID("19600101", 5)
		f.create(f.w1, cases.ClientInput{Name: "陈三", IDNumber: taken})
		// Twelve registered clients share a name and phone: a row like them
		// lists the ten oldest.
		for i := range 12 {
			f.create(f.w1, cases.ClientInput{Name: "同名", BirthDate: adult("").BirthDate, Phone: "13900000003", ConfirmDuplicate: i > 0})
		}
		n := 1200
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("客户%04d", i), "女", "1970-01-01", "", fmt.Sprintf("137%08d", i)}
		}
		rows[698] = []any{"陈一", "男", "1970-01-01", "", "13800000000", "13900000001"} // row 700: registered phone as phone2
		rows[898] = []any{"陈一", "男", "1970-01-01", "", "13800000009"}                // row 900: same name, other phone
		rows[998] = []any{"李四", "男", "1970-01-01", "", "13900000001"}                // row 1000: same phone, other name
		rows[1098] = []any{"陈二", "男", "1970-01-01", "", "13900000002"}               // row 1100: registered phone2
		rows[1148] = []any{"陈三", "", "", taken, "13900000001"}                       // row 1150: ID taken
		rows[1178] = []any{"同名", "男", "1970-01-01", "", "13900000003"}               // row 1180: twelve alike
		pv, err := f.svc.ImportCheck(f.ctx, f.w1, "大文件.xlsx", bytes.NewReader(xlsx(t, importHeader, rows...)))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{700: "与已登记的服务对象陈*（编号", 1100: "与已登记的服务对象陈*（编号",
			1150: "该身份证号码已登记为服务对象：陈*", 1180: "与已登记的服务对象同*（编号"}
		if pv.Rows != n || len(pv.Problems) != len(want) {
			t.Fatalf("rows %d, problems %+v", pv.Rows, pv.Problems)
		}
		for _, p := range pv.Problems {
			if !strings.HasPrefix(p.Reason, want[p.Row]) {
				t.Errorf("row %d: %q, want %q…", p.Row, p.Reason, want[p.Row])
			}
		}
		for _, p := range pv.Problems {
			switch p.Row {
			case 1150:
				if strings.Contains(p.Reason, "姓名和电话") {
					t.Errorf("a taken ID number also reported the phone: %q", p.Reason)
				}
			case 1180:
				if c := strings.Count(p.Reason, "可能重复"); c != 10 {
					t.Errorf("twelve alike: %d reported", c)
				}
			}
		}
	})
}

// The confirmation checks the file again against the register as it is
// then: a client registered after the dry run with a row's ID number or
// name and phone stops the whole import.
func TestClientImportRegisterChangedBeforeConfirm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		n := 600
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("客户%04d", i), "女", "1970-01-01", "", fmt.Sprintf("137%08d", i)}
		}
		id := validID("19700101", 4)
		rows[548] = []any{"新客", "", "", id}
		pv, err := f.svc.ImportCheck(f.ctx, f.w1, "名单.xlsx", bytes.NewReader(xlsx(t, importHeader, rows...)))
		if err != nil || !pv.Clean() {
			t.Fatalf("dry run: %+v %v", pv, err)
		}
		// Meanwhile two of the file's people are registered by hand.
		f.create(f.w2, cases.ClientInput{Name: "别名", IDNumber: id})
		f.create(f.w2, cases.ClientInput{Name: "客户0028", BirthDate: adult("").BirthDate, Phone: "13700000028"})
		before := f.count(`SELECT COUNT(*) FROM clients WHERE org_id = $1`, f.org)
		done, err := f.svc.ImportConfirm(f.ctx, f.w1, pv.Token)
		if err != nil {
			t.Fatal(err)
		}
		if done.Imported != 0 || len(done.Problems) != 2 || done.Problems[0].Row != 30 || done.Problems[1].Row != 550 ||
			!strings.Contains(done.Problems[1].Reason, "该身份证号码已登记为服务对象：别*") {
			t.Fatalf("confirm after the register changed: %+v", done)
		}
		if after := f.count(`SELECT COUNT(*) FROM clients WHERE org_id = $1`, f.org); after != before {
			t.Fatalf("clients %d → %d: the import was not all-or-nothing", before, after)
		}
		if c := f.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.import'`); c != 0 {
			t.Fatalf("audit rows of an import that did not happen: %d", c)
		}
	})
}
