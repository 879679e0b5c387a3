package gen

import (
	"fmt"
	"sort"

	"shegong/internal/pii"
	"shegong/internal/seqno"
)

var skills = []string{"文艺表演", "课业辅导", "医疗护理", "摄影", "驾驶", "手工", "法律咨询", "心理辅导", "电脑维修", ""}

var serviceKinds = []struct{ name, place string }{
	{"长者探访", "服务对象家中"}, {"社区环境清洁", "社区公园"}, {"图书角值班", "社区服务中心"},
	{"四点半课堂", "社区服务中心"}, {"义诊协助", "社区卫生站"},
}

type vol struct {
	id     int64
	site   *site
	joined day
	team   int64
	name   string
}

// volunteerwork: volunteers with numbers and encrypted identity, teams,
// and service records on distinct days per volunteer (so never
// overlapping), linked to the service point's activities when one is held
// that day.
func (o *og) volunteerwork() error {
	r, p, T := o.r, o.p, o.today
	if p.Volunteers == 0 {
		return nil
	}
	siteW := make([]float64, len(o.sites))
	for i, st := range o.sites {
		siteW[i] = st.weight * float64(len(st.workers))
	}
	cum := cumulative(siteW)
	vols := make([]*vol, p.Volunteers)
	for i := range vols {
		vols[i] = &vol{site: o.sites[pickWeighted(r, cum)], joined: o.between(o.start, max(o.start, T-30))}
	}
	sort.SliceStable(vols, func(i, j int) bool { return vols[i].joined < vols[j].joined })
	perYear := map[int]int{}
	var years []int
	for _, v := range vols {
		v.id = o.id(tVolunteers)
		v.name = personName(r)
		y := v.joined.time().Year()
		if perYear[y] == 0 {
			years = append(years, y)
		}
		perYear[y]++
		male := r.IntN(2) == 0
		birth := T - day((18+r.IntN(52))*365+r.IntN(360))
		idNo := o.uniqueID(birth, male)
		phone := o.uniquePhone()
		idEnc, err := o.encrypt(idNo)
		if err != nil {
			return err
		}
		phoneEnc, err := o.encrypt(phone)
		if err != nil {
			return err
		}
		gender := "女"
		if male {
			gender = "男"
		}
		at := v.joined.at(10 * 60)
		if err := o.put(tVolunteers, v.id, o.org, fmt.Sprintf("V%d-%04d", y, perYear[y]), v.site.id, v.name, gender,
			birth.time().Format("2006-01"), "resident_id", idEnc, o.cipher.BlindIndex("id_number", idNo), pii.MaskIDNumber(idNo),
			phoneEnc, o.cipher.BlindIndex("phone", phone), pii.MaskPhone(phone), pick(r, skills), v.joined, "active", at, at); err != nil {
			return err
		}
		v.site.volunteers = append(v.site.volunteers, v.id)
	}
	for _, y := range years {
		if err := o.put(tCounters, o.org, seqno.Volunteer, 0, y, perYear[y]); err != nil {
			return err
		}
	}
	// Two teams per service point with volunteers; six in ten volunteers
	// join one of their service point's teams.
	bySite := map[*site][]*vol{}
	for _, v := range vols {
		bySite[v.site] = append(bySite[v.site], v)
	}
	for _, st := range o.sites {
		vs := bySite[st]
		if len(vs) == 0 {
			continue
		}
		for k, nm := range []string{"义工服务队", "青年志愿服务队"} {
			id := o.id(tTeams)
			st.teams = append(st.teams, id)
			var proj any
			if k == 1 && len(o.projects) > 0 && r.IntN(3) == 0 {
				proj = pick(r, o.projects).id
			}
			at := vs[0].joined.at(11 * 60)
			if err := o.put(tTeams, id, o.org, st.id, st.community+nm+"（"+st.code+"）", vs[0].id, proj, "active", at, at); err != nil {
				return err
			}
		}
		for _, v := range vs {
			if r.IntN(10) < 6 {
				v.team = pick(r, st.teams)
				if err := o.put(tTeamMembers, o.org, v.team, v.id, v.joined); err != nil {
					return err
				}
			}
		}
	}
	// Service records: shares by activity and time since joining, at most
	// one record a day.
	w := make([]float64, len(vols))
	for i, v := range vols {
		w[i] = (0.2 + 1.6*r.Float64()) * float64(T-v.joined+1)
	}
	counts := apportion(p.Services, w, 0)
	excess := 0
	for i, v := range vols {
		room := int(T-v.joined+1) * 9 / 10
		if counts[i] > room {
			excess += counts[i] - room
			counts[i] = room
		}
	}
	for i := 0; excess > 0 && i < len(vols); i++ {
		room := int(T-vols[i].joined+1)*9/10 - counts[i]
		if room > 0 {
			n := min(room, excess)
			counts[i] += n
			excess -= n
		}
	}
	if excess > 0 {
		return fmt.Errorf("%d service records do not fit the volunteers' days", excess)
	}
	used := map[day]bool{}
	for i, v := range vols {
		clear(used)
		st := v.site
		acts := st.activities
		from := sort.Search(len(acts), func(k int) bool { return acts[k].held >= v.joined })
		head := st.head
		for range counts[i] {
			var d day
			var actID any
			name, place := "", ""
			start := 8*60 + 30*r.IntN(21)
			if from < len(acts) && r.IntN(10) < 7 {
				a := acts[from+r.IntN(len(acts)-from)]
				if !used[a.held] {
					d, actID, name, place, start = a.held, a.id, a.title, a.place, a.startMinute
				}
			}
			if d == 0 {
				span := int(T - v.joined + 1)
				d = v.joined + day(r.IntN(span))
				for used[d] {
					d++
					if d > T {
						d = v.joined
					}
				}
				sk := pick(r, serviceKinds)
				name, place = sk.name, sk.place
			}
			used[d] = true
			dur := 60 + 30*r.IntN(7)
			var team any
			if v.team != 0 {
				team = v.team
			}
			at := d.at(start + dur + 30)
			if err := o.put(tServices, o.id(tServices), o.org, v.id, st.id, team, actID, name, place, d, start, start+dur, dur,
				name, 5+r.IntN(40), head.user, head.name, at, at); err != nil {
				return err
			}
		}
	}
	return nil
}
