package gen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"shegong/internal/authz"
	"shegong/internal/cases"
	"shegong/internal/pii"
)

// og generates one organization.
type og struct {
	*run
	s     sink
	r     *rand.Rand
	p     Profile
	k     int // index of the organization in the profile
	org   int64
	code  string
	start day // first day of the records
	ts    time.Time

	towns     []town
	sites     []*site
	domains   []int64
	cats      []int64
	depts     map[string]int64
	director  *person
	admin     int64
	svcHead   *person
	sups      []*person
	workers   []*person // front-line, heads included
	clients   []client
	caseList  []*kase
	projects  []project
	volByDay  map[int64]map[day]bool
	idNumbers map[string]bool
	phones    map[string]bool
}

type town struct {
	id   int64
	name string
}

type site struct {
	id, town, purchaser int64
	idx                 int
	code, name, kind    string
	townName, community string
	weight              float64
	head                *person
	workers             []*person
	clients             []int // indexes into og.clients
	activities          []activity
	volunteers          []int64
	teams               []int64
}

type person struct {
	staff, user int64
	name        string
	username    string
	site        *site
	sup         *person
	supervisees int
	live        int // live cases
}

type client struct {
	id    int64
	name  string
	male  bool
	birth day
	site  *site
	minor bool
}

type project struct {
	id   int64
	site *site
}

type activity struct {
	id          int64
	held        day
	title       string
	place       string
	startMinute int
}

func (g *run) org(s sink, p Profile, k int) error {
	o := &og{run: g, s: s, r: newRand(g.seed, k), p: p, k: k, depts: map[string]int64{},
		idNumbers: map[string]bool{}, phones: map[string]bool{}}
	o.start = g.today - day(365*p.Years)
	o.ts = g.now
	o.org = g.id(tOrgs)
	o.code = fmt.Sprintf("g%d", o.org)
	g.orgIDs = append(g.orgIDs, o.org)
	began := time.Now()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"structure", o.structure},
		{"cases", o.casework},
		{"groups", o.groupwork},
		{"activities", o.activitiesAndProjects},
		{"volunteers", o.volunteerwork},
	}
	for _, st := range steps {
		t := time.Now()
		if err := st.fn(); err != nil {
			return fmt.Errorf("gen: org %d %s: %w", o.org, st.name, err)
		}
		if err := s.flush(); err != nil {
			return err
		}
		if p.Rows() > 100_000 || k == 0 {
			g.logf("org %d (%d/%d) %s done in %s", o.org, k+1, g.p.Orgs, st.name, time.Since(t).Round(time.Millisecond))
		}
	}
	if g.p.Orgs > 1 {
		g.logf("org %d (%d/%d): %d rows planned in %s", o.org, k+1, g.p.Orgs, p.Rows(), time.Since(began).Round(time.Millisecond))
	}
	return nil
}

func (o *og) put(t *table, vals ...any) error { return o.s.put(t, vals...) }

// between returns a random day in [lo, hi] (lo when hi < lo).
func (o *og) between(lo, hi day) day {
	if hi <= lo {
		return lo
	}
	return lo + day(o.r.IntN(int(hi-lo)+1))
}

var agencyNames = []string{"绿叶", "启明", "阳光", "同心", "春晖", "明镜", "和悦", "德善", "众诚", "心桥", "展翅", "益彩", "关爱", "恒信", "乐群"}

func (o *og) agencyName() string {
	n := agencyNames[o.k%len(agencyNames)]
	if o.k >= len(agencyNames) {
		n += fmt.Sprint(o.k/len(agencyNames) + 1)
	}
	return "东莞市" + n + "社会工作服务中心（" + o.code + "）"
}

