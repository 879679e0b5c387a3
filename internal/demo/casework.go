package demo

import (
	"fmt"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/cases"
)

// A client profile: who the demo's clients are and what brings them.
type profile struct {
	category string
	minAge   int
	maxAge   int
	source   string
	problem  string
	assess   string
	needs    string
	strength string
	strategy string
	goals    [2]string
}

var profiles = []profile{
	{"长者", 68, 88, "community", "独居长者，老伴去年离世，近期情绪低落，很少出门，子女在外地工作",
		"丧偶后社会支持薄弱，有抑郁倾向，日常生活尚能自理", "情绪支持；重建邻里与子女的联系；参与社区活动",
		"性格温和，喜欢唱粤曲，邻居愿意帮忙", "每两周家访一次，链接长者义工探访，邀请参加长者粤曲小组",
		[2]string{"情绪稳定，老年抑郁量表分数下降", "每周与子女通话或视频一次"}},
	{"长者", 70, 90, "family", "高龄长者行动不便，照顾者（儿媳）压力大，家庭关系紧张",
		"照顾负担重，家庭沟通不足，长者对康复失去信心", "照顾者减压；申请居家养老服务；康复训练",
		"家人有照顾意愿，长者能配合训练", "联系居家养老服务中心评估，开展家庭会议，链接康复资源",
		[2]string{"成功申请居家养老服务", "照顾者压力量表分数下降"}},
	{"青少年", 13, 17, "school", "初二学生厌学，经常逃课上网，与父母冲突频繁",
		"学业受挫后自我效能感低，亲子沟通方式以指责为主", "重建学习动机；改善亲子沟通；发展兴趣",
		"喜欢打篮球，与班主任关系较好", "每周面谈一次，联合学校班主任跟进，开展亲子沟通辅导",
		[2]string{"每周按时到校", "亲子每周有一次平静的沟通"}},
	{"困境儿童", 7, 12, "agency", "父亲服刑、母亲外出务工，儿童由祖母照顾，生活困难，学习跟不上",
		"监护能力不足，经济困难，儿童有自卑情绪", "申请困境儿童生活补贴；课业辅导；情绪支持",
		"祖母关爱孩子，孩子喜欢画画", "协助申请民政补贴，链接大学生义工课业辅导，定期家访",
		[2]string{"成功申请困境儿童基本生活补贴", "期末主科成绩及格"}},
	{"残障", 25, 55, "community", "肢体残疾人士失业在家，缺少收入，与外界接触少",
		"就业能力与就业信息不足，社交退缩", "就业支持；办理残疾人补贴；社交参与",
		"会使用电脑，愿意学习新技能", "链接残联就业培训，协助办理补贴，邀请参加互助小组",
		[2]string{"完成一项职业技能培训", "每月参加一次社区活动"}},
	{"家庭", 30, 45, "self", "夫妻因子女教育与经济问题经常争吵，妻子情绪困扰，有离婚念头",
		"家庭沟通模式冲突，经济压力大，妻子支持系统薄弱", "夫妻沟通；情绪疏导；经济规划",
		"双方都愿意为孩子改善关系", "个别面谈与夫妻联合面谈交替进行，链接家庭教育讲座",
		[2]string{"每周一次不争吵的家庭会议", "妻子情绪评估分数改善"}},
	{"外来务工", 28, 50, "outreach", "外来务工人员工伤后停工，工伤认定遇到困难，家庭收入中断",
		"不了解工伤认定程序，经济与心理压力大", "法律援助；临时救助；情绪支持",
		"有工友和老乡支持", "链接法律援助中心，协助申请临时救助，电话跟进情绪",
		[2]string{"完成工伤认定申请", "获得临时救助"}},
}

// kase is one case the demo works through, step by step.
type kase struct {
	w       *world
	worker  *person
	prof    profile
	client  int64
	c       *cases.Case
	minutes int // minute of the day of its events, to spread them
}

