// Package groups is group work, community activities and projects (SPEC M3,
// rules G1–G3): groups with their plan, members, sessions, per-session
// attendance and the group report; community activities with participants,
// publicity materials, report and photos; funded projects with their
// funders, partners, incubated organizations and the outputs of the groups
// and activities under them. It also provides the counts the statistics
// module reports (groups opened, sessions, person-times, activities,
// participants, publicity materials).
package groups

import (
	. "shegong/internal/authz"
)

// Permissions of the groups, activities and projects area. A worker works on
// the groups and activities of their service point (and on those they lead);
// a supervisor also on their supervisees'; a centre head on the centre's;
// the service department and the director across the organization.
// Evaluators read everything but change nothing. Activities share the group
// permissions.
var (
	PermGroupRead = Define("groups.read", "查看小组与社区活动", map[Role]Level{
		RoleWorker: Site, RoleSupervisor: Site | Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org, RoleEvaluator: Org,
	})
	PermGroupWrite = Define("groups.write", "记录小组与社区活动（计划、组员、节次出席、报告、活动照片）", map[Role]Level{
		RoleWorker: Site, RoleSupervisor: Site | Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org,
	})
	PermProjectRead = Define("projects.read", "查看项目", map[Role]Level{
		RoleWorker: Site, RoleSupervisor: Site | Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org, RoleEvaluator: Org,
	})
	PermProjectWrite = Define("projects.write", "维护项目（资助方、合作方、孵化组织）", map[Role]Level{
		RoleWorker: Site, RoleSupervisor: Site | Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org,
	})
)
