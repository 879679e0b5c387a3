package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// ContactCheck is one attempt to reach a client by phone (C1, and the
// wrong numbers found by client evaluation, E2).
type ContactCheck struct {
	ID          int64     `json:"id"`
	CheckedOn   app.Date  `json:"checked_on"`
	Result      string    `json:"result"`
	ResultLabel string    `json:"result_label"`
	Note        string    `json:"note"`
	CheckedBy   string    `json:"checked_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// ContactCheckInput records a contact attempt.
type ContactCheckInput struct {
	CheckedOn app.Date `json:"checked_on" doc:"核实日期"`
	Result    string   `json:"result" doc:"联系结果：valid（有效）、wrong_number（号码错误）、unreachable（无法接通）、refused（拒绝）"`
	Note      string   `json:"note" doc:"说明"`
}

// AddContactCheck records a contact attempt for a client the caller may
// write. The latest attempt by date sets the client's contact validity.
func (s *ClientService) AddContactCheck(ctx context.Context, p *authz.Principal, clientID int64, in ContactCheckInput) (*ContactCheck, error) {
	in.Note = strings.TrimSpace(in.Note)
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.loadClient(ctx, tx, p, PermClientWrite, clientID)
		if err != nil {
			return err
		}
		var v app.Validation
		switch {
		case in.CheckedOn.IsZero():
			v.Add("checked_on", "核实日期不能为空")
		case in.CheckedOn.After(app.Today(s.Now())):
			v.Add("checked_on", "核实日期不能晚于今天")
		}
		if v.Required("result", in.Result, "联系结果") {
			v.OneOf("result", in.Result, "联系结果", ContactResults...)
		}
		v.MaxLen("note", in.Note, "说明", 500)
		if err := v.Err(); err != nil {
			return err
		}
		now := s.Now().UTC()
		if err := tx.QueryRowContext(ctx, `INSERT INTO client_contact_checks (org_id, client_id, checked_on, result, note,
			checked_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			p.OrgID, clientID, in.CheckedOn, in.Result, in.Note, nullID(p.UserID), now).Scan(&id); err != nil {
			return fmt.Errorf("cases: insert contact check: %w", err)
		}
		// An older attempt entered late does not override a newer one.
		if c.ContactCheckedOn.IsZero() || !in.CheckedOn.Before(c.ContactCheckedOn) {
			if _, err := tx.ExecContext(ctx, `UPDATE clients SET contact_status = $3, contact_checked_on = $4, updated_at = $5
				WHERE org_id = $1 AND id = $2`, p.OrgID, clientID, in.Result, in.CheckedOn, now); err != nil {
				return fmt.Errorf("cases: update contact status: %w", err)
			}
		}
		return s.auditClient(ctx, tx, p, "client.contact_check", clientID,
			fmt.Sprintf("记录联系核实：%s %s", in.CheckedOn, ContactLabel(in.Result)))
	})
	if err != nil {
		return nil, err
	}
	list, err := s.ContactChecks(ctx, p, clientID)
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].ID == id {
			return &list[i], nil
		}
	}
	return nil, app.ErrNotFound("联系核实记录")
}

// ContactChecks lists a client's contact attempts, newest first.
func (s *ClientService) ContactChecks(ctx context.Context, p *authz.Principal, clientID int64) ([]ContactCheck, error) {
	if _, err := s.loadClient(ctx, s.DB.R, p, PermClientRead, clientID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT k.id, k.checked_on, k.result, k.note, COALESCE(u.display_name, ''), k.created_at
		FROM client_contact_checks k LEFT JOIN users u ON u.org_id = k.org_id AND u.id = k.checked_by
		WHERE k.org_id = $1 AND k.client_id = $2 ORDER BY k.checked_on DESC, k.id DESC`, p.OrgID, clientID)
	if err != nil {
		return nil, fmt.Errorf("cases: contact checks: %w", err)
	}
	defer rows.Close()
	out := []ContactCheck{}
	for rows.Next() {
		var c ContactCheck
		if err := rows.Scan(&c.ID, &c.CheckedOn, &c.Result, &c.Note, &c.CheckedBy, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.ResultLabel = ContactLabel(c.Result)
		out = append(out, c)
	}
	return out, rows.Err()
}
