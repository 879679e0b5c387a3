package volunteers_test

import (
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/volunteers"
)

// project inserts a project of org hosted at site.
func (f *fixture) project(org, site int64, name string) int64 {
	f.t.Helper()
	return f.id(`INSERT INTO projects (org_id, name, site_id, start_date, end_date, created_at, updated_at)
		VALUES ($1, $2, $3, '2026-01-01', '2026-12-31', $4, $4) RETURNING id`, org, name, site, start)
}

func TestTeamLinkedToProject(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		head := f.user(f.org, authz.RoleCentreHead, f.siteA)
		own := f.project(f.org, f.siteA, "长者关爱计划")
		foreign := f.project(f.other, f.siteX, "别家项目")

		// Another organization's project is refused on the field.
		_, err := f.svc.CreateTeam(f.ctx, head, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队", ProjectID: foreign})
		if app.FieldErrors(err)["project_id"] != "所选项目不存在" {
			t.Fatalf("foreign project on create: %v %v", err, app.FieldErrors(err))
		}
		team, err := f.svc.CreateTeam(f.ctx, head, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队", ProjectID: own})
		if err != nil || team.ProjectID != own || team.ProjectName != "长者关爱计划" {
			t.Fatalf("linked team: %v %+v", err, team)
		}
		_, err = f.svc.UpdateTeam(f.ctx, head, team.ID, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队", ProjectID: foreign})
		if app.FieldErrors(err)["project_id"] != "所选项目不存在" {
			t.Fatalf("foreign project on update: %v %v", err, app.FieldErrors(err))
		}
		other, err := f.svc.CreateTeam(f.ctx, head, volunteers.TeamInput{SiteID: f.siteA, Name: "环保队"})
		if err != nil || other.ProjectID != 0 || other.ProjectName != "" {
			t.Fatalf("unlinked team: %v %+v", err, other)
		}

		got, err := volunteers.TeamsOfProject(f.ctx, d.R, f.org, own)
		if err != nil || len(got) != 1 || got[0].ID != team.ID {
			t.Fatalf("teams of project: %v %+v", err, got)
		}
		if got, _ := volunteers.TeamsOfProject(f.ctx, d.R, f.other, own); len(got) != 0 {
			t.Fatalf("teams of project seen from another organization: %+v", got)
		}

		// Unlinking keeps the team but takes it off the project.
		if _, err := f.svc.UpdateTeam(f.ctx, head, team.ID, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := volunteers.TeamsOfProject(f.ctx, d.R, f.org, own); len(got) != 0 {
			t.Fatalf("unlinked team still listed: %+v", got)
		}
		choices, err := f.svc.ProjectChoices(f.ctx, head)
		if err != nil || len(choices) != 1 || choices[0].ID != own {
			t.Fatalf("project choices: %v %+v", err, choices)
		}
	})
}
