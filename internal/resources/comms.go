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

// Comm is one contact of a service point with its purchaser (用人单位沟通).
type Comm struct {
	ID           int64     `json:"id"`
	SiteID       int64     `json:"site_id"`
	SiteName     string    `json:"site_name"`
	Date         app.Date  `json:"comm_date"`
	Contact      string    `json:"contact"`
	Method       string    `json:"method"`
	Content      string    `json:"content"`
	FollowUp     bool      `json:"follow_up"`
	FollowUpNote string    `json:"follow_up_note"`
	RecorderName string    `json:"recorder_name"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// MethodLabel is the Chinese name of the method.
func (c Comm) MethodLabel() string { return Label(Methods, c.Method) }

// CommInput records or edits a purchaser communication.
type CommInput struct {
	SiteID       int64    `json:"site_id" doc:"服务点 id"`
	Date         app.Date `json:"comm_date" doc:"沟通日期"`
	Contact      string   `json:"contact" doc:"用人单位联系人"`
	Method       string   `json:"method" doc:"沟通方式：visit（面谈）、phone（电话）、wechat（微信）、meeting（会议）、letter（书面）"`
	Content      string   `json:"content" doc:"沟通内容"`
	FollowUp     bool     `json:"follow_up" doc:"是否需要跟进"`
	FollowUpNote string   `json:"follow_up_note" doc:"需跟进事项（需要跟进时必填）"`
}

func (in *CommInput) normalize(v *app.Validation, today app.Date) {
	in.Contact = strings.TrimSpace(in.Contact)
	in.Method = strings.TrimSpace(in.Method)
	in.Content = strings.TrimSpace(in.Content)
	in.FollowUpNote = strings.TrimSpace(in.FollowUpNote)
	if in.Date.IsZero() {
		v.Add("comm_date", "请填写沟通日期")
	} else if in.Date.After(today) {
		v.Add("comm_date", "沟通日期不能晚于今天")
	}
	if v.Required("contact", in.Contact, "用人单位联系人") {
		v.MaxLen("contact", in.Contact, "用人单位联系人", 60)
	}
	if in.Method == "" {
		v.Add("method", "请选择沟通方式")
	} else {
		v.OneOf("method", in.Method, "沟通方式", codes(Methods)...)
	}
	if v.Required("content", in.Content, "沟通内容") {
		v.MaxLen("content", in.Content, "沟通内容", 2000)
	}
	if in.FollowUp {
		if v.Required("follow_up_note", in.FollowUpNote, "需跟进事项") {
			v.MaxLen("follow_up_note", in.FollowUpNote, "需跟进事项", 500)
		}
	} else {
		v.MaxLen("follow_up_note", in.FollowUpNote, "需跟进事项", 500)
	}
}

const sqlCommCols = `c.id, c.site_id, s.name, c.comm_date, c.contact, c.method, c.content, c.follow_up, c.follow_up_note,
	c.recorder_name, c.created_at, c.updated_at`

const sqlCommFrom = ` FROM purchaser_comms c JOIN sites s ON s.org_id = c.org_id AND s.id = c.site_id`

func scanComm(sc interface{ Scan(...any) error }) (Comm, error) {
	var c Comm
	err := sc.Scan(&c.ID, &c.SiteID, &c.SiteName, &c.Date, &c.Contact, &c.Method, &c.Content, &c.FollowUp, &c.FollowUpNote,
		&c.RecorderName, &c.CreatedAt, &c.UpdatedAt)
	return c, err
}

// CreateComm records a purchaser communication.
func (s *Service) CreateComm(ctx context.Context, p *authz.Principal, in CommInput) (*Comm, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var v app.Validation
		in.normalize(&v, s.today())
		site, err := checkSite(ctx, tx, p, in.SiteID, &v)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		now := s.Now().UTC()
		if err := tx.QueryRowContext(ctx, `INSERT INTO purchaser_comms (org_id, site_id, comm_date, contact, method, content,
			follow_up, follow_up_note, recorded_by, recorder_name, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`, p.OrgID, in.SiteID, in.Date, in.Contact,
			in.Method, in.Content, in.FollowUp, in.FollowUpNote, p.UserID, p.DisplayName, now).Scan(&id); err != nil {
			return fmt.Errorf("resources: insert comm: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "purchaser_comm.create", "purchaser_comm", id,
			fmt.Sprintf("%s %s %s %s", site, in.Date, Label(Methods, in.Method), in.Contact))
	})
	if err != nil {
		return nil, err
	}
	return s.GetComm(ctx, p, id)
}

func (s *Service) loadComm(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*Comm, error) {
	c, err := scanComm(q.QueryRowContext(ctx, "SELECT "+sqlCommCols+sqlCommFrom+" WHERE c.org_id = $1 AND c.id = $2", p.OrgID, id))
	if err != nil {
		return nil, notFound(err, "沟通记录")
	}
	if !p.Scope(perm).Allows(siteObj(p.OrgID, c.SiteID)) {
		return nil, app.ErrNotFound("沟通记录")
	}
	return &c, nil
}

// GetComm returns a purchaser communication in p's read scope.
func (s *Service) GetComm(ctx context.Context, p *authz.Principal, id int64) (*Comm, error) {
	return s.loadComm(ctx, s.DB.R, p, PermRead, id)
}

// UpdateComm edits a purchaser communication.
func (s *Service) UpdateComm(ctx context.Context, p *authz.Principal, id int64, in CommInput) (*Comm, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadComm(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.normalize(&v, s.today())
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
		if _, err := tx.ExecContext(ctx, `UPDATE purchaser_comms SET site_id = $3, comm_date = $4, contact = $5, method = $6,
			content = $7, follow_up = $8, follow_up_note = $9, updated_at = $10 WHERE org_id = $1 AND id = $2`,
			p.OrgID, id, in.SiteID, in.Date, in.Contact, in.Method, in.Content, in.FollowUp, in.FollowUpNote, s.Now().UTC()); err != nil {
			return fmt.Errorf("resources: update comm: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "purchaser_comm.update", "purchaser_comm", id,
			fmt.Sprintf("%s %s %s %s", site, in.Date, Label(Methods, in.Method), in.Contact))
	})
	if err != nil {
		return nil, err
	}
	return s.GetComm(ctx, p, id)
}

// DeleteComm removes a purchaser communication recorded by mistake.
func (s *Service) DeleteComm(ctx context.Context, p *authz.Principal, id int64) error {
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.loadComm(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM purchaser_comms WHERE org_id = $1 AND id = $2`, p.OrgID, id); err != nil {
			return fmt.Errorf("resources: delete comm: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "purchaser_comm.delete", "purchaser_comm", id,
			fmt.Sprintf("%s %s %s %s", cur.SiteName, cur.Date, cur.MethodLabel(), cur.Contact))
	})
}

