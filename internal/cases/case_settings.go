package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// PermCaseSettings lets the organization's management set the casework
// rules: follow-ups per month, post-closure months and reminder timing.
var PermCaseSettings = authz.Define("cases.settings", "设置个案工作规则（跟进频次、结案后跟进月数、提醒）", map[authz.Role]authz.Level{
	authz.RoleServiceHead: authz.Org, authz.RoleDirector: authz.Org, authz.RoleOrgAdmin: authz.Org,
})

// Settings are an organization's casework rules.
type Settings struct {
	// FollowupsPerMonth is the least number of follow-ups per open case and
	// calendar month (C4).
	FollowupsPerMonth int `json:"followups_per_month"`
	// PostClosureMonths is how many months a closed case is followed up,
	// with at least one written record per month (C6).
	PostClosureMonths int `json:"post_closure_months"`
	// RemindDaysLeft: a case short of follow-ups is reminded of when this
	// many days or fewer are left in the month.
	RemindDaysLeft int `json:"remind_days_left"`
	// IdleDays: an open case without a follow-up for this many days is
	// reminded of.
	IdleDays int   `json:"idle_days"`
	Version  int64 `json:"version"`
}

// DefaultSettings are the seed organization's rules.
var DefaultSettings = Settings{FollowupsPerMonth: 2, PostClosureMonths: 2, RemindDaysLeft: 7, IdleDays: 15}

const sqlSettings = `SELECT followups_per_month, post_closure_months, remind_days_left, idle_days, version
	FROM case_settings WHERE org_id = $1`

// settings reads an organization's rules, or the defaults.
func loadSettings(ctx context.Context, q db.Querier, orgID int64) (Settings, error) {
	st := DefaultSettings
	err := q.QueryRowContext(ctx, sqlSettings, orgID).Scan(&st.FollowupsPerMonth, &st.PostClosureMonths,
		&st.RemindDaysLeft, &st.IdleDays, &st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSettings, nil
	}
	if err != nil {
		return st, fmt.Errorf("cases: settings: %w", err)
	}
	return st, nil
}

// Settings returns the casework rules of the caller's organization.
func (s *CaseService) Settings(ctx context.Context, p *authz.Principal) (Settings, error) {
	if p == nil || p.OrgID == 0 || p.IsPlatform() {
		return Settings{}, app.ErrForbidden()
	}
	return loadSettings(ctx, s.DB.R, p.OrgID)
}

const (
	sqlInsertSettings = `INSERT INTO case_settings (org_id, followups_per_month, post_closure_months, remind_days_left,
		idle_days, version, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (org_id) DO NOTHING`
	sqlUpdateSettings = `UPDATE case_settings SET followups_per_month = $3, post_closure_months = $4,
		remind_days_left = $5, idle_days = $6, version = version + 1, updated_at = $7
		WHERE org_id = $1 AND version = $2`
)

// SaveSettings changes the casework rules; in.Version is the version the
// user saw (0 while the defaults apply).
func (s *CaseService) SaveSettings(ctx context.Context, p *authz.Principal, in Settings) (Settings, error) {
	if !p.Scope(PermCaseSettings).Has(authz.Org) {
		return Settings{}, app.ErrForbidden()
	}
	var v app.Validation
	between := func(field, label string, n, lo, hi int) {
		if n < lo || n > hi {
			v.Add(field, fmt.Sprintf("%s应在 %d 到 %d 之间", label, lo, hi))
		}
	}
	between("followups_per_month", "每月最少跟进次数", in.FollowupsPerMonth, 0, 31)
	between("post_closure_months", "结案后跟进月数", in.PostClosureMonths, 0, 12)
	between("remind_days_left", "月底前提醒天数", in.RemindDaysLeft, 0, 27)
	between("idle_days", "未跟进提醒天数", in.IdleDays, 1, 90)
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	now := s.Now()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := loadSettings(ctx, tx, p.OrgID)
		if err != nil {
			return err
		}
		if old.Version != in.Version {
			return errStale
		}
		if old.Version == 0 {
			if _, err := tx.ExecContext(ctx, sqlInsertSettings, p.OrgID, DefaultSettings.FollowupsPerMonth,
				DefaultSettings.PostClosureMonths, DefaultSettings.RemindDaysLeft, DefaultSettings.IdleDays, now.UTC()); err != nil {
				return fmt.Errorf("cases: insert settings: %w", err)
			}
			in.Version = 1
		}
		res, err := tx.ExecContext(ctx, sqlUpdateSettings, p.OrgID, in.Version, in.FollowupsPerMonth, in.PostClosureMonths,
			in.RemindDaysLeft, in.IdleDays, now.UTC())
		if err != nil {
			return fmt.Errorf("cases: update settings: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errStale
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "case.settings", ObjectType: "case_settings", ObjectID: strconv.FormatInt(p.OrgID, 10),
			Detail: fmt.Sprintf("每月最少跟进 %d 次；结案后跟进 %d 个月；月底前 %d 天提醒；%d 天未跟进提醒",
				in.FollowupsPerMonth, in.PostClosureMonths, in.RemindDaysLeft, in.IdleDays)})
	})
	if err != nil {
		return Settings{}, err
	}
	return loadSettings(ctx, s.DB.R, p.OrgID)
}

var errStale = app.Errorf(app.EConflict, "内容已被他人修改，请刷新页面后再试")
