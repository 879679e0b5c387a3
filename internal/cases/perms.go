// Package cases is the client register and casework (SPEC M2, rules C0–C9):
// clients with their consent records, and cases from intake through
// assessment, plan, follow-ups, referral and closure to post-closure
// follow-up and archive.
package cases

import (
	. "shegong/internal/authz"
)

// Permissions of the client and casework area. A worker works on their own
// clients and cases; a supervisor on their supervisees'; a centre head on
// the service point's; the service department and the director across the
// organization. Evaluators and administrators see no client's identity.
var (
	PermClientRead = Define("cases.client.read", "查看服务对象", map[Role]Level{
		RoleWorker: Own, RoleSupervisor: Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org,
	})
	PermClientWrite = Define("cases.client.write", "登记和修改服务对象", map[Role]Level{
		RoleWorker: Own, RoleSupervisor: Supervised, RoleCentreHead: Site,
	})
	PermClientReveal = Define("cases.client.reveal", "查看服务对象完整身份证号和电话", map[Role]Level{
		RoleWorker: Own, RoleSupervisor: Supervised, RoleCentreHead: Site, RoleDirector: Org,
	})
	PermClientImport = Define("cases.client.import", "从Excel导入服务对象", map[Role]Level{
		RoleWorker: Own, RoleCentreHead: Site, RoleServiceHead: Org,
	})
	PermCaseRead = Define("cases.case.read", "查看个案档案", map[Role]Level{
		RoleWorker: Own, RoleSupervisor: Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org,
	})
	PermCaseWrite = Define("cases.case.write", "记录个案（接案、预估、计划、跟进、转介、结案）", map[Role]Level{
		RoleWorker: Own, RoleSupervisor: Supervised, RoleCentreHead: Site,
	})
	PermCaseReassign = Define("cases.case.reassign", "个案转移（换负责社工）", map[Role]Level{
		RoleSupervisor: Supervised, RoleCentreHead: Site, RoleServiceHead: Org, RoleDirector: Org,
	})
	PermCaseReport = Define("cases.report", "档案检查与社工月报表", map[Role]Level{
		RoleWorker: Own, RoleSupervisor: Supervised, RoleCentreHead: Site,
		RoleServiceHead: Org, RoleDirector: Org, RoleEvaluator: Org,
	})
)