// structure: the organization, departments, domains, towns, purchasers,
// service points with contract years, staff with sign-ins, assignments and
// supervisors, and the client categories.
func (o *og) structure() error {
	r, p, ts := o.r, o.p, o.ts
	if err := o.put(tOrgs, o.org, o.code, o.agencyName(), "agency", "active", ts); err != nil {
		return err
	}
	for _, d := range []struct{ name, kind, duties string }{
		{"行政部", "admin", "人事招聘与合同、请假调休、社保公积金、用人单位沟通、资源链接登记"},
		{"服务部", "service", "服务质量监管、督导管理、服务测评、菜单式培训"},
		{"财务部", "finance", "报销审核、预领活动经费、工资表、税务申报、服务费发票"},
	} {
		id := o.id(tDepts)
		o.depts[d.kind] = id
		if err := o.put(tDepts, id, o.org, d.name, d.kind, d.duties); err != nil {
			return err
		}
	}
	for _, name := range []string{"青少年", "长者", "残障", "家庭", "学校", "社区"} {
		id := o.id(tDomains)
		o.domains = append(o.domains, id)
		if err := o.put(tDomains, id, o.org, name); err != nil {
			return err
		}
	}
	nTowns := min(len(townNames), max(1, (p.Sites+1)/2))
	off := r.IntN(len(townNames))
	for i := range nTowns {
		t := town{id: o.id(tTowns), name: townNames[(off+i)%len(townNames)]}
		o.towns = append(o.towns, t)
		if err := o.put(tTowns, t.id, o.org, t.name); err != nil {
			return err
		}
	}
	for i := range p.Sites {
		tw := o.towns[i%len(o.towns)]
		com := communityNames[(i/len(o.towns)+o.k)%len(communityNames)]
		st := &site{id: o.id(tSites), town: tw.id, idx: i, townName: tw.name, community: com,
			code: fmt.Sprintf("S%02d", i+1), kind: "centre", weight: 0.6 + 0.8*r.Float64()}
		st.name = tw.name + com + "社区综合服务中心"
		if i%5 == 4 {
			st.kind, st.name = "project", tw.name+com+"社会化服务项目"
		}
		if i >= len(o.towns)*len(communityNames) {
			st.name += fmt.Sprintf("（%d）", i+1)
		}
		st.purchaser = o.id(tPurchasers)
		phone := fmt.Sprintf("0769-8%03d%04d", o.k%1000, i+1)
		if err := o.put(tPurchasers, st.purchaser, o.org, tw.name+com+"社区居民委员会", "社工站联络人", phone); err != nil {
			return err
		}
		if err := o.put(tSites, st.id, o.org, st.code, st.name, st.kind, st.town, st.purchaser,
			"东莞市"+tw.name+com+"社区", phone, "active", ts, ts); err != nil {
			return err
		}
		// Contract years back to before the records start; the current one
		// ends within the coming year (the first soon, for the reminder).
		end := o.today + day(20+r.IntN(330))
		if i == 0 {
			end = o.today + 20
		}
		amount := int64(80_000_000 + r.IntN(5)*10_000_000)
		for end-365 >= o.start-365 {
			begin := end.time().AddDate(-1, 0, 1)
			if err := o.put(tContracts, o.id(tContracts), o.org, st.id, fmt.Sprintf("%d合同年", begin.Year()),
				dayOf(begin), end, amount); err != nil {
				return err
			}
			end = dayOf(begin) - 1
		}
		o.sites = append(o.sites, st)
	}
	for i, name := range cases.DefaultCategories {
		id := o.id(tCategories)
		o.cats = append(o.cats, id)
		if err := o.put(tCategories, id, o.org, name, (i+1)*10); err != nil {
			return err
		}
	}
	return o.staff()
}

