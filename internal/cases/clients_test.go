package cases_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/pii"
)

func TestClientValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		good := validID("19800506", 124)
		bad := good[:17] + map[bool]string{true: "0", false: "1"}[good[17] != '0']
		cases_ := []struct {
			name  string
			in    cases.ClientInput
			field string
			want  string
		}{
			{"checksum", func() cases.ClientInput { in := adult("张三丰"); in.IDNumber = bad; return in }(),
				"id_number", pii.ErrIDChecksum.Error()},
			{"missing name", cases.ClientInput{BirthDate: app.NewDate(1980, 1, 1)}, "name", "姓名不能为空"},
			{"no birth date", cases.ClientInput{Name: "李四"}, "birth_date", "出生日期不能为空"},
			{"minor without guardian", cases.ClientInput{Name: "小明", BirthDate: app.NewDate(2015, 6, 1)},
				"guardian_name", "未满18岁的服务对象须填写监护人姓名"},
			{"minor guardian phone", cases.ClientInput{Name: "小明", BirthDate: app.NewDate(2015, 6, 1),
				GuardianName: "王芳", GuardianRelation: "mother"}, "guardian_phone", "未满18岁的服务对象须填写监护人电话"},
			{"bad phone", func() cases.ClientInput { in := adult("王五"); in.Phone = "12345"; return in }(),
				"phone", pii.ErrPhoneFormat.Error()},
			{"birth date against id", func() cases.ClientInput {
				in := adult("赵六")
				in.IDNumber = validID("19800507", 124)
				return in
			}(), "birth_date", "出生日期与身份证号码不符"},
			{"gender against id", func() cases.ClientInput {
				in := adult("钱七")
				in.IDNumber = validID("19800506", 123) // odd: male
				return in
			}(), "gender", "性别与身份证号码不符"},
			{"unknown category", func() cases.ClientInput { in := adult("孙八"); in.CategoryIDs = []int64{999999}; return in }(),
				"category_ids", "请选择有效的服务对象类别"},
			{"other worker", func() cases.ClientInput { in := adult("周九"); in.WorkerID = f.w2.StaffID; return in }(),
				"worker_id", "您无权将服务对象交由该社工负责"},
		}
		for _, c := range cases_ {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.Create(f.ctx, f.w1, c.in)
				if app.ErrorCode(err) != app.EInvalid {
					t.Fatalf("want invalid, got %v", err)
				}
				if got := app.FieldErrors(err)[c.field]; !strings.Contains(got, c.want) {
					t.Fatalf("field %s: got %q (all %v), want %q", c.field, got, app.FieldErrors(err), c.want)
				}
			})
		}
		if n := f.count(`SELECT COUNT(*) FROM clients`); n != 0 {
			t.Fatalf("invalid input stored %d clients", n)
		}
		// The ID number fills in birth date and gender; a minor with a
		// guardian is accepted; the default worker and site are the caller's.
		in := cases.ClientInput{Name: "小红", IDNumber: validID("20150601", 122), GuardianName: "王芳",
			GuardianRelation: "mother", GuardianPhone: "0769-83212345"}
		c := f.create(f.w1, in)
		if c.Gender != "女" || c.Age != 10 || !c.Minor || c.WorkerID != f.w1.StaffID || c.SiteID != f.siteA {
			t.Fatalf("created: %+v", c)
		}
		if c.GuardianPhoneMasked != "0769-****2345" || c.IDNumberMasked != "4419**********"+in.IDNumber[14:] {
			t.Fatalf("masks: %q %q", c.GuardianPhoneMasked, c.IDNumberMasked)
		}
	})
}

