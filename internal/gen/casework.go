package gen

import (
	"fmt"
	"sort"
	"time"

	"shegong/internal/cases"
	"shegong/internal/seqno"
)

// A client profile: who the clients are and what brings them.
type need struct {
	category         int // index into cases.DefaultCategories
	minAge, maxAge   int
	source           string
	problem, assess  string
	needs, strengths string
	strategy         string
	goals            [2]string
}

var needs = []need{
	{1, 68, 90, "community", "独居长者，老伴离世后情绪低落，很少出门，子女在外地工作", "丧偶后社会支持薄弱，有抑郁倾向",
		"情绪支持；重建邻里与子女的联系", "性格温和，喜欢唱粤曲", "每两周家访一次，链接长者义工探访",
		[2]string{"情绪稳定，老年抑郁量表分数下降", "每周与子女通话一次"}},
	{1, 70, 92, "family", "高龄长者行动不便，照顾者压力大，家庭关系紧张", "照顾负担重，家庭沟通不足",
		"照顾者减压；申请居家养老服务", "家人有照顾意愿", "联系居家养老服务中心评估，开展家庭会议",
		[2]string{"成功申请居家养老服务", "照顾者压力量表分数下降"}},
	{0, 12, 17, "school", "初中学生厌学，经常逃课上网，与父母冲突频繁", "学业受挫后自我效能感低，亲子沟通以指责为主",
		"重建学习动机；改善亲子沟通", "喜欢打篮球，与班主任关系较好", "每周面谈一次，联合班主任跟进",
		[2]string{"每周按时到校", "亲子每周有一次平静的沟通"}},
	{3, 6, 12, "agency", "父母外出务工，儿童由祖母照顾，生活困难，学习跟不上", "监护能力不足，儿童有自卑情绪",
		"申请困境儿童生活补贴；课业辅导", "祖母关爱孩子，孩子喜欢画画", "协助申请民政补贴，链接大学生义工辅导",
		[2]string{"成功申请基本生活补贴", "期末主科成绩及格"}},
	{2, 22, 58, "community", "肢体残疾人士失业在家，缺少收入，与外界接触少", "就业能力与就业信息不足，社交退缩",
		"就业支持；办理残疾人补贴", "会使用电脑，愿意学习新技能", "链接残联就业培训，邀请参加互助小组",
		[2]string{"完成一项职业技能培训", "每月参加一次社区活动"}},
	{7, 28, 48, "self", "夫妻因子女教育与经济问题经常争吵，妻子情绪困扰", "家庭沟通模式冲突，经济压力大",
		"夫妻沟通；情绪疏导", "双方都愿意为孩子改善关系", "个别面谈与夫妻联合面谈交替进行",
		[2]string{"每周一次不争吵的家庭会议", "妻子情绪评估分数改善"}},
	{5, 25, 50, "outreach", "外来务工人员工伤后停工，工伤认定遇到困难，家庭收入中断", "不了解工伤认定程序，经济与心理压力大",
		"法律援助；临时救助", "有工友和老乡支持", "链接法律援助中心，协助申请临时救助",
		[2]string{"完成工伤认定申请", "获得临时救助"}},
	{4, 35, 75, "community", "低保家庭，主要劳动力患病，子女就学费用困难", "经济来源单一，医疗负担重",
		"申请医疗与教育救助；链接慈善资源", "家庭成员关系融洽", "协助申请救助，链接慈善基金",
		[2]string{"获得医疗救助", "子女顺利入学"}},
}

var followupNotes = []string{
	"家访了解近况，服务对象情绪较上次平稳，讨论下一步安排",
	"电话跟进，确认已按计划参加社区活动，鼓励继续坚持",
	"面谈回顾目标进展，肯定服务对象的改变，调整部分策略",
	"陪同前往相关部门办理手续，过程顺利",
	"与家人一同面谈，协调分工，家人表示会更多支持",
	"线上沟通，服务对象主动分享近期变化",
	"与学校老师沟通服务对象在校表现，约定共同跟进",
	"链接社区资源，协助服务对象申请相关补贴",
}

