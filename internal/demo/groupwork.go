package demo

import (
	"fmt"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/groups"
)

// A group theme: its kind, target and the topics of its six sessions.
type theme struct {
	name, kind, target, goals string
	topics                    [6]string
}

var themes = []theme{
	{"长者粤曲欢乐小组", "interest", "社区长者", "丰富长者精神生活，扩大社交圈子",
		[6]string{"相识相知", "粤曲入门", "经典曲目学唱", "分组排练", "社区小舞台", "回顾与道别"}},
	{"青少年情绪管理小组", "growth", "初中学生", "认识情绪，学习三种以上情绪调节方法",
		[6]string{"破冰与契约", "认识我的情绪", "情绪温度计", "压力与放松", "沟通小技巧", "成长分享会"}},
	{"照顾者减压支持小组", "support", "失能长者照顾者", "舒缓照顾压力，建立照顾者互助网络",
		[6]string{"照顾者的一天", "压力从哪里来", "照顾技巧分享", "自我关怀", "互助网络", "继续同行"}},
	{"困境儿童成长小组", "growth", "困境儿童", "提升自信心与社交能力",
		[6]string{"我是谁", "我的优点树", "合作小游戏", "情绪小怪兽", "我的梦想", "结业礼"}},
	{"亲子沟通工作坊", "education", "小学生家庭", "改善亲子沟通方式，增进亲子关系",
		[6]string{"亲子破冰", "倾听的力量", "表达爱的语言", "规则与自由", "亲子共绘", "成果分享"}},
	{"新市民融入互助小组", "mutual_aid", "外来务工家庭", "增进社区归属感，建立邻里互助",
		[6]string{"我从哪里来", "认识社区资源", "社区地图", "邻里互助计划", "互助实践", "总结与展望"}},
	{"残障人士手工艺小组", "therapy", "残障人士", "提升动手能力与自我价值感",
		[6]string{"相互认识", "编织入门", "串珠手工", "作品设计", "义卖准备", "作品展示"}},
	{"长者防跌健康小组", "education", "社区长者", "掌握防跌知识，提升平衡能力",
		[6]string{"防跌知多少", "居家安全检查", "平衡操练习", "用药与营养", "复测与分享", "总结"}},
}

var places = map[string][]string{
	"BA": {"北岸社区服务中心多功能室", "北岸社区广场", "北岸社区长者活动室"},
	"XS": {"新市社区服务中心活动室", "新市社区文化广场", "新市小学"},
	"ZH": {"振华社区服务中心活动室", "振华社区广场", "振华社区党群服务中心"},
	"BS": {"宝石社区服务中心活动室", "宝石社区公园", "宝石社区长者饭堂"},
	"SH": {"松湖之家活动室", "松山湖中央公园", "大学创新城社区广场"},
}

// planGroups schedules 46 groups of six weekly sessions through the year,
// spread over the service points by staff numbers; each ended group files
// its report, except the last one of beian_sg1, whose report is due.
func (w *world) planGroups() {
	var leaders []*person
	for _, s := range w.sites {
		for _, p := range s.workers {
			if p.p.Has(authz.RoleWorker) {
				leaders = append(leaders, p)
			}
		}
	}
	sg1 := w.must("beian_sg1")
	for k := range 46 {
		leader := leaders[(k*5)%len(leaders)]
		if k == 45 || k == 30 {
			leader = sg1
		}
		th := themes[k%len(themes)]
		start := w.day(4 + k*7)
		pl := places[leader.site.code]
		g := groups.GroupInput{Name: fmt.Sprintf("%s（第%d期）", th.name, 1+k/len(themes)), Kind: th.kind,
			SiteID: leader.site.id, LeaderID: leader.staffID, Target: th.target, Goals: th.goals,
			Plan: "共六节，每周一节，每节约90分钟", TargetMembers: 8, PlannedSessions: 6,
			PlanStart: start, PlanEnd: start.AddDays(35)}
		var gid int64
		var members []int64
		w.on(start.AddDays(-7), 30+k%60, func() (err error) {
			gid, err = w.groups.CreateGroup(w.ctx, leader.p, g)
			if err != nil {
				return fmt.Errorf("group: %w", err)
			}
			for range 8 {
				gender := []string{"男", "女"}[w.r.IntN(2)]
				id, err := w.groups.AddMember(w.ctx, leader.p, gid, groups.MemberInput{Name: personName(w.r),
					Gender: gender, JoinedOn: start.AddDays(-7)})
				if err != nil {
					return fmt.Errorf("member: %w", err)
				}
				members = append(members, id)
			}
			return nil
		})
		for n := range 6 {
			day := start.AddDays(7 * n)
			stage := []string{"formation", "formation", "transition", "maturity", "maturity", "ending"}[n]
			w.on(day, 300+k%60, func() error {
				var present []int64
				for _, m := range members {
					if w.r.IntN(10) < 8 {
						present = append(present, m)
					}
				}
				_, err := w.groups.CreateSession(w.ctx, leader.p, gid, groups.SessionInput{HeldOn: day,
					StartTime: "14:30", EndTime: "16:00", Place: pl[k%len(pl)], Topic: th.topics[n],
					Content: "围绕「" + th.topics[n] + "」开展分享与练习，组员参与积极", Stage: stage, Present: present})
				return err
			})
		}
		end := start.AddDays(35)
		if k == 45 || !end.AddDays(3).Before(w.today) {
			continue
		}
		w.on(end.AddDays(3), 200, func() error {
			_, err := w.groups.FileReport(w.ctx, leader.p, gid, groups.ReportInput{ReportDate: end.AddDays(3),
				Summary: "小组共开展六节，组员出席稳定，气氛融洽", GoalAttainment: "小组目标基本达成：" + th.goals,
				Evaluation: "组员满意度问卷平均4.6分（满分5分）", Recommendations: "建议开展第二期，吸纳更多社区居民"})
			return err
		})
	}
}