// newCase schedules the client's registration and the intake on day.
func (w *world) newCase(worker *person, prof profile, day app.Date) *kase {
	k := &kase{w: w, worker: worker, prof: prof, minutes: w.r.IntN(300)}
	r := w.r
	age := prof.minAge + r.IntN(prof.maxAge-prof.minAge+1)
	male := r.IntN(2) == 0
	birth := day.AddDays(-age*365 - r.IntN(300))
	in := cases.ClientInput{Name: personName(r), IDNumber: idNumber(r, birth, male), Phone: mobile(r),
		Address: address(r, worker.site.code), TownID: w.towns[communities[worker.site.code].town],
		Community: communities[worker.site.code].community, CategoryIDs: []int64{w.cats[prof.category]},
		WorkerID: worker.staffID, SiteID: worker.site.id, Status: "active"}
	consent := cases.ConsentInput{SignedOn: day, SignerName: in.Name, Relationship: cases.ConsentSelf, SharingScope: "本机构服务团队"}
	if age < 18 {
		in.GuardianName = string([]rune(in.Name)[:1]) + "丽珍"
		in.GuardianRelation = "mother"
		if prof.category == "困境儿童" {
			in.GuardianName = string([]rune(in.Name)[:1]) + "桂英"
			in.GuardianRelation = "grandparent"
		}
		in.GuardianPhone = mobile(r)
		consent.SignerName, consent.Relationship = in.GuardianName, cases.ConsentGuardian
	}
	phoneOK := r.IntN(6) > 0
	w.on(day, k.minutes, func() error {
		cl, err := w.clients.Create(w.ctx, worker.p, in)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		k.client = cl.ID
		if _, err := w.clients.AddConsent(w.ctx, worker.p, cl.ID, consent); err != nil {
			return fmt.Errorf("consent: %w", err)
		}
		check := cases.ContactCheckInput{CheckedOn: day, Result: "valid", Note: "电话核实本人接听"}
		if !phoneOK {
			check.Result, check.Note = "unreachable", "多次拨打无人接听，改为上门联系"
		}
		if _, err := w.clients.AddContactCheck(w.ctx, worker.p, cl.ID, check); err != nil {
			return fmt.Errorf("contact check: %w", err)
		}
		k.c, err = w.cases.Create(w.ctx, worker.p, cases.IntakeInput{ClientID: cl.ID, SiteID: worker.site.id,
			WorkerID: worker.staffID, IntakeDate: day, Source: prof.source, RiskLevel: cases.RiskMedium,
			PresentingProblem: prof.problem})
		if err != nil {
			return fmt.Errorf("intake: %w", err)
		}
		return nil
	})
	return k
}

func (k *kase) on(day app.Date, fn func() error) *kase {
	k.minutes += 7
	k.w.on(day, k.minutes%480, fn)
	return k
}

func (k *kase) refresh() error {
	c, err := k.w.cases.Get(k.w.ctx, k.worker.p, k.c.ID)
	if err == nil {
		k.c = c
	}
	return err
}

// prepare schedules the assessment and the plan.
func (k *kase) prepare(assessed, planned app.Date) *kase {
	w := k.w
	k.on(assessed, func() (err error) {
		k.c, err = w.cases.SaveAssessment(w.ctx, k.worker.p, k.c.ID, cases.AssessmentInput{AssessedOn: assessed,
			Assessment: k.prof.assess, Needs: k.prof.needs, Strengths: k.prof.strength, RiskLevel: cases.RiskMedium,
			Version: k.c.Version})
		return err
	})
	return k.on(planned, func() (err error) {
		k.c, err = w.cases.SavePlan(w.ctx, k.worker.p, k.c.ID, cases.PlanInput{PlannedOn: planned,
			Strategy: k.prof.strategy, PlanEnd: planned.AddMonths(6),
			Goals:   []cases.GoalInput{{Title: k.prof.goals[0], Measure: "前后测对比"}, {Title: k.prof.goals[1], Measure: "社工跟进记录"}},
			Version: k.c.Version})
		return err
	})
}

func (k *kase) submit(day app.Date) *kase {
	w := k.w
	return k.on(day, func() (err error) {
		k.c, err = w.cases.SubmitOpen(w.ctx, k.worker.p, k.c.ID, cases.SubmitInput{Version: k.c.Version,
			Comment: "已完成预估和服务计划，知情同意书已签署，申请开案"})
		return err
	})
}

