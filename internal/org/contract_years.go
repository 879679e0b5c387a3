package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// ContractYear is one contract period (合同年) of a service point with its
// purchaser, with the contract amount in fen.
type ContractYear struct {
	ID        int64    `json:"id"`
	SiteID    int64    `json:"site_id"`
	Label     string   `json:"label"`
	Start     app.Date `json:"start_date"`
	End       app.Date `json:"end_date"`
	AmountFen app.Fen  `json:"amount_fen" doc:"合同金额，单位：分"`
	Note      string   `json:"note"`
}

// State is where today falls relative to the contract year: "upcoming",
// "current", "ending" (current, ending within 30 days) or "ended".
func (c ContractYear) State(today app.Date) string {
	switch {
	case today.Before(c.Start):
		return "upcoming"
	case today.After(c.End):
		return "ended"
	case today.DaysUntil(c.End) <= 30:
		return "ending"
	}
	return "current"
}

// ContractYearInput creates or edits a contract year. AmountFen is required
// (nil means it was not given).
type ContractYearInput struct {
	Label     string   `json:"label" doc:"名称，如 2026合同年；同一服务点内不能重复"`
	Start     app.Date `json:"start_date"`
	End       app.Date `json:"end_date" doc:"不早于开始日期；与同一服务点的其他合同年不能重叠"`
	AmountFen *app.Fen `json:"amount_fen" doc:"合同金额，单位：分（必填，不能为负）"`
	Note      string   `json:"note"`
}

// Check records the contract-year rules that need no database. The web
// form calls it after recording its own parse errors, so that the user
// sees every problem at once; a field that already has an error keeps it.
func (in *ContractYearInput) Check(v *app.Validation) {
	in.Label = strings.TrimSpace(in.Label)
	in.Note = strings.TrimSpace(in.Note)
	if v.Required("label", in.Label, "合同年名称") {
		v.MaxLen("label", in.Label, "合同年名称", 40)
	}
	if in.Start.IsZero() {
		v.Add("start_date", "开始日期不能为空")
	}
	if in.End.IsZero() {
		v.Add("end_date", "结束日期不能为空")
	}
	if !in.Start.IsZero() && !in.End.IsZero() && in.End.Before(in.Start) {
		v.Add("end_date", "结束日期不能早于开始日期")
	}
	if !in.Start.IsZero() && !in.End.IsZero() && in.Start.AddMonths(60).Before(in.End) {
		v.Add("end_date", "一个合同年不能超过5年，请检查日期")
	}
	switch {
	case in.AmountFen == nil:
		v.Add("amount_fen", "合同金额不能为空")
	case *in.AmountFen < 0:
		v.Add("amount_fen", "合同金额不能为负数")
	}
	v.MaxLen("note", in.Note, "备注", 500)
}

