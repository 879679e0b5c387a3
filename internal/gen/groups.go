package gen

import (
	"fmt"
	"math"
	"sort"

	"shegong/internal/groups"
)

var groupThemes = []struct{ name, kind, target, goals string }{
	{"长者粤曲兴趣小组", "interest", "社区独居及空巢长者", "丰富长者精神生活，扩大社交圈子"},
	{"青少年成长小组", "growth", "社区初中学生", "提升自我认识与沟通能力"},
	{"照顾者减压支持小组", "support", "失能长者的家庭照顾者", "舒缓照顾压力，建立互助网络"},
	{"亲子沟通教育小组", "education", "小学生及其家长", "改善亲子沟通方式"},
	{"残障人士互助小组", "mutual_aid", "社区残障人士", "增强社会参与，建立互助支持"},
	{"新市民融入小组", "social", "外来务工人员及家属", "认识社区资源，融入社区生活"},
	{"情绪管理治疗小组", "therapy", "有情绪困扰的青少年", "学习识别和管理情绪"},
	{"暑期兴趣成长小组", "interest", "暑期留守儿童", "培养兴趣爱好，安全快乐过暑假"},
}

var projectThemes = []string{"义路童行", "校园零欺凌", "长者关爱", "邻里守望", "阳光助残", "新市民融合", "家庭护航", "社区营造"}

var funders = []struct{ name, kind string }{
	{"社区公益金", "community_fund"}, {"镇社区社会组织活动扶持专项资金", "special_fund"},
	{"市民政局购买服务", "gov_purchase"}, {"慈善基金会", "foundation"},
}

// projects: a funded project for about every sixth service point.
func (o *og) makeProjects() error {
	r, T := o.r, o.today
	n := max(1, len(o.sites)/6)
	for i := range n {
		st := o.sites[(i*6)%len(o.sites)]
		start := o.between(o.start, max(o.start, T-180))
		end := start + day(365+r.IntN(365))
		status := "active"
		if end < T {
			status = "closed"
		}
		pr := project{id: o.id(tProjects), site: st}
		name := fmt.Sprintf("%s项目（%s%d）", projectThemes[i%len(projectThemes)], st.community, i+1)
		if err := o.put(tProjects, pr.id, o.org, name, st.id, st.head.staff, start, end, "通过社工+义工联动服务社区居民",
			"社区居委会、学校", status, o.ts, o.ts); err != nil {
			return err
		}
		for k := range 1 + r.IntN(2) {
			f := funders[(i+k)%len(funders)]
			if err := o.put(tFunds, o.id(tFunds), o.org, pr.id, f.name, f.kind, int64(5_000_000+r.IntN(20)*1_000_000), o.ts); err != nil {
				return err
			}
		}
		o.projects = append(o.projects, pr)
	}
	return nil
}

var stages = []string{"formation", "transition", "maturity", "maturity", "ending"}

