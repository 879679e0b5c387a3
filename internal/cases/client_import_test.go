package cases_test

import (
	"bytes"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/export"
	"shegong/internal/pii"
)

var importHeader = []string{"姓名", "性别", "出生日期", "身份证号码", "电话", "备用电话", "地址", "镇街", "社区（村）", "类别",
	"监护人姓名", "监护人关系", "监护人电话", "负责社工工号", "服务点", "备注"}

func TestClientImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		existing := cases.ClientInput{Name: "王老伯", IDNumber: validID("19500101", 13), Phone: "13700137000"}
		f.create(f.w1, existing)
		badID := validID("19600101", 22)
		badID = badID[:17] + map[bool]string{true: "1", false: "2"}[badID[17] != '1']
		dupInFile := validID("19700101", 31)
		rows := [][]any{
			{"陈大伯", "男", "1950-01-01", "441900195001011233", "13800138000", "", "", "", "", "长者", "", "", "", "", "", "示例行，导入前请删除"}, // 2
			{"", "女", "1960-01-01"},                                                   // 3: no name
			{"李阿姨", "", "", badID, "", "", "", "", "", "长者"},                          // 4: bad checksum
			{"黄先生", "男", "1970-02-02", "", "12345"},                                   // 5: bad phone
			{"林女士", "女", "1970-02-02", "", "", "", "", "", "", "长者、宇航员"},              // 6: unknown category
			{"周一", "", "", dupInFile, "13600136000"},                                  // 7
			{"周二", "", "", dupInFile},                                                 // 8: same ID as row 7
			{"何伯", "男", "1950-01-01", existing.IDNumber},                              // 9: registered already
			{"王老伯", "男", "1951-01-01", "", "137-0013-7000"},                           // 10: same name and phone as registered
			{"小强", "男", "2015-01-01"},                                                 // 11: minor without guardian
			{"郑生", "男", "1980-01-01", "", "", "", "", "", "", "", "", "", "", "E-w2"}, // 12: another worker's client
		}
		data := xlsx(t, importHeader, rows...)
		pv, err := f.svc.ImportCheck(f.ctx, f.w1, "客户名单.xlsx", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{
			2:  "示例行",
			3:  "姓名不能为空",
			4:  pii.ErrIDChecksum.Error(),
			5:  "电话：" + pii.ErrPhoneFormat.Error(),
			6:  "未知的类别“宇航员”",
			8:  "身份证号码与第7行重复",
			9:  "该身份证号码已登记为服务对象：王*伯",
			10: "与已登记的服务对象王*伯",
			11: "未满18岁的服务对象须填写监护人姓名",
			12: "您无权将服务对象交由该社工负责",
		}
		if pv.Rows != len(rows) || len(pv.Problems) != len(want) || pv.Token != "" {
			t.Fatalf("dry run: rows %d, problems %+v, token %q", pv.Rows, pv.Problems, pv.Token)
		}
		for _, p := range pv.Problems {
			if !strings.Contains(p.Reason, want[p.Row]) {
				t.Errorf("row %d: %q, want %q", p.Row, p.Reason, want[p.Row])
			}
			for _, secret := range []string{badID, dupInFile, existing.IDNumber} {
				if strings.Contains(p.Reason, secret) {
					t.Errorf("row %d reason shows an ID number", p.Row)
				}
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM clients WHERE org_id = $1`, f.org); n != 1 {
			t.Fatalf("dry run imported: %d", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM client_import_uploads`); n != 0 {
			t.Fatalf("a bad file was kept: %d", n)
		}

		// A clean file: preview, then one transaction and one audit row.
		clean := xlsx(t, importHeader,
			[]any{"陈大伯", "男", "1950-01-01", validID("19500101", 15), "13800138000", "", "东莞市黄江镇北岸社区1号", "", "北岸社区", "长者、低保"},
			[]any{"小红", "", "", validID("20150601", 22), "", "", "", "", "", "青少年、困境儿童", "王芳", "母亲", "13900139000"},
			[]any{"刘姐", "女", "1985/3/8", "", "0769-83212345", "", "", "", "", "妇女", "", "", "", "E-w1", "北岸中心"},
		)
		pv, err = f.svc.ImportCheck(f.ctx, f.w1, "客户名单.xlsx", bytes.NewReader(clean))
		if err != nil || !pv.Clean() || pv.Token == "" {
			t.Fatalf("clean dry run: %+v %v", pv, err)
		}
		if pv.Rows != 3 || pv.Minors != 1 || pv.WithID != 2 || pv.WithTel != 2 || len(pv.BySite) != 1 || pv.BySite[0].Count != 3 {
			t.Fatalf("preview: %+v", pv)
		}
		if n := f.count(`SELECT COUNT(*) FROM clients WHERE org_id = $1`, f.org); n != 1 {
			t.Fatalf("dry run imported: %d", n)
		}
		// The kept file is encrypted too.
		var enc string
		if err := d.R.QueryRow(`SELECT data_enc FROM client_import_uploads`).Scan(&enc); err != nil || !strings.HasPrefix(enc, "v1:") {
			t.Fatalf("kept file: %v", err)
		}
		// Only the uploader may confirm.
		if _, err := f.svc.ImportConfirm(f.ctx, f.w2, pv.Token); app.ErrorCode(err) != app.EInvalid {
			t.Fatalf("confirm by another user: %v", err)
		}
		done, err := f.svc.ImportConfirm(f.ctx, f.w1, pv.Token)
		if err != nil || done.Imported != 3 {
			t.Fatalf("confirm: %+v %v", done, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM clients WHERE org_id = $1 AND worker_id = $2`, f.org, f.w1.StaffID); n != 4 {
			t.Fatalf("imported: %d", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.import' AND detail LIKE '%3 名%'`); n != 1 {
			t.Fatalf("import audit rows: %d", n)
		}
		if n := f.count(`SELECT COUNT(*) FROM client_category_links`); n != 5 {
			t.Fatalf("category links: %d", n)
		}
		// The token is spent.
		if _, err := f.svc.ImportConfirm(f.ctx, f.w1, pv.Token); app.ErrorCode(err) != app.EInvalid {
			t.Fatalf("second confirm: %v", err)
		}
		// Importing the same file again finds every row registered.
		pv, err = f.svc.ImportCheck(f.ctx, f.w1, "again.xlsx", bytes.NewReader(clean))
		if err != nil || len(pv.Problems) != 3 {
			t.Fatalf("re-import: %+v %v", pv, err)
		}
		// Not a spreadsheet, or no header.
		if _, err := f.svc.ImportCheck(f.ctx, f.w1, "x.xlsx", strings.NewReader("hello")); app.FieldErrors(err)["file"] != export.ErrNotXLSX.Error() {
			t.Fatalf("not xlsx: %v", err)
		}
		if _, err := f.svc.ImportCheck(f.ctx, f.w1, "x.xlsx", bytes.NewReader(xlsx(t, []string{"名字"}, []any{"张三"}))); app.ErrorCode(err) != app.EInvalid {
			t.Fatalf("no header: %v", err)
		}
		// The template has the header and the example row, which is never imported.
		var buf bytes.Buffer
		if err := f.svc.ImportTemplate(&buf); err != nil {
			t.Fatal(err)
		}
		sheet, err := export.ReadXLSX(bytes.NewReader(buf.Bytes()), "", export.ReadLimits{})
		if err != nil || len(sheet) != 2 || strings.Join(sheet[0], ",") != strings.Join(importHeader, ",") {
			t.Fatalf("template: %v %v", sheet, err)
		}
	})
}