// staff: management, supervisors and front-line staff at the service
// points, each with a sign-in; one supervisor has exactly 20 supervisees.
func (o *og) staff() error {
	r, p := o.r, o.p
	seq := 0
	hired := func() day { return o.start - day(r.IntN(3*365)) - 30 }
	mk := func(name, title string, dept int64, login string, roles ...authz.Role) (*person, error) {
		seq++
		pe := &person{staff: o.id(tStaff), user: o.id(tUsers), name: name, username: o.code + "_" + login}
		display := name
		if err := o.put(tUsers, pe.user, o.org, pe.username, display, o.hash, false, "active", o.ts, o.ts); err != nil {
			return nil, err
		}
		for _, ro := range roles {
			if err := o.put(tRoles, o.org, pe.user, string(ro)); err != nil {
				return nil, err
			}
		}
		gender := "女"
		if r.IntN(3) == 0 {
			gender = "男"
		}
		var deptArg any
		if dept != 0 {
			deptArg = dept
		}
		err := o.put(tStaff, pe.staff, o.org, fmt.Sprintf("%s%04d", o.code, seq), name, gender, title, mobile(r),
			deptArg, hired(), "active", pe.user, o.ts, o.ts)
		return pe, err
	}
	var err error
	if o.director, err = mk(personName(r), "social_worker", 0, "director", authz.RoleDirector); err != nil {
		return err
	}
	if o.svcHead, err = mk(personName(r), "social_worker", o.depts["service"], "fuwubu", authz.RoleServiceHead, authz.RoleSupervisor); err != nil {
		return err
	}
	for _, m := range []struct {
		title, dept, login string
		role               authz.Role
	}{
		{"admin", "admin", "xingzhengbu", authz.RoleAdminHead}, {"finance", "finance", "caiwubu", authz.RoleFinanceHead},
		{"finance", "finance", "kuaiji", authz.RoleAccountant}, {"admin", "admin", "renshi", authz.RoleHR},
	} {
		if _, err := mk(personName(r), m.title, o.depts[m.dept], m.login, m.role); err != nil {
			return err
		}
	}
	o.admin = o.id(tUsers)
	if err := o.put(tUsers, o.admin, o.org, o.code+"_admin", "系统管理员", o.hash, false, "active", o.ts, o.ts); err != nil {
		return err
	}
	if err := o.put(tRoles, o.org, o.admin, string(authz.RoleOrgAdmin)); err != nil {
		return err
	}
	rest := p.Staff - 6
	nSup := max(2, rest/21)
	front := rest - nSup
	for i := range nSup {
		sp, err := mk(personName(r), "supervisor", o.depts["service"], fmt.Sprintf("sup%02d", i+1), authz.RoleSupervisor)
		if err != nil {
			return err
		}
		o.sups = append(o.sups, sp)
		if err := o.link(o.svcHead, sp); err != nil {
			return err
		}
	}
	w := make([]float64, len(o.sites))
	for i, st := range o.sites {
		w[i] = st.weight
	}
	perSite := apportion(front, w, 1)
	n := 0
	for i, st := range o.sites {
		for j := range perSite[i] {
			n++
			title := pick(r, []string{"assistant_social_worker", "assistant_social_worker", "worker_assistant", "social_worker"})
			var pe *person
			var err error
			if j == 0 {
				pe, err = mk(personName(r), "social_worker", o.depts["service"], fmt.Sprintf("head%02d", i+1), authz.RoleCentreHead, authz.RoleWorker)
				st.head = pe
			} else {
				pe, err = mk(personName(r), title, o.depts["service"], fmt.Sprintf("w%04d", n), authz.RoleWorker)
			}
			if err != nil {
				return err
			}
			pe.site = st
			st.workers = append(st.workers, pe)
			o.workers = append(o.workers, pe)
			pos := "worker"
			if j == 0 {
				pos = "centre_head"
			}
			if err := o.put(tAssign, o.id(tAssign), o.org, pe.staff, st.id, pos, o.start-30); err != nil {
				return err
			}
			if err := o.put(tStaffDom, o.org, pe.staff, pick(r, o.domains)); err != nil {
				return err
			}
		}
	}
	// The first supervisor takes the first 20 front-line staff (heads
	// included); the others share the rest.
	others := append([]*person{o.svcHead}, o.sups[1:]...)
	for i, pe := range o.workers {
		sup := o.sups[0]
		if i >= 20 {
			sup = others[(i-20)%len(others)]
		}
		pe.sup = sup
		if err := o.link(sup, pe); err != nil {
			return err
		}
	}
	for _, st := range o.sites {
		if err := o.put(tVManagers, o.org, st.id, st.head.staff, o.start); err != nil {
			return err
		}
	}
	if o.k == 0 {
		o.samples.supervisor = Sample{Role: string(authz.RoleSupervisor), Username: o.sups[0].username,
			UserID: o.sups[0].user, StaffID: o.sups[0].staff}
		o.samples.director = Sample{Role: string(authz.RoleDirector), Username: o.director.username,
			UserID: o.director.user, StaffID: o.director.staff}
		o.samples.admin = Sample{Role: string(authz.RoleOrgAdmin), Username: o.code + "_admin", UserID: o.admin}
	}
	return nil
}

func (o *og) link(sup, pe *person) error {
	sup.supervisees++
	return o.put(tSupLinks, o.id(tSupLinks), o.org, sup.staff, pe.staff, o.start-30)
}

// encrypt is Cipher.Encrypt for values known to be non-empty.
func (o *og) encrypt(s string) (string, error) { return o.cipher.Encrypt(s) }

// uniqueID returns a new ID number not yet used in the organization.
func (o *og) uniqueID(birth day, male bool) string {
	for {
		id := idNumber(pick(o.r, regions), birth, male, o.r.IntN(500))
		if !o.idNumbers[id] {
			o.idNumbers[id] = true
			return id
		}
	}
}

func (o *og) uniquePhone() string {
	for {
		ph := mobile(o.r)
		if !o.phones[ph] {
			o.phones[ph] = true
			return ph
		}
	}
}

var _ = pii.MaskPhone
