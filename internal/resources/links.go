package resources

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Link is one resource a service point linked in a month (资源链接): who
// provided what, its estimated value and who benefited.
type Link struct {
	ID                int64     `json:"id"`
	SiteID            int64     `json:"site_id"`
	SiteName          string    `json:"site_name"`
	Month             string    `json:"month"` // 2026-03
	Provider          string    `json:"provider"`
	Kind              string    `json:"kind"`
	Description       string    `json:"description"`
	Value             app.Fen   `json:"value_fen"`
	Beneficiaries     int       `json:"beneficiaries"`
	BeneficiariesNote string    `json:"beneficiaries_note"`
	Contact           string    `json:"contact"`
	Note              string    `json:"note"`
	RecorderName      string    `json:"recorder_name"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// KindLabel is the Chinese name of the link's kind.
func (l Link) KindLabel() string { return Label(Kinds, l.Kind) }

// LinkInput registers or edits a resource link. Value is in fen.
type LinkInput struct {
	SiteID            int64   `json:"site_id" doc:"服务点 id"`
	Month             string  `json:"month" doc:"月份，如 2026-03"`
	Provider          string  `json:"provider" doc:"资源提供方"`
	Kind              string  `json:"kind" doc:"资源类型：money（资金）、goods（物资）、venue（场地）、people（人力）、professional（专业服务）"`
	Description       string  `json:"description" doc:"资源内容"`
	Value             app.Fen `json:"value_fen" doc:"估算价值（分）"`
	Beneficiaries     int     `json:"beneficiaries" doc:"受益人数"`
	BeneficiariesNote string  `json:"beneficiaries_note" doc:"受益对象说明"`
	Contact           string  `json:"contact" doc:"联系人"`
	Note              string  `json:"note" doc:"备注"`
}

func (in *LinkInput) normalize(v *app.Validation, today app.Date) app.Date {
	in.Provider = strings.TrimSpace(in.Provider)
	in.Kind = strings.TrimSpace(in.Kind)
	in.Description = strings.TrimSpace(in.Description)
	in.BeneficiariesNote = strings.TrimSpace(in.BeneficiariesNote)
	in.Contact = strings.TrimSpace(in.Contact)
	in.Note = strings.TrimSpace(in.Note)
	var month app.Date
	if v.Required("month", in.Month, "月份") {
		var ok bool
		if month, ok = ParseMonth(in.Month); !ok {
			v.Add("month", "月份格式应为 2026-03")
		} else if month.After(today.MonthStart()) {
			v.Add("month", "不能登记未来月份的资源链接")
		}
	}
	if v.Required("provider", in.Provider, "资源提供方") {
		v.MaxLen("provider", in.Provider, "资源提供方", 100)
	}
	if in.Kind == "" {
		v.Add("kind", "请选择资源类型")
	} else {
		v.OneOf("kind", in.Kind, "资源类型", codes(Kinds)...)
	}
	v.MaxLen("description", in.Description, "资源内容", 500)
	if in.Value < 0 {
		v.Add("value_fen", "估算价值不能为负数")
	} else if in.Value > 100_000_000_00 {
		v.Add("value_fen", "估算价值过大，请核对")
	}
	if in.Beneficiaries < 0 {
		v.Add("beneficiaries", "受益人数不能为负数")
	}
	v.MaxLen("beneficiaries_note", in.BeneficiariesNote, "受益对象说明", 200)
	v.MaxLen("contact", in.Contact, "联系人", 60)
	v.MaxLen("note", in.Note, "备注", 500)
	return month
}

const sqlLinkCols = `l.id, l.site_id, s.name, l.month, l.provider, l.kind, l.description, l.value_fen, l.beneficiaries,
	l.beneficiaries_note, l.contact, l.note, l.recorder_name, l.created_at, l.updated_at`

const sqlLinkFrom = ` FROM resource_links l JOIN sites s ON s.org_id = l.org_id AND s.id = l.site_id`

func scanLink(sc interface{ Scan(...any) error }) (Link, error) {
	var l Link
	var month app.Date
	err := sc.Scan(&l.ID, &l.SiteID, &l.SiteName, &month, &l.Provider, &l.Kind, &l.Description, &l.Value, &l.Beneficiaries,
		&l.BeneficiariesNote, &l.Contact, &l.Note, &l.RecorderName, &l.CreatedAt, &l.UpdatedAt)
	l.Month = MonthLabel(month)
	return l, err
}

// CreateLink registers a resource link.
func (s *Service) CreateLink(ctx context.Context, p *authz.Principal, in LinkInput) (*Link, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var v app.Validation
		month := in.normalize(&v, s.today())
		site, err := checkSite(ctx, tx, p, in.SiteID, &v)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.Now().UTC()
		if err := tx.QueryRowContext(ctx, `INSERT INTO resource_links (org_id, site_id, month, provider, kind, description,
			value_fen, beneficiaries, beneficiaries_note, contact, note, recorded_by, recorder_name, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING id`,
			p.OrgID, in.SiteID, month, in.Provider, in.Kind, in.Description, in.Value, in.Beneficiaries, in.BeneficiariesNote,
			in.Contact, in.Note, p.UserID, p.DisplayName, now).Scan(&id); err != nil {
			return fmt.Errorf("resources: insert link: %w", err)
		}
		// A link replaces a "nothing this month" statement of the same month.
		if _, err := tx.ExecContext(ctx, `DELETE FROM resource_nil_reports WHERE org_id = $1 AND site_id = $2 AND month = $3`,
			p.OrgID, in.SiteID, month); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, p, "resource.create", "resource", id,
			fmt.Sprintf("%s %s %s %s %s", site, MonthLabel(month), Label(Kinds, in.Kind), in.Provider, in.Value))
	})
	if err != nil {
		return nil, err
	}
	return s.GetLink(ctx, p, id)
}

func (s *Service) loadLink(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*Link, error) {
	l, err := scanLink(q.QueryRowContext(ctx, "SELECT "+sqlLinkCols+sqlLinkFrom+" WHERE l.org_id = $1 AND l.id = $2", p.OrgID, id))
	if err != nil {
		return nil, notFound(err, "资源链接")
	}
	if !p.Scope(perm).Allows(siteObj(p.OrgID, l.SiteID)) {
		return nil, app.ErrNotFound("资源链接")
	}
	return &l, nil
}

// GetLink returns a resource link in p's read scope.
func (s *Service) GetLink(ctx context.Context, p *authz.Principal, id int64) (*Link, error) {
	return s.loadLink(ctx, s.DB.R, p, PermRead, id)
}

// UpdateLink edits a resource link.
func (s *Service) UpdateLink(ctx context.Context, p *authz.Principal, id int64, in LinkInput) (*Link, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadLink(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		month := in.normalize(&v, s.today())
		site := cur.SiteName
		if in.SiteID != cur.SiteID {
			var err error
			if site, err = checkSite(ctx, tx, p, in.SiteID, &v); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE resource_links SET site_id = $3, month = $4, provider = $5, kind = $6,
			description = $7, value_fen = $8, beneficiaries = $9, beneficiaries_note = $10, contact = $11, note = $12,
			updated_at = $13 WHERE org_id = $1 AND id = $2`, p.OrgID, id, in.SiteID, month, in.Provider, in.Kind,
			in.Description, in.Value, in.Beneficiaries, in.BeneficiariesNote, in.Contact, in.Note, s.Now().UTC()); err != nil {
			return fmt.Errorf("resources: update link: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM resource_nil_reports WHERE org_id = $1 AND site_id = $2 AND month = $3`,
			p.OrgID, in.SiteID, month); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, p, "resource.update", "resource", id,
			fmt.Sprintf("%s %s %s %s %s", site, MonthLabel(month), Label(Kinds, in.Kind), in.Provider, in.Value))
	})
	if err != nil {
		return nil, err
	}
	return s.GetLink(ctx, p, id)
}

