package stats

import "shegong/internal/authz"

// PermRead lets a user read the service statistics. The level decides which
// scopes they may pick: a worker only their own figures, a supervisor also
// their supervisees', a centre head their service points (and any worker's
// figures there), the departments, the director and evaluators the whole
// organization.
var PermRead = authz.Define("stats.read", "查看服务数据统计", map[authz.Role]authz.Level{
	authz.RoleWorker: authz.Own, authz.RoleSupervisor: authz.Supervised, authz.RoleCentreHead: authz.Site,
	authz.RoleServiceHead: authz.Org, authz.RoleDirector: authz.Org, authz.RoleAdminHead: authz.Org,
	authz.RoleEvaluator: authz.Org, authz.RoleOrgAdmin: authz.Org,
})
