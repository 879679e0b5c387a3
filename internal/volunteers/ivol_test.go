package volunteers_test

import (
	"fmt"
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/volunteers"
)

func TestIvolExportMarksRecordsOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		idNo := validID("44190019950707003")
		reg, err := f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteA, Name: "注册者", IDNumber: idNo,
			Phone: "13600000001", IvolID: "IV0001", Skills: "摄影"})
		if err != nil {
			t.Fatal(err)
		}
		unreg := f.volunteer(w, f.siteA, "未注册", 2, false)
		r1 := f.record(w, reg, "2026-02-01", "09:00", "11:30", "长者探访")
		f.record(w, reg, "2026-02-08", "09:00", "10:00", "社区义诊")
		f.record(w, unreg, "2026-02-01", "09:00", "11:30", "长者探访")

		pend, err := f.svc.Pending(f.ctx, w)
		if err != nil || len(pend.Activities) != 2 || pend.Registrations != 1 {
			t.Fatalf("pending: %v %+v", err, pend)
		}
		if a := pend.Activities[0]; a.ActivityName != "长者探访" || a.Records != 2 || a.Unregistered != 1 || a.Minutes != 300 {
			t.Fatalf("pending activity: %+v", a)
		}

		// Without reveal: no export at all.
		ev := f.user(f.org, authz.RoleEvaluator)
		if _, err := f.svc.Export(f.ctx, ev, volunteers.ExportInput{}); app.ErrorCode(err) != app.EForbidden {
			t.Fatalf("evaluator export: %v", err)
		}
		// One activity first.
		file, err := f.svc.Export(f.ctx, w, volunteers.ExportInput{Kind: volunteers.KindHours, ActivityName: "长者探访"})
		if err != nil {
			t.Fatal(err)
		}
		if len(file.Rows) != 1 || len(file.Cols) != 11 || file.Cols[0].Header != "证件号码" || file.Cols[6].Header != "服务时长（分钟）" {
			t.Fatalf("file: %+v", file)
		}
		row := fmt.Sprint(file.Rows[0])
		if row != fmt.Sprint([]any{idNo, "注册者", "13600000001", "长者探访", "2026-02-01", 2, 30, 0, 0, "王社工", "13800138000"}) {
			t.Fatalf("row: %s", row)
		}
		// The rest; the unregistered volunteer's record waits.
		file2, err := f.svc.Export(f.ctx, w, volunteers.ExportInput{Kind: volunteers.KindHours})
		if err != nil || len(file2.Rows) != 1 || file2.Rows[0][3] != "社区义诊" {
			t.Fatalf("second export: %v %+v", err, file2)
		}
		// Nothing is exported twice.
		if _, err := f.svc.Export(f.ctx, w, volunteers.ExportInput{Kind: volunteers.KindHours}); app.ErrorCode(err) != app.EInvalid {
			t.Fatalf("third export: %v", err)
		}
		if n := f.count(`SELECT COUNT(*) FROM volunteer_services WHERE batch_id IS NOT NULL`); n != 2 {
			t.Fatalf("%d marked", n)
		}
		// Exported records are frozen.
		if _, err := f.svc.UpdateRecord(f.ctx, w, r1.ID, f.recordInput(reg, "2026-02-01", "09:00", "11:00", "长者探访")); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("edit exported: %v", err)
		}
		if err := f.svc.DeleteRecord(f.ctx, w, r1.ID); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("delete exported: %v", err)
		}
		// Once registered, the waiting record goes with the next export, alone.
		f.exec(`UPDATE volunteers SET ivol_id = 'IV0002' WHERE id = $1`, unreg.ID)
		f.record(w, reg, "2026-03-01", "09:00", "10:00", "社区义诊")
		file3, err := f.svc.Export(f.ctx, w, volunteers.ExportInput{})
		if err != nil || len(file3.Rows) != 2 {
			t.Fatalf("third batch: %v %+v", err, file3)
		}
		// Registrations: exported once.
		f.volunteer(w, f.siteA, "新人", 3, false)
		rf, err := f.svc.Export(f.ctx, w, volunteers.ExportInput{Kind: volunteers.KindRegistration})
		if err != nil || len(rf.Rows) != 1 || rf.Rows[0][0] != "新人" || rf.Rows[0][5] != "13900000003" || rf.Cols[4].Header != "证件号码" {
			t.Fatalf("registration export: %v %+v", err, rf)
		}
		if _, err := f.svc.Export(f.ctx, w, volunteers.ExportInput{Kind: volunteers.KindRegistration}); app.ErrorCode(err) != app.EInvalid {
			t.Fatalf("registration twice: %v", err)
		}
		batches, total, err := f.svc.Batches(f.ctx, w, app.ListQuery{Page: 1, Size: 20})
		if err != nil || total != 4 || batches[0].Kind != volunteers.KindRegistration || batches[3].ActivityName != "长者探访" {
			t.Fatalf("batches: %v %d %+v", err, total, batches)
		}
		// A lost download can be fetched again; it marks nothing new.
		again, err := f.svc.BatchFile(f.ctx, w, batches[3].ID)
		if err != nil || fmt.Sprint(again.Rows[0]) != row {
			t.Fatalf("re-download: %v %+v", err, again)
		}
		if n := f.count(`SELECT COUNT(*) FROM audit_log WHERE action IN ('ivol.export', 'ivol.redownload')`); n != 5 {
			t.Fatalf("exports audited: %d", n)
		}
		// Another service point's worker sees no batch of site A.
		wb := f.user(f.org, authz.RoleWorker, f.siteB)
		if _, n, _ := f.svc.Batches(f.ctx, wb, app.ListQuery{Page: 1, Size: 20}); n != 0 {
			t.Fatalf("other site sees %d batches", n)
		}
		if _, err := f.svc.BatchFile(f.ctx, wb, batches[3].ID); app.ErrorCode(err) != app.ENotFound {
			t.Fatalf("other site re-download: %v", err)
		}
		if strings.Contains(file.Name(), "/") || !strings.HasSuffix(file.Name(), ".xlsx") {
			t.Fatalf("file name %q", file.Name())
		}
	})
}

func TestImportVolunteersDryRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		f.volunteer(w, f.siteA, "老义工", 9, true) // V2026-0001 holds 13900000009
		header := []string{"姓名*", "服务点*", "性别", "出生年月", "证件类型", "证件号码", "手机号码", "服务技能", "i志愿编号", "同意登记更多信息", "同意日期", "住址"}
		good1 := validID("44190019920202004")
		rows := [][]any{
			{"张三", "北岸中心", "", "", "", good1, "13500000001", "唱歌", "", "否", "", ""},
			{"", "北岸中心", "", "", "", "", "13500000002", "", "", "", "", ""},                // 3: no name
			{"李四", "振华中心", "", "", "", "", "13500000003", "", "", "", "", ""},              // 4: other site
			{"王五", "北岸中心", "", "", "", "441900199202020041", "", "", "", "", "", ""},       // 5: bad checksum
			{"赵六", "北岸中心", "", "", "", "", "13900000009", "", "", "", "", ""},              // 6: phone taken
			{"钱七", "北岸中心", "", "", "护照", "E1234567", "1350000000", "", "", "", "", "某路1号"}, // 7: bad phone, address without consent
			{"孙八", "北岸中心", "", "", "", good1, "13500000008", "", "", "", "", ""},           // 8: same ID as row 2
			{"周九", "北岸中心", "男", "1980-13", "", "", "13500000010", "", "", "也许", "", ""},    // 9: bad month, bad yes/no
		}
		res, err := f.svc.ImportVolunteers(f.ctx, w, xlsx(t, header, rows...), true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 8 || res.Imported != 0 || len(res.Errors) != 7 {
			t.Fatalf("dry run: %+v", res)
		}
		want := map[int][]string{
			3: {"姓名不能为空"}, 4: {"振华中心", "无权"}, 5: {"校验位"}, 6: {"V2026-0001"},
			7: {"手机号码格式不正确", "须先取得志愿者同意"}, 8: {"第2行"}, 9: {"出生年月", "是或否"},
		}
		for _, e := range res.Errors {
			for _, s := range want[e.Row] {
				if !strings.Contains(e.Message, s) {
					t.Errorf("row %d: %q lacks %q", e.Row, e.Message, s)
				}
			}
			delete(want, e.Row)
		}
		if len(want) != 0 {
			t.Fatalf("rows not reported: %v", want)
		}
		// Not a dry run, still bad: nothing imported either.
		res, _ = f.svc.ImportVolunteers(f.ctx, w, xlsx(t, header, rows...), false)
		if res.Imported != 0 || len(res.Errors) != 7 {
			t.Fatalf("bad import: %+v", res)
		}
		if n := f.count(`SELECT COUNT(*) FROM volunteers`); n != 1 {
			t.Fatalf("%d volunteers after bad import", n)
		}
		// The clean file: dry run passes and writes nothing, then the import writes all.
		clean := [][]any{rows[0], {"李四", "北岸中心", "男", "1985-07", "护照", "E1234567", "13500000003", "", "", "是", "2026-03-01", "某路1号"}}
		res, _ = f.svc.ImportVolunteers(f.ctx, w, xlsx(t, header, clean...), true)
		if !res.OK() || res.Rows != 2 || res.Imported != 0 || f.count(`SELECT COUNT(*) FROM volunteers`) != 1 {
			t.Fatalf("clean dry run: %+v", res)
		}
		res, err = f.svc.ImportVolunteers(f.ctx, w, xlsx(t, header, clean...), false)
		if err != nil || !res.OK() || res.Imported != 2 {
			t.Fatalf("import: %v %+v", err, res)
		}
		list, _, _ := f.svc.List(f.ctx, w, volunteers.Filter{ListQuery: app.ListQuery{Page: 1, Size: 20, Sort: "no"}})
		if len(list) != 3 || list[1].Name != "张三" || list[1].Gender != "女" || list[2].IDType != volunteers.IDPassport || !list[2].Consent {
			t.Fatalf("imported: %+v", list)
		}
		// A file without the required columns is refused as a whole.
		res, _ = f.svc.ImportVolunteers(f.ctx, w, xlsx(t, []string{"名字"}, []any{"x"}), true)
		if res.OK() || !strings.Contains(res.Errors[0].Message, "缺少列「姓名」") {
			t.Fatalf("bad header: %+v", res)
		}
		res, _ = f.svc.ImportVolunteers(f.ctx, w, strings.NewReader("not a spreadsheet"), true)
		if res.OK() || res.Errors[0].Row != 0 {
			t.Fatalf("not xlsx: %+v", res)
		}
	})
}

