package e2e

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"shegong/internal/authz"
	"shegong/internal/testenv"
)

// acceptConfirm answers yes to the next confirmation on the page.
func acceptConfirm(b *Browser) {
	b.T.Helper()
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](`window.confirm = function () { return true; }; 1`)); err != nil {
		b.T.Fatal(err)
	}
}

// printShot saves a screenshot of the page as it prints (print style sheet,
// A4 width), then returns to the screen.
func printShot(b *Browser, name string) {
	b.T.Helper()
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	b.Run(chromedp.EmulateViewport(794, 1123), media("print"))
	b.Shot(name)
	b.Run(chromedp.EmulateViewport(1280, 900), media(""))
}

// TestCaseLifecycle walks one case through its whole life with a worker and
// her supervisor: the client and the consent, intake, assessment and plan,
// the opening sent back with a comment and approved on resubmission, two
// follow-ups (one on a phone), a referral with its printable letter, the
// closure, two post-closure follow-ups and the archive.
func TestCaseLifecycle(t *testing.T) {
	e := testenv.New(t, "")
	o := e.Org("lvye", "东莞市绿叶社会工作服务中心")
	site := o.Site("黄江镇北岸社区综合服务中心", "centre")
	e.Exec(`UPDATE sites SET code = 'BA' WHERE id = $1`, site)
	chen := o.User("chen", true, authz.RoleWorker).Assign(site, "worker")
	e.Exec(`UPDATE staff SET name = '陈晓琳' WHERE id = $1`, chen.StaffID)
	e.Exec(`UPDATE users SET display_name = '陈晓琳' WHERE id = $1`, chen.UserID)
	wang := o.User("wang", true, authz.RoleSupervisor).Assign(site, "supervisor")
	e.Exec(`UPDATE staff SET name = '王督导' WHERE id = $1`, wang.StaffID)
	e.Exec(`UPDATE users SET display_name = '王督导' WHERE id = $1`, wang.UserID)
	wang.Supervises(chen)

	wb := NewBrowser(t, e.HTTP.URL, "case-worker", 1280, 900)
	signIn(wb, "chen")

	// The client and the informed consent.
	wb.Open("/clients/new")
	wb.Fill("#f-name", "张秀英")
	wb.Select("#f-birth_date", "1948-03-15")
	wb.Fill("#f-phone", "13800138000")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("已登记服务对象", "张*英")
	wb.Click(`a[href$="/consents/new"]`)
	wb.Select("#f-signed_on", "2026-03-02")
	wb.Fill("#f-signer_name", "张秀英")
	wb.Select("#f-relationship", "self")
	write(wb, "#f-sharing_scope", "仅限负责社工、督导及中心负责人；转介时经本人同意后提供给接收机构")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("知情同意书")

	// Intake: an error first, then the case with its number.
	wb.Open("/cases/new")
	wb.MustSee("接案（新建个案）", "张*英")
	if _, err := chromedp.Run(wb.Ctx, chromedp.Evaluate[int](
		`document.querySelector('#f-client_id').selectedIndex = 1; 1`)); err != nil {
		t.Fatal(err)
	}
	wb.Select("#f-source", "community")
	wb.Select("#f-risk_level", "medium")
	write(wb, "#f-presenting_problem", "独居长者，老伴去年去世后情绪低落，很少出门，子女在外地工作，社区网格员反映近期两次忘记关煤气。")
	wb.Select("#f-intake_date", "2026-03-09")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("接案日期不能晚于今天")
	wb.Shot("intake-error")
	wb.Select("#f-intake_date", "2026-03-02")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("已接案，个案编号 2026-BA-0001", "填写预估表")
	caseURL := wb.URL()
	if !regexp.MustCompile(`/cases/\d+$`).MatchString(caseURL) {
		t.Fatalf("case page at %s", caseURL)
	}
	casePath := regexp.MustCompile(`/cases/\d+$`).FindString(caseURL)
	wb.Shot("intake")

	wb.Click(`a[href$="/assessment"]`)
	write(wb, "#f-assessment", "丧偶后社会支持减少，存在抑郁倾向（GDS-15 得分 9）；有一定安全风险。")
	write(wb, "#f-needs", "情绪支持；恢复与子女的定期联系；居家安全改善。")
	write(wb, "#f-strengths", "身体尚可，愿意参加社区长者活动；邻居热心。")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("预估表已保存", "制定服务计划")
	wb.Click(`a[href$="/plan"]`)
	write(wb, "#f-strategy", "每两周面谈一次，联系子女建立每周视频通话，链接社区长者活动与燃气报警器资源。")
	wb.Fill("#f-goal_title_0", "情绪稳定")
	wb.Fill("#f-goal_measure_0", "GDS-15 得分降至 5 以下")
	wb.Fill("#f-goal_title_1", "与子女每周联系")
	wb.Fill("#f-goal_measure_1", "连续四周有通话记录")
	wb.Fill("#f-goal_title_2", "居家安全")
	wb.Fill("#f-goal_measure_2", "安装燃气报警器")
	wb.Shot("plan-form")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("服务计划已保存", "提交开案申请", "情绪稳定", "居家安全")
	write(wb, `form[action$="/submit"] textarea`, "已完成接案、预估和服务计划，请督导审批。")
	wb.Click(`form[action$="/submit"] button`)
	wb.MustSee("开案申请已提交，等待督导审批", "开案审批中")
	wb.Shot("submitted")

	// The supervisor sends it back with a comment.
	sb := NewBrowser(t, e.HTTP.URL, "case-supervisor", 1280, 900)
	signIn(sb, "wang")
	sb.MustSee("开案申请：个案 2026-BA-0001")
	sb.Shot("home-todo")
	sb.Open(casePath)
	sb.MustSee("待您审批：开案申请", "独居长者")
	write(sb, `form[action$="/decide"] textarea`, "请补充子女的联系方式和意愿，并细化居家安全的具体措施。")
	sb.Click(`form[action$="/decide"] button[value=reject]`)
	sb.MustSee("已驳回", "计划", "请补充子女的联系方式和意愿")
	sb.Shot("rejected")

	wb.Open(casePath)
	wb.MustSee("修改后重新提交开案申请", "请补充子女的联系方式和意愿")
	wb.Shot("rejected-worker")
	wb.Click(`a[href$="/plan"]`)
	wb.Fill("#f-goal_measure_2", "安装燃气报警器，子女每周视频时提醒关煤气")
	wb.Click("#main form button[type=submit]")
	write(wb, `form[action$="/submit"] textarea`, "已补充子女（儿子，深圳）同意每周视频，居家安全措施已细化。")
	wb.Click(`form[action$="/submit"] button`)
	wb.MustSee("开案申请已提交")

	sb.Open(casePath)
	write(sb, `form[action$="/decide"] textarea`, "同意开案，注意关注安全风险。")
	sb.Click(`form[action$="/decide"] button[value=approve]`)
	sb.MustSee("已同意", "介入跟进中")
	sb.Shot("opened")
	sb.Open("/cases")
	sb.MustSee("2026-BA-0001", "张*英", "介入跟进中")
	sb.Shot("case-list")
	sb.Open("/cases/reassign?from=" + strconv.FormatInt(chen.StaffID, 10))
	sb.MustSee("批量转移个案", "2026-BA-0001")
	sb.Shot("bulk-reassign")

	// Two follow-ups, the second on a phone.
	wb.Open(casePath)
	wb.Click(`a[href$="/followups/new"]`)
	wb.Select("#f-method", "home_visit")
	write(wb, "#f-content", "家访，了解近况；服务对象情绪较上周平稳，协助与儿子视频通话。")
	write(wb, "#f-next_step", "联系燃气公司安装报警器。")
	selectAll(wb, `select[name^="progress_"]`, "some")
	wb.Shot("followup-form")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("跟进记录已保存")

	pb := NewBrowser(t, e.HTTP.URL, "case-phone", 390, 844)
	signIn(pb, "chen")
	pb.Open(casePath + "/followups/new")
	pb.Select("#f-method", "phone")
	pb.Fill("#f-duration_min", "20")
	write(pb, "#f-content", "电话跟进，报警器已安装，服务对象参加了社区长者合唱活动。")
	selectAll(pb, `select[name^="progress_"]`, "much")
	pb.Shot("followup-phone")
	pb.Click("#main form button[type=submit]")
	pb.MustSee("跟进记录已保存")
	pb.Shot("case-phone")

	// Three weeks later without a follow-up: the worker is reminded.
	e.Clock.Set(time.Date(2026, 3, 25, 2, 0, 0, 0, time.UTC))
	signIn(wb, "chen")
	wb.MustSee("个案跟进不足", "已 23 天没有跟进记录")
	wb.Shot("home-reminder")
	signIn(sb, "wang")
	sb.MustSee("被督导同工个案跟进不足", "陈晓琳：1 个个案跟进不足")
	sb.Shot("home-supervisee-behind")

	// A referral to an outside agency, approved, with its letter.
	wb.Open(casePath)
	wb.Click(`a[href$="/referrals/new"]`)
	wb.Select("#f-kind", "external")
	wb.Fill("#f-to_agency", "黄江镇社区卫生服务中心")
	wb.Fill("#f-to_contact", "李医生")
	wb.Fill("#f-to_phone", "0769-83631234")
	write(wb, "#f-reason", "服务对象记忆力下降，需要专业的认知功能评估。")
	write(wb, "#f-services", "认知功能评估及家庭医生随访。")
	wb.Select("#f-after", "keep")
	wb.Click("#main form button[type=submit]")
	wb.MustSee("转介申请 2026-BA-0001-Z1 已提交")
	sb.Open(casePath)
	write(sb, `form[action$="/decide"] textarea`, "同意转介，请跟进评估结果。")
	sb.Click(`form[action$="/decide"] button[value=approve]`)
	sb.MustSee("已同意", "已转介")
	wb.Open(casePath)
	wb.Click(`a[href$="/letter"]`)
	wb.MustSee("转 介 书", "黄江镇社区卫生服务中心", "张秀英", "同意转介，请跟进评估结果")
	wb.Shot("referral-letter")
	printShot(wb, "referral-letter-print")

	// Closure with the supervisor's consent.
	wb.Open(casePath)
	wb.Click(`a[href$="/closure"]`)
	wb.Select("#f-reason", "goals_met")
	write(wb, "#f-summary", "经过一个月介入，服务对象情绪稳定，与儿子每周视频，居家安全隐患已消除。")
	selectAll(wb, `select[name^="attainment_"]`, "achieved")
	acceptConfirm(wb)
	wb.Click("#main form button[type=submit]")
	wb.MustSee("结案申请已提交", "结案审批中")
	sb.Open(casePath)
	write(sb, `form[action$="/decide"] textarea`, "同意结案，按要求做好结案后跟进。")
	sb.Click(`form[action$="/decide"] button[value=approve]`)
	sb.MustSee("已同意", "结案后跟进")
	sb.Shot("closed")

	// Two post-closure follow-ups a month apart; the second archives it.
	postClosure := func(day time.Time, method, content string) {
		t.Helper()
		e.Clock.Set(day)
		signIn(wb, "chen")
		wb.Open(casePath)
		wb.Click(`a[href$="/post-closure/new"]`)
		wb.Select("#f-method", method)
		write(wb, "#f-content", content)
		wb.Click("#main form button[type=submit]")
		wb.MustSee("结案后跟进记录已保存")
	}
	postClosure(time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC), "phone", "电话回访，情况稳定，每周与儿子视频。")
	wb.MustSee("第 1 个月", "已记录", "第 2 个月", "未记录")
	wb.Shot("post-closure-1")
	postClosure(time.Date(2026, 4, 30, 2, 0, 0, 0, time.UTC), "home_visit", "家访回访，认知评估结果正常，继续参加社区活动。")
	wb.MustSee("个案已归档", "已归档", "重开个案")
	wb.Shot("archived")
	printShot(wb, "archived-print")

	signIn(sb, "wang")
	sb.Open("/cases/monthly?month=2026-03")
	sb.MustSee("社工月报表", "陈晓琳")
	sb.Shot("monthly-report")
	sb.Open("/cases/archive-check?month=2026-03")
	sb.MustSee("档案检查", "2026-BA-0001")
	sb.Shot("archive-check")
}

// selectAll sets every select matching sel to value.
func selectAll(b *Browser, sel, value string) {
	b.T.Helper()
	js := `document.querySelectorAll(` + jsString(sel) + `).forEach(function (s) { s.value = ` + jsString(value) + `; }); 1`
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[int](js)); err != nil {
		b.T.Fatal(err)
	}
}

func jsString(s string) string { return "'" + regexp.MustCompile(`'`).ReplaceAllString(s, `\'`) + "'" }
