// Package stats is the service statistics (SPEC Q1, the seed's 服务数据统计):
// the nine figures — cases opened, groups opened, group sessions, group
// person-times, community activities, activity participants, volunteer
// person-times, volunteer hours and publicity materials — for any period
// (month, quarter, half-year, year or custom) and scope (the organization,
// a service point, a project, a worker), with the records behind each
// figure, the figures by month and by service point, and the volunteers'
// distinct count and hours by team.
//
// Each figure is one entry of the registry (Figures): its label, its
// definition as users read it, and the count and drill-down of the business
// area that owns the records. The statistics never count anything
// themselves, so a figure has exactly one definition.
package stats
