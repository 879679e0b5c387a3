// Package volunteers is the volunteer area (SPEC M4, rules V1–V3): the
// volunteer register with the i志愿 platform id, volunteer teams and the
// staff who manage volunteers at each service point, service records with
// their hours, star ratings by configurable thresholds, commendations,
// numbered service certificates, the export to the i志愿 platform, the
// registration and recording reports, imports from Excel and the counts
// the statistics use.
package volunteers

import (
	. "shegong/internal/authz"
)

// Permissions of the volunteer area. Volunteers belong to a service point:
// its staff see and record them; the service department and the director
// see the whole organization; evaluators read without ever seeing a full
// ID number or phone.
var (
	PermRead = Define("volunteers.read", "查看志愿者、服务队与服务记录", map[Role]Level{
		RoleWorker: Site, RoleCentreHead: Site, RoleSupervisor: Site,
		RoleServiceHead: Org, RoleDirector: Org, RoleEvaluator: Org,
	})
	PermWrite = Define("volunteers.write", "登记志愿者、服务队与服务记录", map[Role]Level{
		RoleWorker: Site, RoleCentreHead: Site, RoleSupervisor: Site,
		RoleServiceHead: Org, RoleDirector: Org,
	})
	// PermReveal shows full ID numbers and phones; the i志愿 export needs
	// them too, so it is limited to the same holders. Every use is audited.
	PermReveal = Define("volunteers.reveal", "查看志愿者完整证件号和电话、导出i志愿", map[Role]Level{
		RoleWorker: Site, RoleCentreHead: Site, RoleSupervisor: Site,
		RoleServiceHead: Org, RoleDirector: Org,
	})
	// PermConfig sets the organization's star rating thresholds.
	PermConfig = Define("volunteers.config", "设置志愿者星级时数标准", map[Role]Level{
		RoleServiceHead: Org, RoleDirector: Org,
	})
)
