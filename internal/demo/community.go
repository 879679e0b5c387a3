package demo

import (
	"fmt"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/approval/general"
	"shegong/internal/resources"
	"shegong/internal/volunteers"
)

var teamNames = map[string]string{
	"BA": "北岸红棉义工服务队", "XS": "新市青年志愿服务队", "ZH": "振华邻里守望服务队",
	"BS": "宝石长者关爱服务队", "SH": "松湖之家大学生志愿服务队",
}

var volunteerSkills = []string{"摄影", "书法", "急救", "粤曲", "课业辅导", "手工", "驾驶", "电脑", "舞蹈", "心理支持"}

var shifts = [][2]string{{"09:00", "13:00"}, {"09:00", "14:00"}, {"08:30", "14:30"}, {"13:30", "20:00"}, {"09:00", "16:00"}}

var volunteerTasks = []struct{ name, content string }{
	{"独居长者探访", "上门探访独居长者，陪伴聊天，检查居家安全"},
	{"社区活动协助", "协助活动签到、场地布置与秩序维护"},
	{"课业辅导", "为困境儿童辅导功课，陪伴阅读"},
	{"长者饭堂帮厨", "协助长者饭堂分餐与清洁"},
	{"防诈骗宣传", "在社区派发宣传单张并讲解防诈骗知识"},
	{"社区环境清洁", "清理社区公共区域垃圾，宣传垃圾分类"},
}

// planVolunteers schedules 20 volunteers and one team per service point,
// and 560 service records through the year (each volunteer on different
// days, so no two records of one person overlap).
func (w *world) planVolunteers() {
	type vol struct {
		id   int64
		site *site
		team *int64
	}
	var vols []*vol
	for si, s := range w.sites {
		head := s.head
		team := new(int64)
		ids := make([]*vol, 20)
		for k := range 20 {
			v := &vol{site: s, team: team}
			ids[k] = v
			vols = append(vols, v)
			joined := w.from.AddDays(-60 - (k*37+si*11)%400)
			age := 18 + w.r.IntN(50)
			male := w.r.IntN(3) == 0
			birth := joined.AddDays(-age*365 - w.r.IntN(300))
			in := volunteers.VolunteerInput{SiteID: s.id, Name: personName(w.r), IDType: "resident_id",
				IDNumber: idNumber(w.r, birth, male), Phone: mobile(w.r),
				Skills: volunteerSkills[w.r.IntN(len(volunteerSkills))] + "、" + volunteerSkills[w.r.IntN(len(volunteerSkills))],
				IvolID: fmt.Sprintf("DG%08d", 10_000_000+w.r.IntN(89_999_999)), JoinedOn: joined, Status: "active"}
			if k%2 == 0 {
				in.Consent, in.ConsentOn, in.Address = true, joined, address(w.r, s.code)
			}
			w.on(joined, 120+k, func() error {
				r, err := w.vols.Create(w.ctx, head.p, in)
				if err != nil {
					return fmt.Errorf("volunteer: %w", err)
				}
				v.id = r.ID
				return nil
			})
		}
		founded := w.from.AddDays(-20)
		w.on(founded, 200, func() error {
			t, err := w.vols.CreateTeam(w.ctx, head.p, volunteers.TeamInput{SiteID: s.id, Name: teamNames[s.code],
				LeaderID: ids[0].id, QQGroup: fmt.Sprintf("%d", 612_000_000+si*7_133_011), Status: "active",
				Note: "服务点常驻义工队伍，每月开展探访与社区服务"})
			if err != nil {
				return fmt.Errorf("team: %w", err)
			}
			*team = t.ID
			var members []int64
			for _, v := range ids[1:] {
				members = append(members, v.id)
			}
			return w.vols.AddMembers(w.ctx, head.p, t.ID, members)
		})
	}
	for k := range 560 {
		v := vols[k%len(vols)]
		day := w.day(k * 364 / 560)
		sh := shifts[(k/len(vols)+k)%len(shifts)]
		task := volunteerTasks[k%len(volunteerTasks)]
		lead := v.site.workers[k%len(v.site.workers)]
		w.on(day, 360+k%60, func() error {
			_, err := w.vols.CreateRecord(w.ctx, lead.p, volunteers.RecordInput{VolunteerID: v.id, SiteID: v.site.id,
				TeamID: *v.team, ActivityName: task.name, Place: places[v.site.code][k%3], Date: day,
				Start: sh[0], End: sh[1], Content: task.content, PeopleServed: 5 + w.r.IntN(30), LeadName: lead.name})
			if err != nil {
				return fmt.Errorf("volunteer record: %w", err)
			}
			return nil
		})
	}
}

