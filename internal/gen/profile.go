package gen

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Profile says how much to generate. The counts are totals over all the
// organizations of the profile; the generator hits each of them exactly.
// Tables not named here (goals, events, members, teams, consents, …) follow
// from these counts.
type Profile struct {
	Name       string
	Orgs       int // organizations; with more than one, sizes follow a long tail
	Sites      int // service points
	Staff      int // staff members, every one with a sign-in
	Clients    int
	Cases      int // in every state of the case lifecycle
	Followups  int // follow-ups during the intervention and after closure
	Groups     int
	Sessions   int // group sessions
	Attendance int // attendance marks, only for members of the session's group
	Activities int // community activities
	Volunteers int
	Services   int // volunteer service records, never overlapping for one volunteer
	Years      int // the records span this many years ending today
}

// Profiles are the named sizes of `shegong gen --profile NAME`.
var Profiles = map[string]Profile{
	// A few seconds, for tests and CI.
	"small": {Name: "small", Orgs: 1, Sites: 5, Staff: 30, Clients: 300, Cases: 360, Followups: 2400,
		Groups: 20, Sessions: 120, Attendance: 1000, Activities: 100, Volunteers: 80, Services: 600, Years: 2},
	// A 30-staff agency over one year, at the magnitudes of the 2017 annual
	// summary (25 cases opened, 46 groups, 276 sessions, 123 activities, 560
	// volunteer services).
	"agency": {Name: "agency", Orgs: 1, Sites: 5, Staff: 30, Clients: 150, Cases: 32, Followups: 500,
		Groups: 46, Sessions: 276, Attendance: 2200, Activities: 123, Volunteers: 150, Services: 560, Years: 1},
	// The largest single agency on SQLite (issue 5).
	"agency-large": {Name: "agency-large", Orgs: 1, Sites: 60, Staff: 600, Clients: 100_000, Cases: 150_000,
		Followups: 3_000_000, Groups: 30_000, Sessions: 300_000, Attendance: 3_000_000, Activities: 60_000,
		Volunteers: 40_000, Services: 1_500_000, Years: 5},
	// A city platform on PostgreSQL: 100 agencies of long-tail sizes adding
	// up to ten times agency-large.
	"city": {Name: "city", Orgs: 100, Sites: 600, Staff: 6000, Clients: 1_000_000, Cases: 1_500_000,
		Followups: 30_000_000, Groups: 300_000, Sessions: 3_000_000, Attendance: 30_000_000, Activities: 600_000,
		Volunteers: 400_000, Services: 15_000_000, Years: 5},
}

// ProfileNames lists the profiles, smallest first.
func ProfileNames() []string {
	var out []string
	for n := range Profiles {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return Profiles[out[i]].Followups < Profiles[out[j]].Followups })
	return out
}

// Scaled returns p with every count multiplied by f (at least the minimum
// an organization needs), for trying a fraction of a large profile.
func (p Profile) Scaled(f float64) Profile {
	s := func(n, min int) int { return max(min, int(math.Round(float64(n)*f))) }
	q := p
	q.Name = fmt.Sprintf("%s×%g", p.Name, f)
	q.Orgs = s(p.Orgs, 1)
	q.Sites = s(p.Sites, q.Orgs)
	q.Staff = s(p.Staff, 12*q.Orgs)
	q.Clients, q.Cases, q.Followups = s(p.Clients, 1), s(p.Cases, 1), s(p.Followups, 0)
	q.Groups, q.Sessions, q.Attendance = s(p.Groups, 0), s(p.Sessions, 0), s(p.Attendance, 0)
	q.Activities, q.Volunteers, q.Services = s(p.Activities, 0), s(p.Volunteers, 0), s(p.Services, 0)
	return q
}

