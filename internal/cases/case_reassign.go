package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// ReassignInput moves cases to another worker (C9): one case, or many at
// once when someone leaves or is transferred.
type ReassignInput struct {
	CaseIDs    []int64 `json:"case_ids"`
	ToWorkerID int64   `json:"to_worker_id"`
	Reason     string  `json:"reason"`
}

// MaxReassign bounds one bulk reassignment.
const MaxReassign = 500

// Assignment is one change of a case's worker.
type Assignment struct {
	FromWorker string    `json:"from_worker"`
	ToWorker   string    `json:"to_worker"`
	Kind       string    `json:"kind"`
	KindLabel  string    `json:"kind_label"`
	Reason     string    `json:"reason"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

const sqlLiveApprovals = `SELECT COUNT(*) FROM approvals WHERE org_id = $1 AND subject_type = 'case' AND subject_id = $2
	AND status IN ('pending', 'rejected')`

// Reassign moves the cases to another worker with the reason; the history
// stays with each case and the new worker sees the whole file. Every case
// must be in the caller's reassignment scope and the new worker someone the
// caller may give cases to; it is all or nothing.
func (s *CaseService) Reassign(ctx context.Context, p *authz.Principal, in ReassignInput) (int, error) {
	if err := agency(p); err != nil {
		return 0, err
	}
	if !p.Can(PermCaseReassign) {
		return 0, app.ErrForbidden()
	}
	var v app.Validation
	ids := []int64{}
	seen := map[int64]bool{}
	for _, id := range in.CaseIDs {
		if id > 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) > MaxReassign {
		return 0, fieldError("case_ids", fmt.Sprintf("一次最多转移 %d 个个案", MaxReassign))
	}
	// A case outside the caller's scope is not found, before anything
	// about the input is said.
	for _, id := range ids {
		if _, err := s.caseFor(ctx, s.DB.R, p, PermCaseReassign, id); err != nil {
			return 0, err
		}
	}
	if len(ids) == 0 {
		v.Add("case_ids", "请选择要转移的个案")
	}
	v.Chosen("to_worker_id", in.ToWorkerID, "接手社工")
	checkText(&v, "reason", "转移原因", &in.Reason, true, 500)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now, today := s.Now(), s.today()
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var toName string
		err := tx.QueryRowContext(ctx, sqlStaffActive, p.OrgID, in.ToWorkerID).Scan(&toName)
		if errors.Is(err, sql.ErrNoRows) {
			return fieldError("to_worker_id", "请选择在职的接手社工")
		}
		if err != nil {
			return fmt.Errorf("cases: load new worker: %w", err)
		}
		toSites, err := staffSitesOn(ctx, tx, p.OrgID, in.ToWorkerID, today)
		if err != nil {
			return err
		}
		if !p.Scope(PermCaseReassign).Allows(authz.Obj{OrgID: p.OrgID, OwnerID: in.ToWorkerID, SiteIDs: toSites}) {
			return fieldError("to_worker_id", "您不能把个案转给该社工")
		}
		for _, id := range ids {
			c, err := s.caseFor(ctx, tx, p, PermCaseReassign, id)
			if err != nil {
				return err
			}
			if c.WorkerID == in.ToWorkerID {
				return app.Errorf(app.EConflict, "个案 %s 已由%s负责", c.Number, toName)
			}
			var live int
			if err := tx.QueryRowContext(ctx, sqlLiveApprovals, c.orgID, c.ID).Scan(&live); err != nil {
				return fmt.Errorf("cases: live approvals: %w", err)
			}
			if live > 0 || c.State == StateReferred {
				return app.Errorf(app.EConflict,
					"个案 %s 有未处理完的申请（审批中、被驳回待修改或转介待接收），请先由原社工处理或撤回后再转移", c.Number)
			}
			site := c.SiteID
			if len(toSites) > 0 && !containsID(toSites, site) {
				site = toSites[0]
			}
			from, fromName := c.WorkerID, c.WorkerName
			if err := bumpCase(ctx, tx, c, now, c.State, ", worker_id = $6, site_id = $7", in.ToWorkerID, site); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, sqlInsertAssignment, c.orgID, c.ID, from, in.ToWorkerID, "reassign",
				in.Reason, p.UserID, now.UTC()); err != nil {
				return fmt.Errorf("cases: insert assignment: %w", err)
			}
			if err := logEvent(ctx, tx, c, now, p.UserID, p.Username, "reassign",
				fmt.Sprintf("个案由%s转给%s：%s", fromName, toName, in.Reason)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(ids), nil
}

const sqlAssignments = `SELECT fs.name, ts.name, a.kind, a.reason, u.display_name, a.at FROM case_assignments a
	JOIN staff fs ON fs.org_id = a.org_id AND fs.id = a.from_worker_id
	JOIN staff ts ON ts.org_id = a.org_id AND ts.id = a.to_worker_id
	JOIN users u ON u.org_id = a.org_id AND u.id = a.by_user_id
	WHERE a.org_id = $1 AND a.case_id = $2 ORDER BY a.at, a.id`

func loadAssignments(ctx context.Context, q db.Querier, orgID, caseID int64) ([]Assignment, error) {
	rows, err := q.QueryContext(ctx, sqlAssignments, orgID, caseID)
	if err != nil {
		return nil, fmt.Errorf("cases: assignments: %w", err)
	}
	defer rows.Close()
	out := []Assignment{}
	for rows.Next() {
		var a Assignment
		if err := rows.Scan(&a.FromWorker, &a.ToWorker, &a.Kind, &a.Reason, &a.By, &a.At); err != nil {
			return nil, err
		}
		a.KindLabel = "个案转移"
		if a.Kind == "referral" {
			a.KindLabel = "转介接收"
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