// decide has the worker's supervisor decide the case's pending request.
func (k *kase) decide(day app.Date, approve bool, comment string) *kase {
	w := k.w
	return k.on(day, func() error {
		f, err := w.cases.File(w.ctx, k.worker.p, k.c.ID)
		if err != nil {
			return err
		}
		for _, a := range f.Approvals {
			if a.Status != string(approval.Pending) {
				continue
			}
			d := approval.Approve
			if !approve {
				d = approval.Reject
			}
			k.c, err = w.cases.Decide(w.ctx, k.worker.sup.p, k.c.ID, cases.DecisionInput{ApprovalID: a.ID,
				Version: a.Version, Decision: string(d), Comment: comment})
			return err
		}
		return fmt.Errorf("case %s has no pending request", k.c.Number)
	})
}

var followupNotes = []string{
	"家访了解近况，服务对象情绪较上次平稳，讨论下一步安排",
	"电话跟进，确认已按计划参加社区活动，鼓励继续坚持",
	"面谈回顾目标进展，肯定服务对象的改变，调整部分策略",
	"陪同前往相关部门办理手续，过程顺利",
	"与家人一同面谈，协调分工，家人表示会更多支持",
	"线上沟通，服务对象主动分享近期变化",
}

var followupMethods = []string{"home_visit", "phone", "in_person", "escort", "in_person", "online"}

// followups schedules follow-ups every `every` days from start up to end.
func (k *kase) followups(start, end app.Date, every int) *kase {
	for d := start; !d.After(end); d = d.AddDays(every) {
		k.followup(d)
	}
	return k
}

func (k *kase) followup(day app.Date) *kase {
	w := k.w
	i := w.r.IntN(len(followupNotes))
	progress := []string{"some", "some", "much", "none"}[w.r.IntN(4)]
	return k.on(day, func() error {
		in := cases.FollowupInput{HeldOn: day, Method: followupMethods[i], DurationMin: 30 + 15*w.r.IntN(5),
			Content: followupNotes[i], NextStep: "按计划继续跟进"}
		for _, g := range k.c.Goals {
			in.Progress = append(in.Progress, cases.ProgressInput{GoalID: g.ID, Progress: progress})
		}
		_, err := w.cases.AddFollowup(w.ctx, k.worker.p, k.c.ID, in)
		return err
	})
}

func (k *kase) requestClosure(day app.Date) *kase {
	w := k.w
	return k.on(day, func() error {
		if err := k.refresh(); err != nil {
			return err
		}
		in := cases.ClosureInput{Reason: "goals_met", Summary: "服务计划目标基本达成，服务对象生活恢复稳定，支持网络已建立，经与服务对象商议结案。",
			Evaluation: "前后测对比显示情况明显改善", Comment: "申请结案", Version: k.c.Version}
		for i, g := range k.c.Goals {
			in.Goals = append(in.Goals, cases.AttainmentInput{GoalID: g.ID, Attainment: []string{"achieved", "partly"}[i%2]})
		}
		var err error
		k.c, err = w.cases.RequestClosure(w.ctx, k.worker.p, k.c.ID, in)
		return err
	})
}

func (k *kase) postClosure(day app.Date) *kase {
	w := k.w
	return k.on(day, func() error {
		_, err := w.cases.AddPostClosure(w.ctx, k.worker.p, k.c.ID, cases.FollowupInput{HeldOn: day, Method: "phone",
			DurationMin: 20, Content: "结案后电话回访，服务对象生活稳定，未出现新的困难"})
		return err
	})
}

func (k *kase) refer(day app.Date, to *person) *kase {
	w := k.w
	return k.on(day, func() error {
		if err := k.refresh(); err != nil {
			return err
		}
		_, err := w.cases.Refer(w.ctx, k.worker.p, k.c.ID, cases.ReferralInput{Kind: cases.ReferInternal,
			ToStaffID: to.staffID, Reason: "服务对象搬到新住址，由就近同工跟进更方便",
			Services: "继续跟进服务计划中的两个目标", Comment: "申请机构内转介"})
		return err
	})
}

// open takes a new case through to its opening: intake on day, then
// assessment, plan, submission and the supervisor's approval within days.
func (w *world) open(worker *person, prof profile, day app.Date) *kase {
	return w.newCase(worker, prof, day).prepare(day.AddDays(3), day.AddDays(6)).submit(day.AddDays(7)).
		decide(day.AddDays(8), true, "同意开案，注意定期评估风险")
}