func TestClientDuplicates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		id := validID("19800506", 124)
		in := adult("张三丰")
		in.IDNumber, in.Phone = id, "138 0013 8000"
		first := f.create(f.w1, in)

		// Same ID number in the organization, even for another worker and
		// spelled differently: refused, naming the client masked.
		again := adult("张君宝")
		again.IDNumber = strings.ToLower(id[:6]) + " " + id[6:]
		_, err := f.svc.Create(f.ctx, f.w3, again)
		want := fmt.Sprintf("该身份证号码已登记为服务对象：张*丰（编号%s）", first.Code)
		if app.ErrorCode(err) != app.EConflict || app.FieldErrors(err)["id_number"] != want {
			t.Fatalf("duplicate id: %v %v", err, app.FieldErrors(err))
		}
		// Another organization may register the same person.
		f.create(f.far, in)

		// Same name and phone: a warning to confirm, listing the match masked.
		same := adult("张三丰")
		same.Phone2 = "+86 13800138000"
		_, err = f.svc.Create(f.ctx, f.w2, same)
		var de *cases.DuplicateError
		if !errors.As(err, &de) || app.ErrorCode(err) != app.EConflict || len(de.Matches) != 1 {
			t.Fatalf("name and phone: %v", err)
		}
		if m := de.Matches[0]; m.NameMasked != "张*丰" || m.PhoneMasked != "138****8000" || m.Code != first.Code {
			t.Fatalf("match: %+v", m)
		}
		same.ConfirmDuplicate = true
		f.create(f.w2, same)
		// Same phone, another name: no question.
		other := adult("李四")
		other.Phone = "13800138000"
		lisi := f.create(f.w2, other)
		if n := f.count(`SELECT COUNT(*) FROM clients WHERE org_id = $1`, f.org); n != 3 {
			t.Fatalf("clients: %d", n)
		}
		// Changing another client to a registered ID number is refused too.
		ed, err := f.svc.ForEdit(f.ctx, f.w2, lisi.ID)
		if err != nil {
			t.Fatal(err)
		}
		upd := adult("李四")
		upd.IDNumber, upd.Version = id, ed.Version
		if _, err := f.svc.Update(f.ctx, f.w2, ed.ID, upd); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("update to duplicate id: %v", err)
		}
	})
}

func TestClientEncryptedAtRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		id := validID("19800506", 124)
		in := adult("张三丰")
		in.IDNumber, in.Phone, in.Phone2, in.Address = id, "13800138000", "0769-83212345", "东莞市黄江镇北岸社区幸福路8号"
		c := f.create(f.w1, in)
		if c.IDNumberMasked != pii.MaskIDNumber(id) || c.PhoneMasked != "138****8000" || c.Phone2Masked != "0769-****2345" ||
			c.AddressMasked != "东莞市黄江镇****" || c.NameMasked != "张*丰" {
			t.Fatalf("masked view: %+v", c)
		}
		// No column of the stored row, and no audit row, holds a plain value.
		secrets := []string{id, id[6:14] + id[14:], "13800138000", "83212345", "幸福路"}
		for _, table := range []string{"clients", "audit_log"} {
			rows, err := d.R.Query(`SELECT * FROM ` + table)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			n := 0
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				for i, v := range vals {
					text := fmt.Sprint(v)
					if b, ok := v.([]byte); ok {
						text = string(b)
					}
					for _, sec := range secrets {
						if strings.Contains(text, sec) {
							t.Errorf("%s.%s holds %q in plain text", table, cols[i], sec)
						}
					}
				}
				n++
			}
			rows.Close()
			if n == 0 {
				t.Fatalf("no rows in %s", table)
			}
		}
		var enc string
		if err := d.R.QueryRow(`SELECT id_number_enc FROM clients WHERE id = $1`, c.ID).Scan(&enc); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(enc, "v1:") {
			t.Fatalf("id number not encrypted: %q", enc)
		}
		// The owner reveals; the reveal is audited in the same transaction.
		rv, err := f.svc.Reveal(f.ctx, f.w1, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rv.IDNumber != id || rv.Phone != "13800138000" || rv.Phone2 != "076983212345" || rv.Name != "张三丰" ||
			rv.Address != in.Address {
			t.Fatalf("revealed: %+v", rv)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.reveal' AND object_id = $1 AND user_id = $2`,
			fmt.Sprint(c.ID), f.w1.UserID); n != 1 {
			t.Fatalf("reveal audit rows: %d", n)
		}
		// Reading the detail is audited as a view.
		if _, err := f.svc.Get(f.ctx, f.w1, c.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.view' AND object_id = $1`, fmt.Sprint(c.ID)); n != 1 {
			t.Fatalf("view audit rows: %d", n)
		}
		// The service head reads across the organization but may not reveal.
		if _, err := f.svc.Get(f.ctx, f.svcHead, c.ID); err != nil {
			t.Fatalf("service head read: %v", err)
		}
		if _, err := f.svc.Reveal(f.ctx, f.svcHead, c.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("service head reveal: %v", err)
		}
	})
}

func TestClientScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c1 := f.create(f.w1, adult("甲一"))
		c2 := f.create(f.w2, adult("乙二"))
		c3 := f.create(f.w3, adult("丙三"))
		cx := f.create(f.far, adult("丁四"))
		sees := func(p *authz.Principal, want ...*cases.Client) {
			t.Helper()
			list, total, err := f.svc.List(f.ctx, p, cases.ClientFilter{}, app.ListQuery{Page: 1, Size: 50})
			if err != nil {
				t.Fatal(err)
			}
			var got, exp []int64
			for _, c := range list {
				got = append(got, c.ID)
			}
			for _, c := range want {
				exp = append([]int64{c.ID}, exp...)
			}
			if total != len(want) || fmt.Sprint(got) != fmt.Sprint(exp) {
				t.Fatalf("%s sees %v (total %d), want %v", p.Username, got, total, exp)
			}
			for _, c := range []*cases.Client{c1, c2, c3, cx} {
				_, err := f.svc.Get(f.ctx, p, c.ID)
				visible := false
				for _, w := range want {
					visible = visible || w.ID == c.ID
				}
				if visible != (err == nil) {
					t.Fatalf("%s get %s: %v", p.Username, c.Code, err)
				}
				if !visible && app.ErrorCode(err) != app.ENotFound {
					t.Fatalf("%s get %s outside scope: %v, want not found", p.Username, c.Code, err)
				}
			}
		}
		sees(f.w1, c1)
		sees(f.w2, c2)
		sees(f.sup, c3)      // the supervisee's, not the colleagues' at the own site
		sees(f.head, c1, c2) // the centre's
		sees(f.svcHead, c1, c2, c3)
		sees(f.ev)
		sees(f.far, cx)
		// Filters and search.
		list, _, err := f.svc.List(f.ctx, f.head, cases.ClientFilter{WorkerID: f.w2.StaffID}, app.ListQuery{Page: 1, Size: 20})
		if err != nil || len(list) != 1 || list[0].ID != c2.ID {
			t.Fatalf("worker filter: %v %v", list, err)
		}
		list, _, err = f.svc.List(f.ctx, f.svcHead, cases.ClientFilter{}, app.ListQuery{Page: 1, Size: 20, Q: "丙"})
		if err != nil || len(list) != 1 || list[0].ID != c3.ID {
			t.Fatalf("search: %v %v", list, err)
		}
		// Another worker cannot change, reveal or record on the client.
		if _, err := f.svc.Update(f.ctx, f.w2, c1.ID, adult("甲一")); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("update other's: %v", err)
		}
		if _, err := f.svc.Reveal(f.ctx, f.w2, c1.ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("reveal other's: %v", err)
		}
		if _, err := f.svc.AddContactCheck(f.ctx, f.w2, c1.ID, cases.ContactCheckInput{CheckedOn: app.NewDate(2026, 3, 1),
			Result: cases.ContactValid}); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("contact check on other's: %v", err)
		}
		// The centre head may give a client to a colleague at the centre.
		in := adult("戊五")
		in.WorkerID = f.w2.StaffID
		if c := f.create(f.head, in); c.WorkerID != f.w2.StaffID || c.SiteID != f.siteA {
			t.Fatalf("head assigns: %+v", c)
		}
		in.WorkerID = f.w3.StaffID
		if _, err := f.svc.Create(f.ctx, f.head, in); app.FieldErrors(err)["worker_id"] == "" {
			t.Fatalf("head assigns outside the centre: %v", err)
		}
		// Choices follow the scope.
		ch, err := f.svc.Choices(f.ctx, f.w1, cases.PermClientWrite)
		if err != nil || len(ch.Workers) != 1 || ch.Workers[0].ID != f.w1.StaffID || len(ch.Sites) != 1 || len(ch.Categories) != 8 {
			t.Fatalf("worker choices: %+v %v", ch, err)
		}
	})
}