// DeleteLink removes a resource link registered by mistake.
func (s *Service) DeleteLink(ctx context.Context, p *authz.Principal, id int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadLink(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM resource_links WHERE org_id = $1 AND id = $2`, p.OrgID, id); err != nil {
			return fmt.Errorf("resources: delete link: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "resource.delete", "resource", id,
			fmt.Sprintf("%s %s %s %s %s", cur.SiteName, cur.Month, cur.KindLabel(), cur.Provider, cur.Value))
	})
}

// LinkFilter searches the resource library.
type LinkFilter struct {
	app.ListQuery
	SiteID   int64
	Kind     string
	From, To string // months, 2026-01 … 2026-03
}

var linkSort = map[string]string{
	"month": "l.month", "site": "s.name", "provider": "l.provider", "kind": "l.kind",
	"value": "l.value_fen", "beneficiaries": "l.beneficiaries",
}

// LinkTotals sums the links a search found.
type LinkTotals struct {
	Count         int     `json:"count"`
	Value         app.Fen `json:"value_fen"`
	Beneficiaries int     `json:"beneficiaries"`
}

// Links searches the resource library across months in p's scope.
func (s *Service) Links(ctx context.Context, p *authz.Principal, f LinkFilter) ([]Link, LinkTotals, error) {
	var tot LinkTotals
	var args app.Args
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "l.org_id", Site: "l.site_id"}, args.Add)}
	if f.SiteID != 0 {
		where = append(where, "l.site_id = "+args.Add(f.SiteID))
	}
	if f.Kind != "" {
		where = append(where, "l.kind = "+args.Add(f.Kind))
	}
	if m, ok := ParseMonth(f.From); ok {
		where = append(where, "l.month >= "+args.Add(m))
	}
	if m, ok := ParseMonth(f.To); ok {
		where = append(where, "l.month <= "+args.Add(m))
	}
	if f.Q != "" {
		l := args.Add(db.Like(f.Q))
		var or []string
		for _, c := range []string{"l.provider", "l.description", "l.beneficiaries_note", "l.contact", "l.note"} {
			or = append(or, c+" LIKE "+l+` ESCAPE '\'`)
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	w := " WHERE " + strings.Join(where, " AND ")
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*), CAST(COALESCE(SUM(l.value_fen), 0) AS BIGINT),
		CAST(COALESCE(SUM(l.beneficiaries), 0) AS BIGINT)`+sqlLinkFrom+w, args...).Scan(&tot.Count, &tot.Value, &tot.Beneficiaries); err != nil {
		return nil, tot, fmt.Errorf("resources: count links: %w", err)
	}
	if f.Sort == "" {
		f.Sort, f.Desc = "month", true
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlLinkCols+sqlLinkFrom+w+f.OrderBy(linkSort, "month", "l.id DESC")+f.LimitOffset(), args...)
	if err != nil {
		return nil, tot, fmt.Errorf("resources: links: %w", err)
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, tot, err
		}
		out = append(out, l)
	}
	return out, tot, rows.Err()
}

// ReportNone records that a service point linked no resources in a month,
// so that its monthly registration counts as done.
func (s *Service) ReportNone(ctx context.Context, p *authz.Principal, siteID int64, month, note string) error {
	if !p.Can(PermWrite) {
		return app.ErrForbidden()
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var v app.Validation
		site, err := checkSite(ctx, tx, p, siteID, &v)
		if err != nil {
			return err
		}
		m, ok := ParseMonth(month)
		switch {
		case !ok:
			v.Add("month", "月份格式应为 2026-03")
		case m.After(s.today().MonthStart()):
			v.Add("month", "不能为未来月份报告")
		}
		note = strings.TrimSpace(note)
		v.MaxLen("note", note, "说明", 200)
		if err := v.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM resource_links WHERE org_id = $1 AND site_id = $2 AND month = $3`,
			p.OrgID, siteID, m).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return app.Errorf(app.EConflict, "%s %s 已登记 %d 条资源链接，无需报告本月无资源", site, MonthLabel(m), n)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO resource_nil_reports (org_id, site_id, month, note, reported_by, reporter_name,
			reported_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (org_id, site_id, month) DO UPDATE SET note = $4,
			reported_by = $5, reporter_name = $6, reported_at = $7`, p.OrgID, siteID, m, note, p.UserID, p.DisplayName, s.Now().UTC())
		if err != nil {
			return fmt.Errorf("resources: nil report: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "resource.none", "site", siteID, site+" "+MonthLabel(m)+" 无资源链接")
	})
}

// MonthRow is one service point's registrations in a month.
type MonthRow struct {
	SiteID       int64    `json:"site_id"`
	SiteName     string   `json:"site_name"`
	Links        int      `json:"links"`
	Value        app.Fen  `json:"value_fen"`
	NoneReported bool     `json:"none_reported"`
	Comms        int      `json:"purchaser_comms"`
	LastComm     app.Date `json:"last_comm"`
}

// Done reports whether the month's resource registration is done.
func (r MonthRow) Done() bool { return r.Links > 0 || r.NoneReported }

// MonthStatus shows, for each active service point in p's scope, the
// month's resource links and purchaser communications.
func (s *Service) MonthStatus(ctx context.Context, p *authz.Principal, month string) (app.Date, []MonthRow, error) {
	m, ok := ParseMonth(month)
	if !ok {
		m = s.today().MonthStart()
	}
	end := m.MonthEnd()
	var args app.Args
	ms, me := args.Add(m), args.Add(end)
	where := p.Scope(PermRead).SQL(authz.Cols{Org: "s.org_id", Site: "s.id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT s.id, s.name,
		(SELECT COUNT(*) FROM resource_links l WHERE l.org_id = s.org_id AND l.site_id = s.id AND l.month = `+ms+`),
		(SELECT CAST(COALESCE(SUM(l.value_fen), 0) AS BIGINT) FROM resource_links l WHERE l.org_id = s.org_id AND l.site_id = s.id AND l.month = `+ms+`),
		(SELECT COUNT(*) FROM resource_nil_reports n WHERE n.org_id = s.org_id AND n.site_id = s.id AND n.month = `+ms+`),
		(SELECT COUNT(*) FROM purchaser_comms c WHERE c.org_id = s.org_id AND c.site_id = s.id AND c.comm_date >= `+ms+` AND c.comm_date <= `+me+`),
		(SELECT MAX(c.comm_date) FROM purchaser_comms c WHERE c.org_id = s.org_id AND c.site_id = s.id AND c.comm_date <= `+me+`)
		FROM sites s WHERE s.status = 'active' AND `+where+` ORDER BY s.name, s.id`, args...)
	if err != nil {
		return m, nil, fmt.Errorf("resources: month status: %w", err)
	}
	defer rows.Close()
	var out []MonthRow
	for rows.Next() {
		var r MonthRow
		var none int
		if err := rows.Scan(&r.SiteID, &r.SiteName, &r.Links, &r.Value, &none, &r.Comms, &r.LastComm); err != nil {
			return m, nil, err
		}
		r.NoneReported = none > 0
		out = append(out, r)
	}
	return m, out, rows.Err()
}