// kase is one case as planned before its rows are written.
type kase struct {
	id                        int64
	state                     string
	worker                    *person
	client                    int
	need                      int
	risk                      string
	intake, assessed, planned day
	submitted, opened, closed day
	until, archived           day
	closureAsked, referralDay day
	followups, post           int
	number                    string
}

// end is the last day of the intervention: closure, or today.
func (c *kase) serviceEnd(today day) day {
	if c.closed != 0 {
		return c.closed
	}
	if c.closureAsked != 0 {
		return c.closureAsked
	}
	return today
}

// state shares of all cases: most old cases are archived, a quarter are
// being followed up, a few wait at each step.
var stateShares = []struct {
	state string
	share float64
}{
	{cases.StateIntake, 1.5}, {cases.StateAssessment, 1.5}, {cases.StatePlanned, 1.5}, {cases.StatePendingOpen, 1},
	{cases.StateOpen, 26}, {cases.StateReferred, 0.5}, {cases.StatePendingClose, 1}, {cases.StatePostClosure, 4},
	{cases.StateArchived, 63},
}

func (o *og) casework() error {
	r, p, T := o.r, o.p, o.today
	w := make([]float64, len(stateShares))
	for i, s := range stateShares {
		w[i] = s.share
	}
	minEach := 0
	if p.Cases >= len(stateShares) {
		minEach = 1
	}
	counts := apportion(p.Cases, w, minEach)
	lo := o.start
	// Plan the cases: state, worker and the days of each step.
	for si, s := range stateShares {
		for range counts[si] {
			c := &kase{state: s.state, worker: pick(r, o.workers), need: r.IntN(len(needs)),
				risk: pick(r, []string{"low", "medium", "medium", "high"})}
			o.planDays(c, lo, T)
			o.caseList = append(o.caseList, c)
		}
	}
	// Clients: every case not archived has a client of its own; archived
	// cases belong to any client (a client may come back).
	live := 0
	for _, c := range o.caseList {
		if c.state != cases.StateArchived {
			live++
			c.worker.live++
		}
	}
	if live > p.Clients {
		return fmt.Errorf("%d clients cannot hold %d live cases", p.Clients, live)
	}
	o.pickSamples()
	perm := r.Perm(p.Clients)
	li := 0
	for _, c := range o.caseList {
		if c.state != cases.StateArchived {
			c.client = perm[li]
			li++
		} else {
			c.client = r.IntN(p.Clients)
		}
	}
	sort.SliceStable(o.caseList, func(i, j int) bool { return o.caseList[i].intake < o.caseList[j].intake })
	if err := o.writeClients(); err != nil {
		return err
	}
	if err := o.writeCases(); err != nil {
		return err
	}
	return o.writeFollowups()
}

// planDays lays out the steps of case c by its state, within [lo, T].
func (o *og) planDays(c *kase, lo, T day) {
	r := o.r
	d := func(a, b int) day { return day(a + r.IntN(b-a+1)) }
	clamp := func(x day) day { return max(lo, min(T, x)) }
	// prepare fills assessment, plan, submission and opening from intake.
	prepare := func() {
		c.assessed = clamp(c.intake + d(1, 7))
		c.planned = clamp(c.assessed + d(1, 7))
		c.submitted = clamp(c.planned + d(0, 3))
		c.opened = clamp(c.submitted + d(1, 3))
	}
	backFrom := func(opened day) {
		c.intake = clamp(opened - d(5, 25))
		c.assessed = clamp(c.intake + d(1, 5))
		c.planned = clamp(max(c.assessed, opened-d(1, 4)))
		c.submitted = clamp(max(c.planned, opened-1))
		c.opened = max(opened, c.submitted)
	}
	switch c.state {
	case cases.StateIntake:
		c.intake = o.between(max(lo, T-14), T)
	case cases.StateAssessment:
		c.intake = o.between(max(lo, T-20), T)
		c.assessed = clamp(c.intake + d(0, 5))
	case cases.StatePlanned:
		c.intake = o.between(max(lo, T-30), T)
		c.assessed = clamp(c.intake + d(0, 5))
		c.planned = clamp(c.assessed + d(0, 5))
	case cases.StatePendingOpen:
		c.intake = o.between(max(lo, T-30), T)
		c.assessed = clamp(c.intake + d(0, 4))
		c.planned = clamp(c.assessed + d(0, 4))
		c.submitted = clamp(c.planned + d(0, 3))
	case cases.StateOpen:
		backFrom(o.between(max(lo+30, T-720), T-7))
	case cases.StateReferred:
		backFrom(o.between(max(lo+30, T-540), T-30))
		c.referralDay = o.between(max(c.opened, T-15), T-1)
	case cases.StatePendingClose:
		backFrom(o.between(max(lo+30, T-540), T-60))
		c.closureAsked = o.between(max(c.opened, T-10), T)
	case cases.StatePostClosure:
		c.closed = o.between(max(lo+70, T-58), T-1)
		backFrom(c.closed - d(60, 400))
		c.closed = max(c.closed, c.opened)
		c.closureAsked = max(c.opened, c.closed-d(1, 5))
		c.until = dayOf(c.closed.time().AddDate(0, 2, 0))
		if c.closed+15 < T {
			c.post = 1
		}
	case cases.StateArchived:
		c.intake = o.between(lo, max(lo, T-250))
		prepare()
		c.closed = clamp(min(c.opened+d(60, 540), T-75))
		c.closed = max(c.closed, c.opened)
		c.closureAsked = max(c.opened, c.closed-d(1, 5))
		c.until = dayOf(c.closed.time().AddDate(0, 2, 0))
		c.archived = min(T, c.closed+45)
		c.post = 2
	}
}

