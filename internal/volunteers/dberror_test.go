package volunteers_test

import (
	"strings"
	"testing"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/volunteers"
)

// A database that fails while a record's references are checked (found by
// the crash harness while PostgreSQL restarted under load) is an error, not
// "请选择有效的服务点" or "请选择有效的志愿者": the user's input was fine
// and the form must not say otherwise.
func TestDatabaseFailureIsNotAValidationMessage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		f := setup(t, d)
		w := f.user(f.org, authz.RoleWorker, f.siteA)
		v := f.volunteer(w, f.siteA, "陈志愿", 1, false)
		in := f.recordInput(v, "2026-03-01", "09:00", "10:00", "社区探访")
		// The service-point lookup fails as it does while the database is
		// away: the table cannot be read.
		f.exec(`ALTER TABLE sites RENAME TO sites_away`)
		defer f.exec(`ALTER TABLE sites_away RENAME TO sites`)
		check := func(what string, err error) {
			t.Helper()
			if err == nil {
				t.Fatalf("%s succeeded without its service point table", what)
			}
			if app.ErrorCode(err) == app.EInvalid || strings.Contains(err.Error(), "请选择有效") {
				t.Errorf("%s: a database failure answered as a validation message: %v", what, err)
			}
		}
		_, err := f.svc.CreateRecord(f.ctx, w, in)
		check("service record", err)
		_, err = f.svc.Create(f.ctx, w, volunteers.VolunteerInput{SiteID: f.siteA, Name: "李志愿", Phone: "13900000009"})
		check("volunteer", err)
		_, err = f.svc.CreateTeam(f.ctx, w, volunteers.TeamInput{SiteID: f.siteA, Name: "探访队"})
		check("team", err)
	})
}