// An activity template by kind.
type actTemplate struct {
	kind, title, target string
}

var activityTemplates = []actTemplate{
	{"festival", "中秋游园会", "社区居民"}, {"festival", "端午包粽子送长者", "社区长者"},
	{"festival", "新春写挥春送祝福", "社区居民"}, {"festival", "重阳敬老宴", "社区长者"},
	{"publicity", "防诈骗宣传进社区", "社区居民"}, {"publicity", "垃圾分类宣传", "社区居民"},
	{"publicity", "禁毒知识宣传", "青少年"}, {"interest_class", "少儿书法兴趣班", "社区儿童"},
	{"interest_class", "长者智能手机课堂", "社区长者"}, {"visit", "独居长者探访", "独居长者"},
	{"lecture", "家庭教育讲座", "家长"}, {"lecture", "长者健康讲座", "社区长者"},
	{"volunteer", "义工社区清洁行动", "社区义工"}, {"recreation", "社区亲子运动会", "社区家庭"},
	{"recreation", "社区电影夜", "社区居民"},
}

// planActivities schedules 123 community activities through the year:
// about 50 participants each and a few thousand posters and flyers.
func (w *world) planActivities() {
	var leads []*person
	for _, s := range w.sites {
		leads = append(leads, s.workers...)
	}
	for k := range 123 {
		lead := leads[(k*7+3)%len(leads)]
		tp := activityTemplates[k%len(activityTemplates)]
		day := w.day(1 + k*363/123)
		participants := 20 + w.r.IntN(41)
		if tp.kind == "festival" || tp.kind == "recreation" {
			participants += 30
		}
		if tp.kind == "visit" || tp.kind == "interest_class" {
			participants = 12 + w.r.IntN(15)
		}
		in := groups.ActivityInput{Title: tp.title, Kind: tp.kind, HeldOn: day, StartTime: "09:30", EndTime: "11:30",
			Place: places[lead.site.code][k%3], SiteID: lead.site.id, LeadID: lead.staffID, Target: tp.target,
			Content: "「" + tp.title + "」活动，由社工带领义工开展", Participants: participants,
			Posters: 1 + w.r.IntN(4), Flyers: 12 + w.r.IntN(30),
			Report: "活动按计划完成，参与者反馈良好"}
		w.on(day, 400+k%60, func() error {
			if lead.site.code == "BA" && k%4 == 0 {
				in.ProjectID = w.ba.project
			}
			_, err := w.groups.CreateActivity(w.ctx, lead.p, in)
			if err != nil {
				return fmt.Errorf("activity %s: %w", in.Title, err)
			}
			return nil
		})
	}
}

// projects of 北岸, created at the start of the year.
type baProjects struct {
	project int64 // 义路童行
}

// planProjects schedules 北岸's two projects with their funding and the
// organization they incubated.
func (w *world) planProjects() {
	head := w.must("beian_head")
	w.ba = &baProjects{}
	start := w.from.AddDays(-1)
	w.on(start, 10, func() error {
		id, err := w.groups.CreateProject(w.ctx, head.p, groups.ProjectInput{Name: "义路童行", SiteID: head.site.id,
			ManagerID: head.staffID, StartDate: start, EndDate: start.AddMonths(12).AddDays(-1),
			Goals: "为社区困境儿童提供课业辅导、成长小组和义工陪伴", Partners: "北岸小学、北岸社区居委会",
			Summary: "以义工陪伴为主线的困境儿童服务项目", Status: groups.ProjectActive})
		if err != nil {
			return fmt.Errorf("project: %w", err)
		}
		w.ba.project = id
		for _, f := range []groups.FundInput{
			{Funder: "北岸社区公益金", Kind: "community_fund", Amount: app.Fen(8_000_000), Note: "社区公益金年度资助"},
			{Funder: "黄江镇专项资金", Kind: "special_fund", Amount: app.Fen(5_000_000), Note: "镇未成年人保护专项"},
		} {
			if _, err := w.groups.AddFund(w.ctx, head.p, id, f); err != nil {
				return fmt.Errorf("fund: %w", err)
			}
		}
		_, err = w.groups.CreateProject(w.ctx, head.p, groups.ProjectInput{Name: "校园零欺凌", SiteID: head.site.id,
			ManagerID: w.must("beian_sg2").staffID, StartDate: start.AddMonths(2), EndDate: start.AddMonths(14),
			Goals: "在北岸小学和黄江中学开展反欺凌教育，建立朋辈支持", Partners: "北岸小学、黄江中学",
			Summary: "校园社工与学校合作的反欺凌项目", Status: groups.ProjectActive})
		return err
	})
	founded := start.AddMonths(3)
	w.on(founded, 60, func() error {
		_, err := w.groups.AddIncubated(w.ctx, head.p, w.ba.project, groups.IncubatedInput{Name: "北岸社区艺术团",
			FoundedOn: founded, Members: 26, Note: "由项目义工与家长组成，每月在社区演出"})
		return err
	})
}