// pickSamples chooses, in the first organization, the worker with a
// typical case load among the 20 supervisees of the first supervisor, and
// makes sure that worker has an open case long enough for 200 follow-ups.
func (o *og) pickSamples() {
	if o.k != 0 {
		return
	}
	loads := make([]int, 0, len(o.workers))
	for _, w := range o.workers {
		loads = append(loads, w.live)
	}
	sort.Ints(loads)
	median := loads[len(loads)/2]
	var best *person
	for _, w := range o.workers {
		if w.sup != o.sups[0] || w.site.head == w {
			continue
		}
		if best == nil || abs(w.live-median) < abs(best.live-median) {
			best = w
		}
	}
	if best == nil {
		best = o.workers[len(o.workers)-1]
	}
	var long *kase
	for _, c := range o.caseList {
		if c.state == cases.StateOpen && c.worker == best && (long == nil || c.opened < long.opened) {
			long = c
		}
	}
	if long == nil {
		for _, c := range o.caseList {
			if c.state == cases.StateOpen {
				long = c
				break
			}
		}
		if long != nil {
			long.worker.live--
			long.worker = best
			best.live++
		}
	}
	if long != nil && long.opened > o.today-300 {
		o.planDaysOpenedOn(long, max(o.start+30, o.today-400))
	}
	o.samples.worker = Sample{Role: "worker", Username: best.username, UserID: best.user, StaffID: best.staff}
	o.samples.head = Sample{Role: "centre_head", Username: best.site.head.username, UserID: best.site.head.user,
		StaffID: best.site.head.staff}
	o.samples.site = best.site.id
	if best.site.kind != "centre" { // the archive check is a centre's
		o.samples.site = o.sites[0].id
	}
	if long != nil {
		long.followups = -200 // marks the case; writeFollowups gives it exactly 200
	}
}

