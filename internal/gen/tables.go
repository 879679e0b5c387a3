package gen

import "strings"

// The tables the generator fills, parents before children. Columns left
// out take their defaults.
var tables []*table

func tbl(name, cols string) *table {
	t := &table{name: name, cols: strings.Fields(strings.ReplaceAll(cols, ",", " ")), rank: len(tables)}
	tables = append(tables, t)
	return t
}

var (
	tOrgs        = tbl("organizations", "id, code, name, kind, status, created_at")
	tUsers       = tbl("users", "id, org_id, username, display_name, password_hash, must_change_password, status, created_at, updated_at")
	tRoles       = tbl("user_roles", "org_id, user_id, role")
	tTowns       = tbl("towns", "id, org_id, name")
	tPurchasers  = tbl("purchasers", "id, org_id, name, contact, phone")
	tDomains     = tbl("domains", "id, org_id, name")
	tSites       = tbl("sites", "id, org_id, code, name, kind, town_id, purchaser_id, address, phone, status, created_at, updated_at")
	tContracts   = tbl("contract_years", "id, org_id, site_id, label, start_date, end_date, amount_fen")
	tDepts       = tbl("departments", "id, org_id, name, kind, duties")
	tStaff       = tbl("staff", "id, org_id, employee_no, name, gender, title, phone, department_id, hire_date, status, user_id, created_at, updated_at")
	tAssign      = tbl("staff_assignments", "id, org_id, staff_id, site_id, position, start_date")
	tStaffDom    = tbl("staff_domains", "org_id, staff_id, domain_id")
	tSupLinks    = tbl("supervisor_links", "id, org_id, supervisor_id, supervisee_id, start_date")
	tCategories  = tbl("client_categories", "id, org_id, name, sort_order")
	tClients     = tbl("clients", "id, org_id, name, gender, birth_date, id_number_enc, id_number_idx, phone_enc, phone_idx, address_enc, town_id, community, guardian_name, guardian_relation, guardian_phone_enc, contact_status, contact_checked_on, worker_id, site_id, status, created_by, created_at, updated_at")
	tCatLinks    = tbl("client_category_links", "org_id, client_id, category_id")
	tChecks      = tbl("client_contact_checks", "id, org_id, client_id, checked_on, result, note, checked_by, created_at")
	tConsents    = tbl("client_consents", "id, org_id, client_id, signed_on, signer_name, relationship, sharing_scope, created_by, created_at")
	tCounters    = tbl("counters", "org_id, kind, scope_id, year, last_no")
	tCases       = tbl("cases", "id, org_id, number, client_id, site_id, worker_id, state, risk_level, source, intake_date, presenting_problem, assessed_on, assessment, needs, strengths, planned_on, plan_strategy, plan_end, opened_on, closed_on, post_closure_until, archived_on, created_by, created_at, updated_at")
	tGoals       = tbl("case_goals", "id, org_id, case_id, seq, title, measure, attainment, created_at, updated_at")
	tFollowups   = tbl("case_followups", "id, org_id, case_id, kind, held_on, method, duration_min, content, next_step, worker_id, created_by, created_at")
	tApprovals   = tbl("approvals", "id, org_id, kind, subject_type, subject_id, title, submitter_id, submitter_staff_id, site_id, status, round, current_step, version, submitted_at, created_at, updated_at")
	tSteps       = tbl("approval_steps", "id, org_id, approval_id, round, seq, name, approver, status, started_at")
	tAssignees   = tbl("approval_step_assignees", "org_id, step_id, approval_id, user_id")
	tApprEvents  = tbl("approval_events", "id, org_id, approval_id, round, step_id, action, user_id, at, comment")
	tReferrals   = tbl("case_referrals", "id, org_id, case_id, seq, kind, to_staff_id, reason, services, status, from_worker_id, requested_by, requested_at, decided_at")
	tClosures    = tbl("case_closures", "id, org_id, case_id, reason, summary, evaluation, status, approval_id, requested_by, requested_at, decided_at, closed_on, post_closure_until")
	tCaseEvents  = tbl("case_events", "id, org_id, case_id, at, user_id, kind, detail, comment")
	tProjects    = tbl("projects", "id, org_id, name, site_id, manager_id, start_date, end_date, goals, partners, status, created_at, updated_at")
	tFunds       = tbl("project_funds", "id, org_id, project_id, funder, kind, amount_fen, created_at")
	tGroups      = tbl("groups", "id, org_id, name, kind, site_id, project_id, leader_id, target, goals, target_members, planned_sessions, plan_start, plan_end, status, created_at, updated_at")
	tMembers     = tbl("group_members", "id, org_id, group_id, name, client_id, gender, joined_on, created_at")
	tSessions    = tbl("group_sessions", "id, org_id, group_id, held_on, start_time, end_time, place, topic, stage, created_at, updated_at")
	tAttendance  = tbl("group_attendance", "org_id, session_id, member_id, present")
	tGReports    = tbl("group_reports", "id, org_id, group_id, report_date, summary, goal_attainment, written_by, created_at, updated_at")
	tActivities  = tbl("activities", "id, org_id, title, kind, held_on, start_time, end_time, place, site_id, project_id, lead_id, target, participants, posters, flyers, created_at, updated_at")
	tVolunteers  = tbl("volunteers", "id, org_id, volunteer_no, site_id, name, gender, birth_month, id_type, id_number_enc, id_number_idx, id_number_mask, phone_enc, phone_idx, phone_mask, skills, joined_on, status, created_at, updated_at")
	tTeams       = tbl("volunteer_teams", "id, org_id, site_id, name, leader_id, project_id, status, created_at, updated_at")
	tTeamMembers = tbl("volunteer_team_members", "org_id, team_id, volunteer_id, joined_on")
	tVManagers   = tbl("volunteer_managers", "org_id, site_id, staff_id, since")
	tServices    = tbl("volunteer_services", "id, org_id, volunteer_id, site_id, team_id, activity_id, activity_name, place, service_date, start_min, end_min, minutes, content, people_served, recorder_id, recorder_name, created_at, updated_at")
)

// idTables are the tables whose rows the generator numbers itself.
var idTables = func() []*table {
	var out []*table
	for _, t := range tables {
		if t.cols[0] == "id" {
			out = append(out, t)
		}
	}
	return out
}()
