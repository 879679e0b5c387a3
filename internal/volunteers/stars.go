package volunteers

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// Threshold is the cumulative service time a star rating needs.
type Threshold struct {
	Stars     int      `json:"stars"`
	MinHours  int64    `json:"min_hours"`
	ValidFrom app.Date `json:"valid_from"`
	// Default marks the platform's defaults (the national thresholds),
	// used while the organization has set none of its own.
	Default bool `json:"default"`
}

// platformOrg holds the default thresholds every organization starts with.
const platformOrg = 1

// sqlThresholds picks, for one organization, the newest set of thresholds
// in force on a date: the organization's own when it has any in force,
// else the platform's defaults.
const sqlThresholds = `SELECT org_id, stars, min_hours, valid_from FROM star_thresholds t
	WHERE t.org_id = $1 AND t.valid_from = (SELECT MAX(valid_from) FROM star_thresholds
		WHERE org_id = $1 AND valid_from <= $2)
	ORDER BY stars`

// Thresholds returns the star thresholds in force for orgID on day, one
// per star from 1 up, ascending.
func (s *Service) Thresholds(ctx context.Context, orgID int64, day app.Date) ([]Threshold, error) {
	for _, org := range []int64{orgID, platformOrg} {
		rows, err := s.DB.R.QueryContext(ctx, sqlThresholds, org, day)
		if err != nil {
			return nil, fmt.Errorf("volunteers: thresholds: %w", err)
		}
		var out []Threshold
		for rows.Next() {
			var t Threshold
			var o int64
			if err := rows.Scan(&o, &t.Stars, &t.MinHours, &t.ValidFrom); err != nil {
				rows.Close()
				return nil, err
			}
			t.Default = o == platformOrg
			out = append(out, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// StarsFor returns the star rating of a cumulative service time.
func StarsFor(m Minutes, th []Threshold) int {
	stars := 0
	for _, t := range th {
		if int64(m) >= t.MinHours*60 && t.Stars > stars {
			stars = t.Stars
		}
	}
	return stars
}

// NextStar returns the next rating above the current one and the time
// still needed for it; ok is false at the top.
func NextStar(m Minutes, th []Threshold) (stars int, need Minutes, ok bool) {
	cur := StarsFor(m, th)
	for _, t := range th {
		if t.Stars == cur+1 {
			return t.Stars, Minutes(t.MinHours*60) - m, true
		}
	}
	return 0, 0, false
}

// ThresholdHistory lists every threshold set of the organization and the
// defaults, newest first.
func (s *Service) ThresholdHistory(ctx context.Context, p *authz.Principal) ([]Threshold, error) {
	if !p.Can(PermRead) {
		return nil, app.ErrForbidden()
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT org_id, stars, min_hours, valid_from FROM star_thresholds
		WHERE org_id IN ($1, $2) ORDER BY valid_from DESC, org_id DESC, stars`, p.OrgID, platformOrg)
	if err != nil {
		return nil, fmt.Errorf("volunteers: threshold history: %w", err)
	}
	defer rows.Close()
	var out []Threshold
	for rows.Next() {
		var t Threshold
		var o int64
		if err := rows.Scan(&o, &t.Stars, &t.MinHours, &t.ValidFrom); err != nil {
			return nil, err
		}
		t.Default = o == platformOrg
		out = append(out, t)
	}
	return out, rows.Err()
}

// ThresholdInput sets new thresholds from a date on: the hours of 1★ to 5★.
type ThresholdInput struct {
	ValidFrom app.Date `json:"valid_from" doc:"生效日期"`
	Hours     [5]int64 `json:"hours" doc:"一星至五星所需的累计服务时数（小时），须逐级递增"`
}

// SetThresholds records the organization's thresholds in force from
// in.ValidFrom; a set already starting that day is replaced.
func (s *Service) SetThresholds(ctx context.Context, p *authz.Principal, in ThresholdInput) error {
	if !p.Scope(PermConfig).Has(authz.Org) {
		return app.ErrForbidden()
	}
	var v app.Validation
	if in.ValidFrom.IsZero() {
		v.Add("valid_from", "请填写生效日期")
	}
	for i, h := range in.Hours {
		field := fmt.Sprintf("hours%d", i+1)
		switch {
		case h <= 0:
			v.Add(field, fmt.Sprintf("%d星所需时数应大于0", i+1))
		case h > 100000:
			v.Add(field, fmt.Sprintf("%d星所需时数过大", i+1))
		case i > 0 && h <= in.Hours[i-1]:
			v.Add(field, fmt.Sprintf("%d星所需时数应高于%d星", i+1, i))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM star_thresholds WHERE org_id = $1 AND valid_from = $2`,
			p.OrgID, in.ValidFrom); err != nil {
			return fmt.Errorf("volunteers: replace thresholds: %w", err)
		}
		var parts []string
		for i, h := range in.Hours {
			if _, err := tx.ExecContext(ctx, `INSERT INTO star_thresholds (org_id, stars, min_hours, valid_from)
				VALUES ($1, $2, $3, $4)`, p.OrgID, i+1, h, in.ValidFrom); err != nil {
				return fmt.Errorf("volunteers: insert threshold: %w", err)
			}
			parts = append(parts, fmt.Sprintf("%d★%d", i+1, h))
		}
		return s.writeAudit(ctx, tx, p, "volunteer.stars", "star_thresholds", p.OrgID,
			in.ValidFrom.String()+" 起 "+strings.Join(parts, " "))
	})
}