// planCases schedules the demo's cases: a year of casework across the
// service points, and for 北岸's workers one case in every state so that
// workers, supervisors and heads have something to do.
func (w *world) planCases() {
	t := w.today
	prof := func(i int) profile { return profiles[i%len(profiles)] }
	sg1, sg2, sg3 := w.must("beian_sg1"), w.must("beian_sg2"), w.must("beian_sg3")

	// 北岸 beian_sg1 (supervised by 黄雅琪) and beian_sg2 (by 陈志明).
	w.newCase(sg1, prof(0), t.AddDays(-2))                                        // intake
	w.newCase(sg1, prof(1), t.AddDays(-12)).prepare(t.AddDays(-9), t.AddDays(-6)) // planned
	w.newCase(sg1, prof(2), t.AddDays(-20)).prepare(t.AddDays(-17), t.AddDays(-14)).
		submit(t.AddDays(-12)).decide(t.AddDays(-10), false, "服务计划目标过于笼统，请补充可衡量的指标后再提交") // rejected
	w.open(sg1, prof(3), t.AddDays(-150)).followups(t.AddDays(-140), t.AddDays(-1), 10)  // open, on track
	w.open(sg1, prof(4), t.AddDays(-120)).followups(t.AddDays(-110), t.AddDays(-26), 12) // falling behind
	w.open(sg1, prof(5), t.AddDays(-200)).followups(t.AddDays(-190), t.AddDays(-80), 14).
		requestClosure(t.AddDays(-66)).decide(t.AddDays(-64), true, "同意结案") // post-closure, a month missing
	w.open(sg1, prof(6), t.AddDays(-300)).followups(t.AddDays(-290), t.AddDays(-160), 14).
		requestClosure(t.AddDays(-150)).decide(t.AddDays(-148), true, "同意结案").
		postClosure(t.AddDays(-130)).postClosure(t.AddDays(-100)) // archived
	w.open(sg1, prof(1), t.AddDays(-90)).followups(t.AddDays(-80), t.AddDays(-20), 12).
		refer(t.AddDays(-15), sg3).decide(t.AddDays(-13), true, "同意转介") // referred, awaiting 北岸 sg3

	w.newCase(sg2, prof(2), t.AddDays(-16)).prepare(t.AddDays(-13), t.AddDays(-9)).submit(t.AddDays(-4)) // pending_open at 陈志明
	w.newCase(sg2, prof(0), t.AddDays(-10)).prepare(t.AddDays(-8), t.AddDays(-5)).submit(t.AddDays(-1))
	w.open(sg2, prof(3), t.AddDays(-100)).followups(t.AddDays(-90), t.AddDays(-30), 11)                               // falling behind
	w.open(sg2, prof(4), t.AddDays(-180)).followups(t.AddDays(-170), t.AddDays(-5), 11).requestClosure(t.AddDays(-3)) // pending_close
	w.open(sg2, prof(5), t.AddDays(-140)).followups(t.AddDays(-130), t.AddDays(-4), 10).refer(t.AddDays(-2), sg3)     // referral waiting at 陈志明
	w.open(sg2, prof(6), t.AddDays(-240)).followups(t.AddDays(-230), t.AddDays(-2), 10)

	// The rest of the year's casework at every service point.
	n := 0
	for _, s := range w.sites {
		for i, wk := range s.workers {
			if wk.sup == nil || s.code == "BA" && (wk == sg1 || wk == sg2) {
				continue
			}
			if i%3 == 1 {
				continue
			}
			n++
			start := t.AddDays(-330 + n*17%300)
			k := w.open(wk, prof(n), start)
			switch {
			case n%3 == 0 && start.AddDays(200).Before(t): // closed and archived
				end := start.AddDays(120)
				k.followups(start.AddDays(10), end, 12).requestClosure(end.AddDays(3)).decide(end.AddDays(5), true, "同意结案")
				if end.AddDays(70).Before(t) {
					k.postClosure(end.AddDays(25)).postClosure(end.AddDays(55))
				} else if end.AddDays(25).Before(t) {
					k.postClosure(end.AddDays(25))
				}
			default: // open, followed up every ten days
				first := t.AddDays(-1)
				for first.AddDays(-10).After(start.AddDays(9)) {
					first = first.AddDays(-10)
				}
				k.followups(first, t.AddDays(-1), 10)
			}
		}
	}
}