func TestClientUpdate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		cats, err := f.svc.Categories(f.ctx, f.org, true)
		if err != nil || len(cats) != 8 || cats[0].Name != "青少年" {
			t.Fatalf("seeded categories: %v %v", cats, err)
		}
		in := adult("张三丰")
		in.IDNumber, in.Phone, in.Address = validID("19800506", 124), "13800138000", "东莞市黄江镇北岸社区幸福路8号"
		in.CategoryIDs = []int64{cats[1].ID}
		c := f.create(f.w1, in)
		ed, err := f.svc.ForEdit(f.ctx, f.w1, c.ID)
		if err != nil || ed.Name != "张三丰" || len(ed.CategoryIDs) != 1 {
			t.Fatalf("for edit: %+v %v", ed, err)
		}
		// Blank encrypted fields keep their values; Clear removes one.
		up := cases.ClientInput{Name: "张三丰", BirthDate: ed.BirthDate, Community: "北岸社区",
			CategoryIDs: []int64{cats[1].ID, cats[4].ID}, Clear: []string{"address"}, Version: ed.Version}
		got, err := f.svc.Update(f.ctx, f.w1, c.ID, up)
		if err != nil {
			t.Fatalf("update: %v %v", err, app.FieldErrors(err))
		}
		if got.PhoneMasked != "138****8000" || got.IDNumberMasked == "" || got.AddressMasked != "" || got.Gender != "女" ||
			len(got.Categories) != 2 || got.Version != ed.Version+1 {
			t.Fatalf("updated: %+v", got)
		}
		// A stale version is refused.
		if _, err := f.svc.Update(f.ctx, f.w1, c.ID, up); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("stale update: %v", err)
		}
		var detail string
		if err := d.R.QueryRow(`SELECT detail FROM audit_log WHERE action = 'client.update'`).Scan(&detail); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(detail, "地址") || !strings.Contains(detail, "类别") || strings.Contains(detail, "电话") {
			t.Fatalf("update audit detail: %q", detail)
		}
		// Contact checks: the latest by date sets the validity.
		if _, err := f.svc.AddContactCheck(f.ctx, f.w1, c.ID, cases.ContactCheckInput{CheckedOn: app.NewDate(2026, 2, 20),
			Result: cases.ContactWrongNumber, Note: "对方说打错了"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddContactCheck(f.ctx, f.w1, c.ID, cases.ContactCheckInput{CheckedOn: app.NewDate(2026, 2, 1),
			Result: cases.ContactValid}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddContactCheck(f.ctx, f.w1, c.ID, cases.ContactCheckInput{CheckedOn: app.NewDate(2026, 3, 3),
			Result: cases.ContactValid}); app.FieldErrors(err)["checked_on"] == "" {
			t.Fatalf("future check: %v", err)
		}
		g, _ := f.svc.Get(f.ctx, f.w1, c.ID)
		if g.ContactStatus != cases.ContactWrongNumber || g.ContactCheckedOn.String() != "2026-02-20" {
			t.Fatalf("contact status: %s %s", g.ContactStatus, g.ContactCheckedOn)
		}
		checks, err := f.svc.ContactChecks(f.ctx, f.head, c.ID)
		if err != nil || len(checks) != 2 || checks[0].CheckedBy != "用户w1" || checks[0].ResultLabel != "号码错误" {
			t.Fatalf("checks: %+v %v", checks, err)
		}
		list, _, _ := f.svc.List(f.ctx, f.w1, cases.ClientFilter{Contact: cases.ContactWrongNumber, CategoryID: cats[4].ID},
			app.ListQuery{Page: 1, Size: 20})
		if len(list) != 1 {
			t.Fatalf("contact and category filter: %d", len(list))
		}
	})
}