// groupwork: groups with members, weekly sessions, attendance marks for
// members only, and the report of every finished group.
func (o *og) groupwork() error {
	if err := o.makeProjects(); err != nil {
		return err
	}
	r, p, T := o.r, o.p, o.today
	if p.Groups == 0 {
		return nil
	}
	minEach := 0
	if p.Groups >= 3 {
		minEach = 1
	}
	byStatus := apportion(p.Groups, []float64{5, 25, 70}, minEach) // planning, running, finished
	status := make([]string, 0, p.Groups)
	for i, st := range []string{"planning", "running", "finished"} {
		for range byStatus[i] {
			status = append(status, st)
		}
	}
	r.Shuffle(len(status), func(i, j int) { status[i], status[j] = status[j], status[i] })
	var held []int
	var w []float64
	for i, st := range status {
		if st != "planning" {
			held = append(held, i)
			w = append(w, 0.5+r.Float64())
		}
	}
	sessions := make([]int, p.Groups)
	minS := 0
	if p.Sessions >= len(held) {
		minS = 1
	}
	for k, n := range apportion(p.Sessions, w, minS) {
		sessions[held[k]] = n
	}
	sw := make([]float64, p.Groups)
	for i, n := range sessions {
		sw[i] = float64(n)
	}
	marks := apportion(p.Attendance, sw, 0)
	siteW := make([]float64, len(o.sites))
	for i, st := range o.sites {
		siteW[i] = st.weight * float64(len(st.workers))
	}
	cum := cumulative(siteW)
	for gi := range p.Groups {
		st := o.sites[pickWeighted(r, cum)]
		th := groupThemes[r.IntN(len(groupThemes))]
		leader := pick(r, st.workers)
		s, a := sessions[gi], marks[gi]
		perSession := 0
		if s > 0 {
			perSession = int(math.Ceil(float64(a) / float64(s)))
		}
		members := max(perSession+r.IntN(3), 4+r.IntN(6))
		// Weekly sessions, compressed when the window is short.
		spacing := 7
		var first day
		switch status[gi] {
		case "planning":
			first = T + day(7+r.IntN(30))
		case "running":
			if int(T-o.start) < s*spacing {
				spacing = max(1, int(T-o.start)/max(1, s))
			}
			first = max(o.start, T-day(s*spacing)-day(r.IntN(7)))
		default:
			latest := T - 10 - day(s*spacing)
			if latest < o.start {
				spacing = max(1, int(T-10-o.start)/max(1, s))
				latest = max(o.start, T-10-day(s*spacing))
			}
			first = o.between(o.start, latest)
		}
		planned := s
		switch status[gi] {
		case "planning":
			planned = 6 + r.IntN(7)
		case "running":
			planned = s + 1 + r.IntN(4)
		}
		planned = max(planned, 1)
		planEnd := first + day((planned-1)*spacing)
		var proj any
		if len(o.projects) > 0 && r.IntN(5) == 0 {
			proj = pick(r, o.projects).id
		}
		gid := o.id(tGroups)
		name := fmt.Sprintf("%s%s（第%d期）", st.community, th.name, 1+gi/len(o.sites))
		created := (first - 14).at(10 * 60)
		if err := o.put(tGroups, gid, o.org, name, th.kind, st.id, proj, leader.staff, th.target, th.goals, members,
			planned, first, planEnd, status[gi], created, created); err != nil {
			return err
		}
		memberIDs := make([]int64, members)
		for m := range memberIDs {
			memberIDs[m] = o.id(tMembers)
			var clientID any
			nm := personName(r)
			if len(st.clients) > 0 && r.IntN(5) < 2 {
				cl := o.clients[pick(r, st.clients)]
				clientID, nm = cl.id, cl.name
			}
			if err := o.put(tMembers, memberIDs[m], o.org, gid, nm, clientID, pick(r, []string{"男", "女", ""}), first, created); err != nil {
				return err
			}
		}
		perS := apportion(a, uniform(s), 0)
		var last day
		for j := range s {
			d := first + day(j*spacing)
			last = d
			sid := o.id(tSessions)
			stage := stages[min(len(stages)-1, j*len(stages)/max(1, s))]
			if j == s-1 && status[gi] == "finished" {
				stage = "ending"
			}
			at := d.at(16 * 60)
			if err := o.put(tSessions, sid, o.org, gid, d, "14:30", "16:00", st.community+"社区服务中心活动室",
				fmt.Sprintf("第%d节：%s", j+1, th.goals), stage, at, at); err != nil {
				return err
			}
			off := r.IntN(members)
			for k := range perS[j] {
				if err := o.put(tAttendance, o.org, sid, memberIDs[(off+k)%members], r.IntN(100) < 88); err != nil {
					return err
				}
			}
		}
		if status[gi] == "finished" && s > 0 {
			rd := min(T, last+3)
			at := rd.at(17 * 60)
			if err := o.put(tGReports, o.id(tGReports), o.org, gid, rd, "小组按计划完成全部节数，组员参与积极，目标基本达成。",
				"组员在前后测中均有提升", leader.user, at, at); err != nil {
				return err
			}
		}
	}
	return nil
}

func uniform(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

func cumulative(w []float64) []float64 {
	c := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		c[i] = s
	}
	return c
}

// pickWeighted picks an index with probability proportional to its weight,
// given the cumulative weights.
func pickWeighted(r interface{ Float64() float64 }, cum []float64) int {
	x := r.Float64() * cum[len(cum)-1]
	return min(len(cum)-1, sort.SearchFloat64s(cum, x))
}

var activityTitles = []string{"中秋游园会", "长者健康讲座", "防诈骗宣传", "亲子手工坊", "垃圾分类宣传", "重阳敬老活动",
	"青少年兴趣班", "社区义诊", "邻里美食节", "消防安全演练", "春节写挥春", "端午包粽子"}

// activitiesAndProjects: community activities at the service points.
func (o *og) activitiesAndProjects() error {
	r, p, T := o.r, o.p, o.today
	siteW := make([]float64, len(o.sites))
	for i, st := range o.sites {
		siteW[i] = st.weight * float64(len(st.workers))
	}
	cum := cumulative(siteW)
	for range p.Activities {
		st := o.sites[pickWeighted(r, cum)]
		d := o.between(o.start, T)
		start := 9*60 + 30*r.IntN(16)
		a := activity{id: o.id(tActivities), held: d, title: st.community + pick(r, activityTitles),
			place: st.community + "社区广场", startMinute: start}
		var proj any
		if len(o.projects) > 0 && r.IntN(10) == 0 {
			proj = pick(r, o.projects).id
		}
		at := d.at(18 * 60)
		if err := o.put(tActivities, a.id, o.org, a.title, pick(r, groups.ActivityKinds), d, hhmm(start), hhmm(start+120),
			a.place, st.id, proj, pick(r, st.workers).staff, "社区居民", 20+r.IntN(100), r.IntN(10), r.IntN(80), at, at); err != nil {
			return err
		}
		st.activities = append(st.activities, a)
	}
	for _, st := range o.sites {
		sort.Slice(st.activities, func(i, j int) bool { return st.activities[i].held < st.activities[j].held })
	}
	return nil
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }
