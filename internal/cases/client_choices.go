package cases

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Choice is one option of a select.
type Choice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ClientChoices are the options of the client forms and list filters, limited
// to what the caller's scope for a permission covers.
type ClientChoices struct {
	Sites      []Choice
	Workers    []Choice
	Towns      []Choice
	Categories []Category
}

// Choices returns the service points and workers the caller may pick under
// perm (read scope for list filters, write scope for forms), the towns and
// the active categories.
func (s *ClientService) Choices(ctx context.Context, p *authz.Principal, perm *authz.Perm) (ClientChoices, error) {
	var out ClientChoices
	var err error
	if out.Categories, err = s.Categories(ctx, p.OrgID, true); err != nil {
		return out, err
	}
	q := s.DB.R
	today := app.Today(s.Now())
	sc := p.Scope(perm)
	if !sc.Any() {
		return out, nil
	}
	if out.Towns, err = choices(ctx, q, `SELECT id, name FROM towns WHERE org_id = $1 ORDER BY name`, p.OrgID); err != nil {
		return out, err
	}
	if sc.Has(authz.Org) {
		if out.Sites, err = choices(ctx, q, `SELECT id, name FROM sites WHERE org_id = $1 AND status = 'active' ORDER BY name`, p.OrgID); err != nil {
			return out, err
		}
		out.Workers, err = choices(ctx, q, `SELECT id, name FROM staff WHERE org_id = $1 AND status = 'active' ORDER BY name, id`, p.OrgID)
		return out, err
	}
	// Staff the caller may give clients to, and the service points where
	// they or the caller work.
	staff := []int64{}
	if p.StaffID != 0 {
		staff = append(staff, p.StaffID)
	}
	if sc.Has(authz.Supervised) {
		staff = append(staff, p.Supervisees...)
	}
	var args app.Args
	org := args.Add(p.OrgID)
	cond := []string{"s.id IN (" + idList(staff) + ")"}
	if sc.Has(authz.Site) && len(p.SiteIDs) > 0 {
		day := args.Add(today)
		cond = append(cond, `s.id IN (SELECT a.staff_id FROM staff_assignments a WHERE a.org_id = `+org+`
			AND a.site_id IN (`+idList(p.SiteIDs)+`) AND a.start_date <= `+day+` AND (a.end_date IS NULL OR a.end_date >= `+day+`))`)
	}
	if out.Workers, err = choices(ctx, q, `SELECT s.id, s.name FROM staff s WHERE s.org_id = `+org+
		` AND s.status = 'active' AND (`+strings.Join(cond, " OR ")+`) ORDER BY s.name, s.id`, args...); err != nil {
		return out, err
	}
	workerIDs := make([]int64, len(out.Workers))
	for i, w := range out.Workers {
		workerIDs[i] = w.ID
	}
	var sargs app.Args
	sorg := sargs.Add(p.OrgID)
	sday := sargs.Add(today)
	out.Sites, err = choices(ctx, q, `SELECT id, name FROM sites WHERE org_id = `+sorg+` AND status = 'active'
		AND (id IN (`+idList(p.SiteIDs)+`) OR id IN (SELECT a.site_id FROM staff_assignments a WHERE a.org_id = `+sorg+`
		AND a.staff_id IN (`+idList(workerIDs)+`) AND a.start_date <= `+sday+` AND (a.end_date IS NULL OR a.end_date >= `+sday+`)))
		ORDER BY name`, sargs...)
	return out, err
}

// idList renders ids for an IN list; an empty list matches nothing.
func idList(ids []int64) string {
	if len(ids) == 0 {
		return "0"
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func choices(ctx context.Context, q db.Querier, query string, args ...any) ([]Choice, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("cases: choices: %w", err)
	}
	defer rows.Close()
	out := []Choice{}
	for rows.Next() {
		var c Choice
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