// Validate checks that the counts fit together.
func (p Profile) Validate() error {
	var errs []string
	if p.Orgs < 1 || p.Years < 1 {
		errs = append(errs, "needs at least one organization and one year")
	}
	if p.Sites < p.Orgs {
		errs = append(errs, "needs a service point per organization")
	}
	if p.Staff < 12*p.Orgs {
		errs = append(errs, "needs at least 12 staff per organization")
	}
	if p.Cases > 0 && p.Clients < 1 {
		errs = append(errs, "cases need clients")
	}
	if p.Sessions > 0 && p.Groups < 1 || p.Attendance > 0 && p.Sessions < 1 {
		errs = append(errs, "sessions need groups and attendance needs sessions")
	}
	if p.Services > 0 && p.Volunteers < 1 {
		errs = append(errs, "service records need volunteers")
	}
	if p.Services > p.Volunteers*300*p.Years {
		errs = append(errs, "too many service records per volunteer")
	}
	if len(errs) > 0 {
		return fmt.Errorf("gen: profile %s: %s", p.Name, strings.Join(errs, "; "))
	}
	return nil
}

// Rows is the number of rows the named counts make (the derived tables add
// more).
func (p Profile) Rows() int {
	return p.Orgs + p.Sites + p.Staff + p.Clients + p.Cases + p.Followups + p.Groups + p.Sessions + p.Attendance +
		p.Activities + p.Volunteers + p.Services
}

// split divides p among its organizations: the first is the largest, sizes
// fall off as 1/(k+1)^0.9 (a long tail of small agencies), and every count
// adds up exactly to the profile's.
func (p Profile) split() []Profile {
	if p.Orgs == 1 {
		return []Profile{p}
	}
	w := make([]float64, p.Orgs)
	for k := range w {
		w[k] = 1 / math.Pow(float64(k+1), 0.9)
	}
	parts := make([]Profile, p.Orgs)
	for k := range parts {
		parts[k] = Profile{Name: fmt.Sprintf("%s#%d", p.Name, k+1), Orgs: 1, Years: p.Years}
	}
	dist := func(total, min int, set func(*Profile, int)) {
		n := apportion(total, w, min)
		for k := range parts {
			set(&parts[k], n[k])
		}
	}
	dist(p.Sites, 1, func(q *Profile, n int) { q.Sites = n })
	dist(p.Staff, 12, func(q *Profile, n int) { q.Staff = n })
	dist(p.Clients, 1, func(q *Profile, n int) { q.Clients = n })
	dist(p.Cases, 0, func(q *Profile, n int) { q.Cases = n })
	dist(p.Followups, 0, func(q *Profile, n int) { q.Followups = n })
	dist(p.Groups, 1, func(q *Profile, n int) { q.Groups = n })
	dist(p.Sessions, 1, func(q *Profile, n int) { q.Sessions = n })
	dist(p.Attendance, 0, func(q *Profile, n int) { q.Attendance = n })
	dist(p.Activities, 0, func(q *Profile, n int) { q.Activities = n })
	dist(p.Volunteers, 1, func(q *Profile, n int) { q.Volunteers = n })
	dist(p.Services, 0, func(q *Profile, n int) { q.Services = n })
	return parts
}

// apportion divides total in proportion to w, each share at least min
// (when the total allows), the shares adding up to total exactly.
func apportion(total int, w []float64, min int) []int {
	out := make([]int, len(w))
	if total <= 0 {
		return out
	}
	if min*len(w) > total {
		min = total / len(w)
	}
	rest := total - min*len(w)
	sum := 0.0
	for _, x := range w {
		sum += x
	}
	given := 0
	type frac struct {
		i int
		f float64
	}
	fr := make([]frac, len(w))
	for i, x := range w {
		exact := float64(rest) * x / sum
		n := int(exact)
		out[i] = min + n
		given += n
		fr[i] = frac{i, exact - float64(n)}
	}
	sort.SliceStable(fr, func(a, b int) bool { return fr[a].f > fr[b].f })
	for k := 0; given < rest; k++ {
		out[fr[k%len(fr)].i]++
		given++
	}
	return out
}