func TestImportHoursDryRun(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		a := f.volunteer(w, f.siteA, "甲", 1, true)
		b := f.volunteer(w, f.siteA, "乙", 2, true)
		f.record(w, a, "2026-02-01", "09:00", "11:00", "长者探访")
		f.svc.CreateTeam(f.ctx, w, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队"})
		header := []string{"志愿者编号", "证件号码", "手机号码", "姓名", "活动名称*", "服务日期*", "开始时间*", "结束时间*", "迟到分钟", "服务队"}
		rows := [][]any{
			{a.No, "", "", "甲", "社区义诊", "2026-02-02", "9:00", "11:00", "", "探访队"},
			{"", "", "13900000002", "", "社区义诊", "2026-02-02", "0.375", "0.5", "15", ""}, // b by phone, Excel time fractions
			{a.No, "", "", "", "社区义诊", "2026-02-01", "10:00", "12:00", "", ""},          // 4: overlaps the stored record
			{a.No, "", "", "", "社区义诊", "2026-02-02", "10:30", "11:30", "", ""},          // 5: overlaps row 2
			{"V2026-0099", "", "", "", "社区义诊", "2026-02-02", "9:00", "10:00", "", ""},   // 6: unknown volunteer
			{b.No, "", "", "丙", "", "2026-13-01", "9:00", "8:00", "x", "无此队"},           // 7: many problems
			{"", "", "", "", "社区义诊", "2026-02-02", "9:00", "10:00", "", ""},             // 8: nobody named
		}
		res, err := f.svc.ImportRecords(f.ctx, w, xlsx(t, header, rows...), true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 7 || len(res.Errors) != 5 || res.Imported != 0 {
			t.Fatalf("dry run: %+v", res)
		}
		want := map[int][]string{
			4: {"2026-02-01 09:00–11:00", "长者探访", "不能重叠"}, 5: {"第2行"}, 6: {"V2026-0099"},
			7: {"丙", "活动名称不能为空", "服务日期格式", "迟到分钟应为整数", "无此队"}, 8: {"至少填写一项"},
		}
		for _, e := range res.Errors {
			for _, s := range want[e.Row] {
				if !strings.Contains(e.Message, s) {
					t.Errorf("row %d: %q lacks %q", e.Row, e.Message, s)
				}
			}
			delete(want, e.Row)
		}
		if len(want) != 0 {
			t.Fatalf("rows not reported: %v", want)
		}
		res, _ = f.svc.ImportRecords(f.ctx, w, xlsx(t, header, rows...), false)
		if res.Imported != 0 || f.count(`SELECT COUNT(*) FROM volunteer_services`) != 1 {
			t.Fatalf("bad file imported something: %+v", res)
		}
		res, err = f.svc.ImportRecords(f.ctx, w, xlsx(t, header, rows[:2]...), false)
		if err != nil || !res.OK() || res.Imported != 2 {
			t.Fatalf("import: %v %+v", err, res)
		}
		recs, _, sum, _ := f.svc.Records(f.ctx, w, volunteers.RecordFilter{ListQuery: app.ListQuery{Page: 1, Size: 20}})
		if len(recs) != 3 || sum != 120+120+165 {
			t.Fatalf("records after import: %d %d", len(recs), sum)
		}
		for _, r := range recs {
			if r.VolunteerID == b.ID && (r.Start != "09:00" || r.End != "12:00" || r.LateMinutes != 15) {
				t.Fatalf("fractions of a day: %+v", r)
			}
			if r.VolunteerID == a.ID && r.Date.String() == "2026-02-02" && r.TeamName != "探访队" {
				t.Fatalf("team: %+v", r)
			}
		}
	})
}
