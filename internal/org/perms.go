// Package org is the organization structure (SPEC M1) and the tenants that
// hold it: organizations, towns, purchasers, service points with contract
// years, departments, domains, staff with titles, certificates, assignments
// and supervisor relationships, user accounts and their roles.
package org

import (
	. "shegong/internal/authz"
)

// Permissions of the organization-structure area. A role absent from a
// grant map does not hold the permission.
var (
	PermSiteRead = Define("org.site.read", "查看服务点", map[Role]Level{
		RoleWorker: Site, RoleSupervisor: Site, RoleCentreHead: Site, RoleCentreFinance: Site,
		RoleDirector: Org, RoleServiceHead: Org, RoleAdminHead: Org, RoleFinanceHead: Org,
		RoleOrgAdmin: Org, RoleHR: Org, RoleAccountant: Org, RoleEvaluator: Org,
	})
	PermSiteWrite = Define("org.site.write", "维护服务点与合同年", map[Role]Level{
		RoleOrgAdmin: Org, RoleDirector: Org, RoleAdminHead: Org,
	})
	PermContractRead = Define("org.contract.read", "查看合同年及到期提醒", map[Role]Level{
		RoleCentreHead: Site, RoleDirector: Org, RoleAdminHead: Org, RoleServiceHead: Org,
		RoleFinanceHead: Org, RoleOrgAdmin: Org,
	})
	PermDeptRead = Define("org.dept.read", "查看部门", map[Role]Level{
		RoleDirector: Org, RoleServiceHead: Org, RoleAdminHead: Org, RoleFinanceHead: Org,
		RoleOrgAdmin: Org, RoleHR: Org, RoleCentreHead: Org, RoleSupervisor: Org, RoleWorker: Org,
		RoleCentreFinance: Org, RoleAccountant: Org,
	})
	PermDeptWrite = Define("org.dept.write", "维护部门", map[Role]Level{
		RoleOrgAdmin: Org, RoleDirector: Org, RoleAdminHead: Org,
	})
	PermStaffRead = Define("org.staff.read", "查看同工档案", map[Role]Level{
		RoleWorker: Own, RoleCentreFinance: Own, RoleAccountant: Own,
		RoleSupervisor: Supervised, RoleCentreHead: Site,
		RoleServiceHead: Department | Supervised, RoleFinanceHead: Department,
		RoleDirector: Org, RoleAdminHead: Org, RoleHR: Org, RoleOrgAdmin: Org,
	})
	PermStaffWrite = Define("org.staff.write", "维护同工档案、任职与督导关系", map[Role]Level{
		RoleHR: Org, RoleAdminHead: Org, RoleOrgAdmin: Org, RoleDirector: Org,
	})
	PermStaffReport = Define("org.staff.report", "同工分布统计", map[Role]Level{
		RoleCentreHead: Site, RoleDirector: Org, RoleAdminHead: Org, RoleServiceHead: Org,
		RoleHR: Org, RoleOrgAdmin: Org, RoleEvaluator: Org,
	})
	PermUserAdmin = Define("org.user.admin", "管理账号与角色", map[Role]Level{
		RoleOrgAdmin: Org, RoleDirector: Org,
	})
	PermAuditRead = Define("audit.read", "查看审计日志", map[Role]Level{
		RoleOrgAdmin: Org, RoleDirector: Org,
	})
	PermPlatformOrgs = Define("platform.orgs", "管理平台上的机构（仅汇总）", map[Role]Level{
		RolePlatformOperator: Platform,
	})
)
