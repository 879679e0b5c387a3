package authz

import (
	"strings"
	"testing"
)

func TestScopeSQLBindsOnlyWhatItUses(t *testing.T) {
	perm := &Perm{Name: "t", Grants: map[Role]Level{RoleWorker: Own, RoleCentreHead: Site, RoleDirector: Org, RoleSupervisor: Supervised}}
	cols := Cols{Org: "x.org_id", Owner: "x.worker_id", Site: "x.site_id"}
	cases := []struct {
		name  string
		p     *Principal
		want  string
		nargs int
	}{
		{"director", &Principal{OrgID: 3, Roles: []Role{RoleDirector}}, "x.org_id = $1", 1},
		{"worker", &Principal{OrgID: 3, StaffID: 9, Roles: []Role{RoleWorker}}, "x.org_id = $1 AND (x.worker_id IN (9))", 1},
		{"worker without staff", &Principal{OrgID: 3, Roles: []Role{RoleWorker}}, "1 = 0", 0},
		{"centre head without site", &Principal{OrgID: 3, Roles: []Role{RoleCentreHead}}, "1 = 0", 0},
		{"supervisor", &Principal{OrgID: 3, StaffID: 4, Supervisees: []int64{5, 6}, Roles: []Role{RoleSupervisor}},
			"x.org_id = $1 AND (x.worker_id IN (4,5,6))", 1},
		{"head and worker", &Principal{OrgID: 3, StaffID: 4, SiteIDs: []int64{7}, Roles: []Role{RoleWorker, RoleCentreHead}},
			"x.org_id = $1 AND (x.worker_id IN (4) OR x.site_id IN (7))", 1},
		{"no role", &Principal{OrgID: 3}, "1 = 0", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var args []any
			got := c.p.Scope(perm).SQL(cols, func(v any) string {
				args = append(args, v)
				return "$" + string(rune('0'+len(args)))
			})
			if got != c.want || len(args) != c.nargs {
				t.Fatalf("got %q with %d args, want %q with %d", got, len(args), c.want, c.nargs)
			}
			if strings.Contains(got, "$1") && args[0] != c.p.OrgID {
				t.Fatalf("org arg %v", args[0])
			}
		})
	}
}

func TestScopeAllows(t *testing.T) {
	perm := &Perm{Name: "t", Grants: map[Role]Level{RoleWorker: Own, RoleCentreHead: Site, RoleDirector: Org,
		RoleSupervisor: Supervised, RolePlatformOperator: Platform}}
	worker := &Principal{OrgID: 1, StaffID: 10, SiteIDs: []int64{100}, Roles: []Role{RoleWorker}, OrgKind: "agency"}
	head := &Principal{OrgID: 1, StaffID: 11, SiteIDs: []int64{100}, Roles: []Role{RoleCentreHead}, OrgKind: "agency"}
	sup := &Principal{OrgID: 1, StaffID: 12, Supervisees: []int64{20}, Roles: []Role{RoleSupervisor}, OrgKind: "agency"}
	dir := &Principal{OrgID: 1, StaffID: 13, Roles: []Role{RoleDirector}, OrgKind: "agency"}
	fakePlatform := &Principal{OrgID: 1, Roles: []Role{RolePlatformOperator}, OrgKind: "agency"}
	own := Obj{OrgID: 1, OwnerID: 10, SiteIDs: []int64{100}}
	peer := Obj{OrgID: 1, OwnerID: 14, SiteIDs: []int64{100}}
	supee := Obj{OrgID: 1, OwnerID: 20, SiteIDs: []int64{200}}
	foreign := Obj{OrgID: 2, OwnerID: 10, SiteIDs: []int64{100}}
	for _, c := range []struct {
		name string
		p    *Principal
		o    Obj
		want bool
	}{
		{"worker own", worker, own, true},
		{"worker peer", worker, peer, false},
		{"worker foreign org same ids", worker, foreign, false},
		{"head peer at site", head, peer, true},
		{"head supervisee elsewhere", head, supee, false},
		{"supervisor supervisee", sup, supee, true},
		{"supervisor peer", sup, peer, false},
		{"director peer", dir, peer, true},
		{"director foreign", dir, foreign, false},
		{"platform role in an agency grants nothing", fakePlatform, peer, false},
	} {
		if got := c.p.Scope(perm).Allows(c.o); got != c.want {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
}