var providers = []struct{ provider, kind, desc string }{
	{"黄江镇慈善会", "money", "困境家庭临时救助金"},
	{"社区爱心商户", "goods", "节日慰问品（大米、食用油）"},
	{"北岸小学", "venue", "借用学校礼堂开展亲子活动"},
	{"东莞理工学院志愿者协会", "people", "大学生义工参与课业辅导"},
	{"镇卫生院", "professional", "医生义诊与健康讲座"},
	{"镇残联", "professional", "残疾人就业培训名额"},
}

var commTopics = []string{
	"汇报本季度服务进展与服务数据，听取居委会对长者服务的意见",
	"沟通下半年社区活动安排，协调场地使用",
	"反映困境家庭个案情况，商议联合探访",
	"讨论合同年末期评估准备工作",
}

// planResources schedules each service point's monthly resource links for
// the last twelve months (北岸 has not yet registered last month's, so its
// head is reminded) and a meeting with the purchaser every six weeks.
func (w *world) planResources() {
	month := w.today.MonthStart()
	for si, s := range w.sites {
		for m := -12; m <= -1; m++ {
			if s.code == "BA" && m == -1 {
				continue
			}
			mon := month.AddMonths(m)
			pr := providers[(si+m+12)%len(providers)]
			in := resources.LinkInput{SiteID: s.id, Month: fmt.Sprintf("%04d-%02d", mon.Year(), int(mon.Month())),
				Provider: pr.provider, Kind: pr.kind, Description: pr.desc, Value: app.Fen(100 * (800 + w.r.IntN(9000))),
				Beneficiaries: 10 + w.r.IntN(80), BeneficiariesNote: "社区长者、困境儿童及其家庭", Contact: personName(w.r)}
			w.on(mon.AddMonths(1).AddDays(1), 100+si, func() error {
				_, err := w.res.CreateLink(w.ctx, s.head.p, in)
				return err
			})
		}
		for k := range 8 {
			day := w.day(10 + k*45 + si*3)
			if day.After(w.today) {
				break
			}
			in := resources.CommInput{SiteID: s.id, Date: day, Contact: "社区居委会" + personName(w.r),
				Method: []string{"meeting", "visit", "phone", "wechat"}[k%4], Content: commTopics[k%len(commTopics)]}
			if k == 7 {
				in.FollowUp, in.FollowUpNote = true, "居委会希望增加长者探访频次，下月回复具体安排"
			}
			w.on(day, 150, func() error {
				_, err := w.res.CreateComm(w.ctx, s.head.p, in)
				return err
			})
		}
	}
}

// planRequests files general requests: one waiting at 北岸's head, two
// waiting at the director, and a few decided earlier in the year.
func (w *world) planRequests() {
	t := w.today
	type req struct {
		by, site       string
		title, content string
		amount         string
		day            app.Date
		decide         []string // who approves, step by step
	}
	list := []req{
		{"zhenhua_sg1", "ZH", "申请购买重阳敬老宴物资", "重阳敬老宴约80位长者参加，购买餐具与慰问品。", "1860.00", t.AddDays(-60), []string{"zhenhua_head"}},
		{"songhu_sg2", "SH", "申请外出参观交流", "组织义工骨干到市内优秀社工站参观交流，租车费用。", "1200.00", t.AddDays(-40), []string{"songhu_head"}},
		{"beian_sg2", "BA", "申请租用旅游大巴开展亲子户外活动", "校园零欺凌项目亲子户外拓展，40个家庭参加，租用大巴两辆及拓展场地。", "6800.00", t.AddDays(-4), []string{"beian_head"}},
		{"xinshi_head", "XS", "申请采购中心办公电脑", "中心两台电脑已使用八年，无法运行服务系统，申请更换。", "7200.00", t.AddDays(-2), nil},
		{"beian_sg1", "BA", "申请购买长者生日会蛋糕", "本月长者生日会，30位长者参加，订购生日蛋糕。", "860.00", t.AddDays(-1), nil},
	}
	for _, rq := range list {
		by := w.must(rq.by)
		var siteID int64
		for _, s := range w.sites {
			if s.code == rq.site {
				siteID = s.id
			}
		}
		var approvalID int64
		w.on(rq.day, 90, func() error {
			r, err := w.general.Submit(w.ctx, by.p, general.Input{SiteID: siteID, Title: rq.title, Content: rq.content,
				Amount: rq.amount})
			if err != nil {
				return fmt.Errorf("general request: %w", err)
			}
			approvalID = r.ApprovalID
			return nil
		})
		for i, u := range rq.decide {
			w.on(rq.day.AddDays(1+i), 60, func() error {
				var version int64
				if err := w.d.R.QueryRowContext(w.ctx, `SELECT version FROM approvals WHERE org_id = $1 AND id = $2`,
					w.org, approvalID).Scan(&version); err != nil {
					return err
				}
				_, err := w.ap.Decide(w.ctx, w.must(u).p, approval.DecideInput{ApprovalID: approvalID, Version: version,
					Decision: approval.Approve, Comment: "同意，注意保留票据"})
				return err
			})
		}
	}
}