// CommFilter selects purchaser communications.
type CommFilter struct {
	app.ListQuery
	SiteID   int64
	Method   string
	From, To app.Date
	FollowUp bool
}

var commSort = map[string]string{"date": "c.comm_date", "site": "s.name", "method": "c.method", "contact": "c.contact"}

// Comms lists the purchaser communications in p's scope, newest first.
func (s *Service) Comms(ctx context.Context, p *authz.Principal, f CommFilter) ([]Comm, int, error) {
	var args app.Args
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "c.org_id", Site: "c.site_id"}, args.Add)}
	if f.SiteID != 0 {
		where = append(where, "c.site_id = "+args.Add(f.SiteID))
	}
	if f.Method != "" {
		where = append(where, "c.method = "+args.Add(f.Method))
	}
	if !f.From.IsZero() {
		where = append(where, "c.comm_date >= "+args.Add(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.comm_date <= "+args.Add(f.To))
	}
	if f.FollowUp {
		where = append(where, "c.follow_up = "+args.Add(true))
	}
	if f.Q != "" {
		l := args.Add(db.Like(f.Q))
		where = append(where, "(c.contact LIKE "+l+` ESCAPE '\' OR c.content LIKE `+l+` ESCAPE '\' OR c.follow_up_note LIKE `+l+` ESCAPE '\')`)
	}
	w := " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*)"+sqlCommFrom+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("resources: count comms: %w", err)
	}
	if f.Sort == "" {
		f.Sort, f.Desc = "date", true
	}
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlCommCols+sqlCommFrom+w+f.OrderBy(commSort, "date", "c.id DESC")+f.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("resources: comms: %w", err)
	}
	defer rows.Close()
	var out []Comm
	for rows.Next() {
		c, err := scanComm(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}
