// Package resources is resource linking and purchaser communication (SPEC
// M4, rules R1 and R2): each service point's monthly registration of the
// resources it linked, the searchable resource library built from them,
// the log of contacts with the purchaser, and the reminders for months
// without either.
package resources

import (
	. "shegong/internal/authz"
)

// Permissions of the resource area. Purchaser communication is the
// administration department's concern, so its head works across the
// organization.
var (
	PermRead = Define("resources.read", "查看资源链接与用人单位沟通", map[Role]Level{
		RoleWorker: Site, RoleCentreHead: Site,
		RoleAdminHead: Org, RoleServiceHead: Org, RoleDirector: Org, RoleEvaluator: Org,
	})
	PermWrite = Define("resources.write", "登记资源链接与用人单位沟通", map[Role]Level{
		RoleWorker: Site, RoleCentreHead: Site,
		RoleAdminHead: Org, RoleServiceHead: Org, RoleDirector: Org,
	})
	// PermRemind decides who is reminded of missing monthly entries: the
	// centre head for their service points, the administration head for all.
	PermRemind = Define("resources.remind", "资源链接与用人单位沟通的月度提醒", map[Role]Level{
		RoleCentreHead: Site, RoleAdminHead: Org,
	})
)