func TestHasValidConsent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		child := f.create(f.w1, cases.ClientInput{Name: "小明", BirthDate: app.NewDate(2016, 4, 1), GuardianName: "王芳",
			GuardianRelation: "mother", GuardianPhone: "13900139000"})
		grown := f.create(f.w1, adult("张三丰"))
		today := app.Today(now)
		check := func(id int64, asOf app.Date, want bool, reason string) {
			t.Helper()
			ok, why, err := f.svc.HasValidConsent(f.ctx, d.R, f.org, id, asOf)
			if err != nil || ok != want || why != reason {
				t.Fatalf("client %d on %s: %v %q %v, want %v %q", id, asOf, ok, why, err, want, reason)
			}
		}
		check(child.ID, today, false, "该服务对象尚未签署知情同意书")
		add := func(id int64, on app.Date, rel string) {
			t.Helper()
			if _, err := f.svc.AddConsent(f.ctx, f.w1, id, cases.ConsentInput{SignedOn: on, SignerName: "签署人",
				Relationship: rel, SharingScope: "仅限本机构社工及督导"}); err != nil {
				t.Fatalf("add consent: %v %v", err, app.FieldErrors(err))
			}
		}
		add(child.ID, app.NewDate(2026, 2, 1), cases.ConsentSelf)
		check(child.ID, today, false, "未满14岁的服务对象须由监护人签署知情同意书")
		add(child.ID, app.NewDate(2026, 3, 1), cases.ConsentParent)
		check(child.ID, today, true, "")
		// A consent signed later does not count for an earlier date.
		check(child.ID, app.NewDate(2026, 2, 15), false, "未满14岁的服务对象须由监护人签署知情同意书")
		check(grown.ID, today, false, "该服务对象尚未签署知情同意书")
		add(grown.ID, today, cases.ConsentSelf)
		check(grown.ID, today, true, "")
		if _, _, err := f.svc.HasValidConsent(f.ctx, d.R, f.other, grown.ID, today); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other organization: %v", err)
		}
		// Consent validation.
		_, err := f.svc.AddConsent(f.ctx, f.w1, grown.ID, cases.ConsentInput{Relationship: "friend"})
		fe := app.FieldErrors(err)
		if fe["signed_on"] == "" || fe["signer_name"] == "" || fe["relationship"] == "" || fe["sharing_scope"] == "" {
			t.Fatalf("consent validation: %v", fe)
		}
	})
}

func TestConsentAttachment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		c := f.create(f.w1, adult("张三丰"))
		in := func(name string, data []byte) cases.ConsentInput {
			return cases.ConsentInput{SignedOn: app.NewDate(2026, 3, 1), SignerName: "张三丰", Relationship: cases.ConsentSelf,
				SharingScope: "本机构", File: &cases.Upload{Filename: name, Data: data}}
		}
		pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 100)...)
		bad := []struct {
			name string
			data []byte
			want string
		}{
			{"form.pdf", []byte("<html><script>alert(1)</script></html>"), "只能上传PDF、JPEG或PNG格式的扫描件"},
			{"form.pdf", append([]byte("%PDF-1.4\n"), make([]byte, cases.MaxAttachmentSize)...), "文件不能超过5MB"},
			{"form.pdf", nil, "上传的文件是空的"},
		}
		for _, b := range bad {
			_, err := f.svc.AddConsent(f.ctx, f.w1, c.ID, in(b.name, b.data))
			if got := app.FieldErrors(err)["file"]; got != b.want {
				t.Fatalf("upload %q: %q", b.want, got)
			}
		}
		if n := f.count(`SELECT COUNT(*) FROM attachments`); n != 0 {
			t.Fatalf("bad uploads stored: %d", n)
		}
		k, err := f.svc.AddConsent(f.ctx, f.w1, c.ID, in(`..\..\扫描"件.html`, pdf))
		if err != nil {
			t.Fatal(err)
		}
		if k.Attachment == nil || k.Attachment.ContentType != "application/pdf" || k.Attachment.Size != int64(len(pdf)) ||
			k.SignerNameMasked != "张*丰" {
			t.Fatalf("consent: %+v", k)
		}
		a, err := f.svc.ConsentFile(f.ctx, f.w1, c.ID, k.ID)
		if err != nil || !bytes.Equal(a.Data, pdf) || a.Filename != "扫描件.pdf" {
			t.Fatalf("download: %q %v", a.Filename, err)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'client.consent.download'`); n != 1 {
			t.Fatalf("download audit: %d", n)
		}
		// Outside the scope: not found, for a colleague and another organization.
		for _, p := range []*authz.Principal{f.w2, f.far} {
			if _, err := f.svc.ConsentFile(f.ctx, p, c.ID, k.ID); app.ErrorCode(err) != app.ENotFound {
				t.Fatalf("%s download: %v", p.Username, err)
			}
		}
		// The supervisor of nobody here sees nothing; the centre head may.
		if _, err := f.svc.ConsentFile(f.ctx, f.head, c.ID, k.ID); err != nil {
			t.Fatalf("head download: %v", err)
		}
	})
}
