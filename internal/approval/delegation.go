package approval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Delegation lets a stand-in decide, within its dates, every step the
// delegator is an approver of. It is not passed on: a stand-in's own
// delegation does not cover what they hold as a stand-in.
type Delegation struct {
	ID          int64     `json:"id"`
	From        User      `json:"from"`
	To          User      `json:"to"`
	Start       app.Date  `json:"start"`
	End         app.Date  `json:"end"`
	Reason      string    `json:"reason"`
	CreatedAt   time.Time `json:"created_at"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	State       string    `json:"state"` // upcoming, active, ended, cancelled
	StateName   string    `json:"state_name"`
}

func (d *Delegation) setState(today app.Date) {
	switch {
	case !d.CancelledAt.IsZero():
		d.State, d.StateName = "cancelled", "已取消"
	case today.Before(d.Start):
		d.State, d.StateName = "upcoming", "未开始"
	case today.After(d.End):
		d.State, d.StateName = "ended", "已结束"
	default:
		d.State, d.StateName = "active", "生效中"
	}
}

// DelegationInput is a new delegation by the signed-in user.
type DelegationInput struct {
	ToUserID int64    `json:"to_user_id"`
	Start    app.Date `json:"start"`
	End      app.Date `json:"end"`
	Reason   string   `json:"reason"`
}

// MaxDelegationDays bounds one delegation, so that none is forgotten for good.
const MaxDelegationDays = 366

const (
	sqlActiveUser = `SELECT display_name FROM users WHERE org_id = $1 AND id = $2 AND status = 'active'`
	sqlOverlap    = `SELECT d.start_date, d.end_date, u.display_name FROM approval_delegations d
		JOIN users u ON u.org_id = d.org_id AND u.id = d.to_user_id
		WHERE d.org_id = $1 AND d.from_user_id = $2 AND d.cancelled_at IS NULL
		AND d.start_date <= $4 AND d.end_date >= $3
		ORDER BY d.start_date LIMIT 1`
	sqlInsertDelegation = `INSERT INTO approval_delegations (org_id, from_user_id, to_user_id, start_date, end_date,
		reason, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`
)

// Delegate lets in.ToUserID decide for p from in.Start to in.End inclusive.
// A user has at most one stand-in on any day.
func (s *Service) Delegate(ctx context.Context, p *authz.Principal, in DelegationInput) (*Delegation, error) {
	if agencyUser(p) != nil || !p.Can(PermDelegate) {
		return nil, app.ErrForbidden()
	}
	now, today := s.Now(), s.today()
	in.Reason = strings.TrimSpace(in.Reason)
	var v app.Validation
	if v.Chosen("to_user_id", in.ToUserID, "代理人") && in.ToUserID == p.UserID {
		v.Add("to_user_id", "不能委托给自己")
	}
	if in.Start.IsZero() {
		v.Add("start", "请填写开始日期")
	}
	if in.End.IsZero() {
		v.Add("end", "请填写结束日期")
	}
	if !in.Start.IsZero() && !in.End.IsZero() {
		switch {
		case in.End.Before(in.Start):
			v.Add("end", "结束日期不能早于开始日期")
		case in.End.Before(today):
			v.Add("end", "结束日期不能早于今天")
		case in.Start.DaysUntil(in.End) >= MaxDelegationDays:
			v.Add("end", "委托期限不能超过一年")
		}
	}
	if v.Required("reason", in.Reason, "委托事由") {
		v.MaxLen("reason", in.Reason, "委托事由", 200)
	}
	var out *Delegation
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var toName string
		if !v.Has("to_user_id") {
			err := tx.QueryRowContext(ctx, sqlActiveUser, p.OrgID, in.ToUserID).Scan(&toName)
			if errors.Is(err, sql.ErrNoRows) {
				v.Add("to_user_id", "请选择有效的代理人")
			} else if err != nil {
				return fmt.Errorf("approval: load stand-in: %w", err)
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		var from, to app.Date
		var other string
		err := tx.QueryRowContext(ctx, sqlOverlap, p.OrgID, p.UserID, in.Start, in.End).Scan(&from, &to, &other)
		if err == nil {
			return app.Errorf(app.EConflict, "该时段已有委托（%s 至 %s，代理人：%s），请先取消原委托", from, to, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("approval: check overlap: %w", err)
		}
		var id int64
		if err := tx.QueryRowContext(ctx, sqlInsertDelegation, p.OrgID, p.UserID, in.ToUserID, in.Start, in.End,
			in.Reason, now.UTC()).Scan(&id); err != nil {
			return fmt.Errorf("approval: insert delegation: %w", err)
		}
		out = &Delegation{ID: id, From: User{p.UserID, p.DisplayName}, To: User{in.ToUserID, toName},
			Start: in.Start, End: in.End, Reason: in.Reason, CreatedAt: now}
		out.setState(today)
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "approval.delegate", ObjectType: "approval_delegation", ObjectID: strconv.FormatInt(id, 10),
			Detail: fmt.Sprintf("委托%s代为审批 %s 至 %s；事由：%s", toName, in.Start, in.End, in.Reason)})
	})
	return out, err
}

const sqlDelegations = `SELECT d.id, d.from_user_id, fu.display_name, d.to_user_id, tu.display_name, d.start_date,
	d.end_date, d.reason, d.created_at, d.cancelled_at
	FROM approval_delegations d
	JOIN users fu ON fu.org_id = d.org_id AND fu.id = d.from_user_id
	JOIN users tu ON tu.org_id = d.org_id AND tu.id = d.to_user_id`

// Delegations lists the delegations p gave and those p received, newest first.
func (s *Service) Delegations(ctx context.Context, p *authz.Principal) (given, received []Delegation, err error) {
	if agencyUser(p) != nil {
		return nil, nil, nil
	}
	today := s.today()
	given, err = s.delegations(ctx, sqlDelegations+` WHERE d.org_id = $1 AND d.from_user_id = $2
		ORDER BY d.start_date DESC, d.id DESC`, today, p.OrgID, p.UserID)
	if err != nil {
		return nil, nil, err
	}
	received, err = s.delegations(ctx, sqlDelegations+` WHERE d.org_id = $1 AND d.to_user_id = $2
		ORDER BY d.start_date DESC, d.id DESC`, today, p.OrgID, p.UserID)
	return given, received, err
}

func (s *Service) delegations(ctx context.Context, query string, today app.Date, args ...any) ([]Delegation, error) {
	rows, err := s.DB.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("approval: delegations: %w", err)
	}
	defer rows.Close()
	var out []Delegation
	for rows.Next() {
		d, err := scanDelegation(rows)
		if err != nil {
			return nil, err
		}
		d.setState(today)
		out = append(out, *d)
	}
	return out, rows.Err()
}

func scanDelegation(r scanner) (*Delegation, error) {
	var d Delegation
	var cancelled sql.NullTime
	if err := r.Scan(&d.ID, &d.From.ID, &d.From.Name, &d.To.ID, &d.To.Name, &d.Start, &d.End, &d.Reason,
		&d.CreatedAt, &cancelled); err != nil {
		return nil, err
	}
	d.CancelledAt = cancelled.Time
	return &d, nil
}

const sqlCancelDelegation = `UPDATE approval_delegations SET cancelled_at = $3
	WHERE org_id = $1 AND id = $2 AND cancelled_at IS NULL`

// CancelDelegation ends one of p's delegations now; decisions the stand-in
// already made stay as they are.
func (s *Service) CancelDelegation(ctx context.Context, p *authz.Principal, id int64) error {
	if agencyUser(p) != nil || !p.Can(PermDelegate) {
		return app.ErrForbidden()
	}
	now, today := s.Now(), s.today()
	notFound := app.ErrNotFound("委托")
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		d, err := scanDelegation(tx.QueryRowContext(ctx, sqlDelegations+` WHERE d.org_id = $1 AND d.id = $2`, p.OrgID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return fmt.Errorf("approval: load delegation: %w", err)
		}
		if d.From.ID != p.UserID {
			if d.To.ID == p.UserID {
				return app.Errorf(app.EForbidden, "只有委托人可以取消委托")
			}
			return notFound
		}
		d.setState(today)
		switch d.State {
		case "cancelled":
			return app.Errorf(app.EConflict, "该委托已取消")
		case "ended":
			return app.Errorf(app.EConflict, "该委托已结束，无需取消")
		}
		res, err := tx.ExecContext(ctx, sqlCancelDelegation, p.OrgID, id, now.UTC())
		if err != nil {
			return fmt.Errorf("approval: cancel delegation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return app.Errorf(app.EConflict, "该委托已取消")
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "approval.delegation_cancel", ObjectType: "approval_delegation", ObjectID: strconv.FormatInt(id, 10),
			Detail: fmt.Sprintf("取消委托%s代为审批 %s 至 %s", d.To.Name, d.Start, d.End)})
	})
}

const sqlCandidates = `SELECT id, display_name FROM users WHERE org_id = $1 AND status = 'active' AND id <> $2
	ORDER BY display_name, id`

// DelegateCandidates lists the users p may choose as a stand-in.
func (s *Service) DelegateCandidates(ctx context.Context, p *authz.Principal) ([]User, error) {
	if agencyUser(p) != nil {
		return nil, nil
	}
	return users(ctx, s.DB.R, sqlCandidates, p.OrgID, p.UserID)
}

func users(ctx context.Context, q db.Querier, query string, args ...any) ([]User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("approval: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.ID, &u.Name); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