const (
	sqlContractYears = `SELECT id, site_id, label, start_date, end_date, amount_fen, note FROM contract_years
		WHERE org_id = $1 AND site_id = $2 ORDER BY start_date DESC, id DESC`
	sqlContractYear = `SELECT id, site_id, label, start_date, end_date, amount_fen, note FROM contract_years
		WHERE org_id = $1 AND site_id = $2 AND id = $3`
	// sqlLockSite makes concurrent contract-year writers of one site wait
	// for each other (a row lock on PostgreSQL; SQLite has one writer), so
	// the overlap check cannot race.
	sqlLockSite    = `UPDATE sites SET version = version WHERE org_id = $1 AND id = $2`
	sqlOverlapping = `SELECT label, start_date, end_date FROM contract_years
		WHERE org_id = $1 AND site_id = $2 AND id <> $3 AND start_date <= $5 AND end_date >= $4
		ORDER BY start_date LIMIT 1`
	sqlSameLabel = `SELECT COUNT(*) FROM contract_years WHERE org_id = $1 AND site_id = $2 AND id <> $3 AND label = $4`
	sqlInsertCY  = `INSERT INTO contract_years (org_id, site_id, label, start_date, end_date, amount_fen, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
	sqlUpdateCY = `UPDATE contract_years SET label = $4, start_date = $5, end_date = $6, amount_fen = $7, note = $8
		WHERE org_id = $1 AND site_id = $2 AND id = $3`
	sqlDeleteCY = `DELETE FROM contract_years WHERE org_id = $1 AND site_id = $2 AND id = $3`
)

// ListContractYears lists a service point's contract years, newest first.
func (s *Service) ListContractYears(ctx context.Context, p *authz.Principal, siteID int64) ([]ContractYear, error) {
	st, err := s.GetSite(ctx, p, siteID)
	if err != nil {
		return nil, err
	}
	if !CanReadContracts(p, st) {
		return nil, app.ErrForbidden()
	}
	rows, err := s.DB.R.QueryContext(ctx, sqlContractYears, p.OrgID, siteID)
	if err != nil {
		return nil, fmt.Errorf("org: list contract years: %w", err)
	}
	defer rows.Close()
	out := []ContractYear{}
	for rows.Next() {
		var c ContractYear
		if err := rows.Scan(&c.ID, &c.SiteID, &c.Label, &c.Start, &c.End, &c.AmountFen, &c.Note); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// GetContractYear returns one contract year of a service point.
func (s *Service) GetContractYear(ctx context.Context, p *authz.Principal, siteID, id int64) (*ContractYear, error) {
	st, err := s.GetSite(ctx, p, siteID)
	if err != nil {
		return nil, err
	}
	if !CanReadContracts(p, st) {
		return nil, app.ErrNotFound("合同年")
	}
	return s.getContractYear(ctx, s.DB.R, p.OrgID, siteID, id)
}

func (s *Service) getContractYear(ctx context.Context, q db.Querier, orgID, siteID, id int64) (*ContractYear, error) {
	var c ContractYear
	err := q.QueryRowContext(ctx, sqlContractYear, orgID, siteID, id).Scan(&c.ID, &c.SiteID, &c.Label, &c.Start,
		&c.End, &c.AmountFen, &c.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("合同年")
	}
	if err != nil {
		return nil, fmt.Errorf("org: get contract year: %w", err)
	}
	return &c, nil
}

// checkContractYear locks the site's contract years and refuses a period
// that overlaps another contract year of the site or reuses its name.
func checkContractYear(ctx context.Context, tx *sql.Tx, orgID, siteID, id int64, in *ContractYearInput) error {
	if _, err := tx.ExecContext(ctx, sqlLockSite, orgID, siteID); err != nil {
		return fmt.Errorf("org: lock site: %w", err)
	}
	var label string
	var start, end app.Date
	err := tx.QueryRowContext(ctx, sqlOverlapping, orgID, siteID, id, in.Start, in.End).Scan(&label, &start, &end)
	switch {
	case err == nil:
		msg := fmt.Sprintf("与已有合同年「%s」（%s 至 %s）时间重叠，同一服务点的合同年不能重叠", label, start, end)
		return conflictOn(map[string]string{"start_date": msg})
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("org: check contract year overlap: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, sqlSameLabel, orgID, siteID, id, in.Label).Scan(&n); err != nil {
		return fmt.Errorf("org: check contract year label: %w", err)
	}
	if n > 0 {
		return conflictOn(map[string]string{"label": "该服务点已有名为「" + in.Label + "」的合同年"})
	}
	return nil
}

func contractYearDetail(label string, start, end app.Date, amount app.Fen) string {
	return fmt.Sprintf("%s：%s 至 %s，金额 %s", label, start, end, amount)
}

// CreateContractYear adds a contract year to a service point.
func (s *Service) CreateContractYear(ctx context.Context, p *authz.Principal, siteID int64, in ContractYearInput) (int64, error) {
	if !p.Can(PermSiteWrite) {
		return 0, app.ErrForbidden()
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableSite(ctx, tx, p, siteID); err != nil {
			return err
		}
		var v app.Validation
		in.Check(&v)
		if err := v.Err(); err != nil {
			return err
		}
		if err := checkContractYear(ctx, tx, p.OrgID, siteID, 0, &in); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, sqlInsertCY, p.OrgID, siteID, in.Label, in.Start, in.End,
			int64(*in.AmountFen), in.Note).Scan(&id); err != nil {
			return fmt.Errorf("org: insert contract year: %w", err)
		}
		// Contract-year entries belong to the site's timeline.
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "contract_year.create", ObjectType: "site", ObjectID: strconv.FormatInt(siteID, 10),
			Detail: contractYearDetail(in.Label, in.Start, in.End, *in.AmountFen)})
	})
	return id, err
}

// UpdateContractYear edits a contract year of a service point.
func (s *Service) UpdateContractYear(ctx context.Context, p *authz.Principal, siteID, id int64, in ContractYearInput) error {
	if !p.Can(PermSiteWrite) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableSite(ctx, tx, p, siteID); err != nil {
			return err
		}
		old, err := s.getContractYear(ctx, tx, p.OrgID, siteID, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.Check(&v)
		if err := v.Err(); err != nil {
			return err
		}
		if err := checkContractYear(ctx, tx, p.OrgID, siteID, id, &in); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlUpdateCY, p.OrgID, siteID, id, in.Label, in.Start, in.End,
			int64(*in.AmountFen), in.Note); err != nil {
			return fmt.Errorf("org: update contract year: %w", err)
		}
		d := changes{"合同年「" + old.Label + "」"}
		d.Add("名称", old.Label, in.Label)
		d.Add("开始日期", old.Start.String(), in.Start.String())
		d.Add("结束日期", old.End.String(), in.End.String())
		d.Add("金额", old.AmountFen.String(), in.AmountFen.String())
		d.Add("备注", old.Note, in.Note)
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "contract_year.update", ObjectType: "site", ObjectID: strconv.FormatInt(siteID, 10), Detail: d.String()})
	})
}

// DeleteContractYear removes a contract year entered by mistake.
func (s *Service) DeleteContractYear(ctx context.Context, p *authz.Principal, siteID, id int64) error {
	if !p.Can(PermSiteWrite) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableSite(ctx, tx, p, siteID); err != nil {
			return err
		}
		old, err := s.getContractYear(ctx, tx, p.OrgID, siteID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlDeleteCY, p.OrgID, siteID, id); err != nil {
			return fmt.Errorf("org: delete contract year: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "contract_year.delete", ObjectType: "site", ObjectID: strconv.FormatInt(siteID, 10),
			Detail: contractYearDetail(old.Label, old.Start, old.End, old.AmountFen)})
	})
}

// ContractTotal sums the amounts of contract years.
func ContractTotal(cys []ContractYear) app.Fen {
	var t app.Fen
	for _, c := range cys {
		t += c.AmountFen
	}
	return t
}