func (o *og) planDaysOpenedOn(c *kase, opened day) {
	c.intake = max(o.start, opened-10)
	c.assessed = max(c.intake, opened-7)
	c.planned = max(c.assessed, opened-4)
	c.submitted = max(c.planned, opened-2)
	c.opened = opened
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

var guardianRelations = []string{"father", "mother", "grandparent"}

// writeClients writes the clients with their category, consent and a
// contact check; each takes the worker and service point of its latest
// case, and is registered on its first intake.
func (o *og) writeClients() error {
	r, p := o.r, o.p
	type facts struct {
		first, last *kase
	}
	f := make([]facts, p.Clients)
	for _, c := range o.caseList { // in intake order
		if f[c.client].first == nil {
			f[c.client].first = c
		}
		f[c.client].last = c
	}
	o.clients = make([]client, p.Clients)
	for i := range o.clients {
		cl := &o.clients[i]
		cl.id = o.id(tClients)
		var worker *person
		var registered day
		nd := needs[r.IntN(len(needs))]
		if f[i].first != nil {
			worker, registered, nd = f[i].last.worker, f[i].first.intake, needs[f[i].first.need]
		} else {
			worker, registered = pick(r, o.workers), o.between(o.start, o.today)
		}
		cl.site = worker.site
		cl.site.clients = append(cl.site.clients, i)
		age := nd.minAge + r.IntN(nd.maxAge-nd.minAge+1)
		cl.birth = o.today - day(age*365+r.IntN(360)+1)
		cl.male = r.IntN(2) == 0
		cl.minor = age < 18
		cl.name = personName(r)
		idNo := o.uniqueID(cl.birth, cl.male)
		gender := "女"
		if cl.male {
			gender = "男"
		}
		idEnc, err := o.encrypt(idNo)
		if err != nil {
			return err
		}
		var phoneEnc string
		var phoneIdx any
		if r.IntN(10) > 0 {
			ph := mobile(r)
			if phoneEnc, err = o.encrypt(ph); err != nil {
				return err
			}
			phoneIdx = o.cipher.BlindIndex("phone", ph)
		}
		addrEnc, err := o.encrypt(address(r, cl.site.townName, cl.site.community))
		if err != nil {
			return err
		}
		var gName, gRel, gPhoneEnc string
		if cl.minor {
			gName = string([]rune(cl.name)[:1]) + personName(r)[len("陈"):]
			gRel = pick(r, guardianRelations)
			if gPhoneEnc, err = o.encrypt(mobile(r)); err != nil {
				return err
			}
		}
		status, checked := "unchecked", any(nil)
		checkRes := ""
		if r.IntN(10) < 7 {
			checkRes = pick(r, []string{"valid", "valid", "valid", "valid", "valid", "valid", "valid", "valid", "unreachable", "wrong_number", "refused"})
			status = checkRes
			checked = o.between(registered, min(o.today, registered+30))
		}
		at := registered.at(9*60 + r.IntN(480))
		if err := o.put(tClients, cl.id, o.org, cl.name, gender, cl.birth, idEnc, o.cipher.BlindIndex("id_number", idNo),
			phoneEnc, phoneIdx, addrEnc, cl.site.town, cl.site.community+"社区", gName, gRel, gPhoneEnc, status, checked,
			worker.staff, cl.site.id, "active", worker.user, at, at); err != nil {
			return err
		}
		if err := o.put(tCatLinks, o.org, cl.id, o.cats[nd.category]); err != nil {
			return err
		}
		if checkRes != "" {
			note := map[string]string{"valid": "电话核实本人接听", "unreachable": "多次拨打无人接听", "wrong_number": "号码错误",
				"refused": "拒绝回访"}[checkRes]
			if err := o.put(tChecks, o.id(tChecks), o.org, cl.id, checked, checkRes, note, worker.user, at); err != nil {
				return err
			}
		}
		if f[i].first != nil {
			signer, rel := cl.name, "self"
			if cl.minor {
				signer, rel = gName, "guardian"
			}
			if err := o.put(tConsents, o.id(tConsents), o.org, cl.id, registered, signer, rel, "本机构服务团队",
				worker.user, at); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeCases writes the cases in intake order with their numbers, goals,
// history, closures, referrals and the requests waiting for a supervisor.
func (o *og) writeCases() error {
	r := o.r
	counters := map[[2]int64]int{}
	var keys [][2]int64
	for _, c := range o.caseList {
		c.id = o.id(tCases)
		st := c.worker.site
		key := [2]int64{st.id, int64(c.intake.time().Year())}
		if counters[key] == 0 {
			keys = append(keys, key)
		}
		counters[key]++
		c.number = fmt.Sprintf("%d-%s-%04d", key[1], st.code, counters[key])
		nd := needs[c.need]
		cl := &o.clients[c.client]
		title := c.number + "（" + cl.name + "）"
		u := c.worker.user
		created := c.intake.at(9*60 + r.IntN(480))
		last := max(c.intake, c.assessed, c.planned, c.submitted, c.opened, c.closureAsked, c.referralDay, c.closed, c.archived)
		updated := last.at(17 * 60)
		var assessment, needsText, strengths, strategy string
		var planEnd any
		if c.assessed != 0 {
			assessment, needsText, strengths = nd.assess, nd.needs, nd.strengths
		}
		if c.planned != 0 {
			strategy = nd.strategy
			planEnd = c.planned + 180
		}
		if err := o.put(tCases, c.id, o.org, c.number, cl.id, st.id, c.worker.staff, c.state, c.risk, nd.source, c.intake,
			nd.problem, nz(c.assessed), assessment, needsText, strengths, nz(c.planned), strategy, planEnd, nz(c.opened),
			nz(c.closed), nz(c.until), nz(c.archived), u, created, updated); err != nil {
			return err
		}
		ev := func(d day, kind, detail, comment string, user int64) error {
			return o.put(tCaseEvents, o.id(tCaseEvents), o.org, c.id, d.at(10*60+r.IntN(420)), user, kind, detail, comment)
		}
		if err := ev(c.intake, "intake", "接案："+nd.problem, "", u); err != nil {
			return err
		}
		if c.assessed != 0 {
			if err := ev(c.assessed, "assessment", "完成预估", "", u); err != nil {
				return err
			}
		}
		if c.planned != 0 {
			for i, gt := range nd.goals {
				att := ""
				if c.closed != 0 {
					att = pick(r, []string{"achieved", "achieved", "partly", "not_achieved"})
				}
				if err := o.put(tGoals, o.id(tGoals), o.org, c.id, i+1, gt, "前后测对比", att, created, updated); err != nil {
					return err
				}
			}
		}
		if c.submitted != 0 {
			if err := ev(c.submitted, "open_submit", "提交开案申请", "已完成预估和服务计划，申请开案", u); err != nil {
				return err
			}
		}
		if c.opened != 0 {
			if err := ev(c.opened, "open", "督导同意开案，个案进入介入跟进阶段", "同意开案", c.worker.sup.user); err != nil {
				return err
			}
		}
		if c.state == cases.StatePendingOpen {
			if err := o.request(c, cases.KindOpen, "开案申请：个案 "+title, c.submitted); err != nil {
				return err
			}
		}
		if c.closureAsked != 0 {
			if err := ev(c.closureAsked, "closure_request", "提交结案申请", "服务目标基本达成，申请结案", u); err != nil {
				return err
			}
			status, approvalID := "approved", any(nil)
			decided, closedOn, until := any(c.closed.at(11*60)), any(nz(c.closed)), any(nz(c.until))
			if c.state == cases.StatePendingClose {
				status, decided, closedOn, until = "pending", nil, nil, nil
				approvalID = o.next[tApprovals]
				if err := o.request(c, cases.KindClose, "结案申请：个案 "+title, c.closureAsked); err != nil {
					return err
				}
			}
			if err := o.put(tClosures, o.id(tClosures), o.org, c.id, "goals_met",
				"服务计划目标基本达成，服务对象生活恢复稳定，支持网络已建立，经与服务对象商议结案。", "前后测对比显示情况明显改善",
				status, approvalID, u, c.closureAsked.at(15*60), decided, closedOn, until); err != nil {
				return err
			}
		}
		if c.closed != 0 {
			if err := ev(c.closed, "close", fmt.Sprintf("督导同意结案，结案后跟进至 %s", c.until), "同意结案", c.worker.sup.user); err != nil {
				return err
			}
		}
		if c.archived != 0 {
			if err := ev(c.archived, "archive", "结案后 2 个月的跟进已完成，个案归档", "", u); err != nil {
				return err
			}
		}
		if c.referralDay != 0 {
			to := c.worker
			for _, w := range st.workers {
				if w != c.worker {
					to = w
					break
				}
			}
			if to == c.worker { // a one-person service point refers to another point
				to = o.workers[(indexOf(o.workers, c.worker)+1)%len(o.workers)]
			}
			if to != c.worker {
				asked := c.referralDay.at(10 * 60)
				if err := o.put(tReferrals, o.id(tReferrals), o.org, c.id, 1, "internal", to.staff,
					"服务对象搬到新住址，由就近同工跟进更方便", "继续跟进服务计划中的目标", "awaiting", c.worker.staff, u,
					asked, asked.Add(26*time.Hour)); err != nil {
					return err
				}
				if err := ev(c.referralDay, "referral", "提交转介申请：转介至 "+to.name, "申请机构内转介", u); err != nil {
					return err
				}
				if err := ev(c.referralDay+1, "referral_approved", "督导同意转介，等待接收社工确认", "同意转介", c.worker.sup.user); err != nil {
					return err
				}
			}
		}
	}
	for _, key := range keys {
		if err := o.put(tCounters, o.org, seqno.Case, key[0], key[1], counters[key]); err != nil {
			return err
		}
	}
	return nil
}

func indexOf(ps []*person, p *person) int {
	for i, x := range ps {
		if x == p {
			return i
		}
	}
	return 0
}

// request writes a case request waiting at the worker's supervisor: the
// approval, its pending step with the assignee and the submit event.
func (o *og) request(c *kase, kind, title string, on day) error {
	a := o.id(tApprovals)
	at := on.at(16 * 60)
	if err := o.put(tApprovals, a, o.org, kind, cases.SubjectType, c.id, title, c.worker.user, c.worker.staff,
		c.worker.site.id, "pending", 1, 1, 1, at, at, at); err != nil {
		return err
	}
	step := o.id(tSteps)
	if err := o.put(tSteps, step, o.org, a, 1, 1, "督导审批", "个案社工的督导", "pending", at); err != nil {
		return err
	}
	if err := o.put(tAssignees, o.org, step, a, c.worker.sup.user); err != nil {
		return err
	}
	return o.put(tApprEvents, o.id(tApprEvents), o.org, a, 1, nil, "submit", c.worker.user, at, "申请"+cases.KindName(kind))
}

// nz is NULL for the zero day.
func nz(d day) any {
	if d == 0 {
		return nil
	}
	return d
}

// writeFollowups spreads the follow-ups over the opened cases by the length
// of their intervention; closed cases have their post-closure follow-ups,
// one per month; the sample case has exactly 200.
func (o *og) writeFollowups() error {
	r, T := o.r, o.today
	total := o.p.Followups
	post := 0
	for _, c := range o.caseList {
		post += c.post
	}
	if post > total {
		for _, c := range o.caseList {
			c.post = 0
		}
		post = 0
	}
	service := total - post
	var open []*kase
	var w []float64
	var special *kase
	for _, c := range o.caseList {
		if c.followups == -200 {
			special = c
			c.followups = 0
			continue
		}
		if c.opened != 0 {
			open = append(open, c)
			w = append(w, float64(c.serviceEnd(T)-c.opened+1))
		}
	}
	if special != nil {
		special.followups = min(200, service)
		service -= special.followups
		o.samples.case200 = special.id
	}
	if len(open) > 0 {
		for i, n := range apportion(service, w, 0) {
			open[i].followups = n
		}
	} else if special != nil {
		special.followups += service
	}
	methods := cases.Methods
	days := make([]day, 0, 256)
	for _, c := range o.caseList {
		days = days[:0]
		end := c.serviceEnd(T)
		for range c.followups {
			days = append(days, o.between(c.opened, end))
		}
		sortDays(days)
		u := c.worker.user
		for _, d := range days {
			i := r.IntN(len(followupNotes))
			if err := o.put(tFollowups, o.id(tFollowups), o.org, c.id, "service", d, methods[i%len(methods)],
				30+15*r.IntN(5), followupNotes[i], "按计划继续跟进", c.worker.staff, u, d.at(10*60+r.IntN(480))); err != nil {
				return err
			}
		}
		for k := range c.post {
			d := c.closed + day(15+30*k)
			if k == 1 && c.archived != 0 {
				d = c.archived
			}
			if err := o.put(tFollowups, o.id(tFollowups), o.org, c.id, "post_closure", d, "phone", 20,
				"结案后电话回访，服务对象生活稳定，未出现新的困难", "", c.worker.staff, u, d.at(15*60)); err != nil {
				return err
			}
		}
	}
	return nil
}
