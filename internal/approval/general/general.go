// Package general is the general request (通用事项申请): anything a staff
// member asks the organization for that no other module covers, with a title,
// the details, an optional amount and the service point it concerns. It is
// also the reference for how a business area uses the approval engine.
package general

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/approval"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

const (
	// Kind is the workflow's code.
	Kind = "general"
	// SubjectType is the approvals.subject_type of a general request.
	SubjectType = "general_request"
	// DirectorThreshold is the amount above which the director (总干事) also
	// approves: 5,000.00 yuan.
	DirectorThreshold app.Fen = 500000
)

// Workflow is the route of a general request: the centre head of the chosen
// service point (the director when the submitter is that head, or the point
// has none), then the director when the amount is above DirectorThreshold.
func Workflow() approval.Workflow {
	return approval.Workflow{
		Kind: Kind,
		Name: "通用事项申请",
		Steps: []approval.StepDef{
			{
				Name: "中心负责人审批",
				Approver: approval.FirstOf(approval.SiteRole(authz.RoleCentreHead),
					approval.OrgRole(authz.RoleDirector)),
			},
			{
				Name:     "总干事审批",
				Approver: approval.OrgRole(authz.RoleDirector),
				When:     func(s approval.Subject) bool { return s.AmountFen > DirectorThreshold },
			},
		},
	}
}

// PermSubmit lets staff file general requests; read-only evaluators cannot.
var PermSubmit = authz.Define("general.submit", "提交通用事项申请", map[authz.Role]authz.Level{
	authz.RoleOrgAdmin:      authz.Own,
	authz.RoleDirector:      authz.Own,
	authz.RoleServiceHead:   authz.Own,
	authz.RoleAdminHead:     authz.Own,
	authz.RoleFinanceHead:   authz.Own,
	authz.RoleCentreHead:    authz.Own,
	authz.RoleSupervisor:    authz.Own,
	authz.RoleWorker:        authz.Own,
	authz.RoleCentreFinance: authz.Own,
	authz.RoleAccountant:    authz.Own,
	authz.RoleHR:            authz.Own,
})

// Service files and corrects general requests.
type Service struct {
	DB        *db.DB
	Now       func() time.Time
	Approvals *approval.Service
}

// New returns the service and registers its workflow with ap.
func New(d *db.DB, now func() time.Time, ap *approval.Service) *Service {
	ap.Register(Workflow())
	return &Service{DB: d, Now: now, Approvals: ap}
}

// Input is the form of a general request, as typed.
type Input struct {
	SiteID  int64  `json:"site_id"`
	Title   string `json:"title"`
	Content string `json:"content"`
	Amount  string `json:"amount"` // yuan, e.g. "1234.56"; empty when no money is involved
	Comment string `json:"comment"`
}

// Request is a general request with its approval.
type Request struct {
	ID         int64              `json:"id"`
	ApprovalID int64              `json:"approval_id"`
	SiteID     int64              `json:"site_id"`
	SiteName   string             `json:"site_name"`
	Title      string             `json:"title"`
	Content    string             `json:"content"`
	AmountFen  app.Fen            `json:"amount_fen"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
	Approval   *approval.Approval `json:"approval"`
}

type checked struct {
	Input
	amount   app.Fen
	siteName string
}

// check validates in; the service point is checked inside tx.
func check(ctx context.Context, q db.Querier, orgID int64, in Input) (checked, error) {
	c := checked{Input: in}
	c.Title = strings.TrimSpace(in.Title)
	c.Content = strings.TrimSpace(in.Content)
	c.Comment = strings.TrimSpace(in.Comment)
	var v app.Validation
	if v.Chosen("site_id", in.SiteID, "服务点") {
		err := q.QueryRowContext(ctx, sqlSite, orgID, in.SiteID).Scan(&c.siteName)
		if errors.Is(err, sql.ErrNoRows) {
			v.Add("site_id", "请选择有效的服务点")
		} else if err != nil {
			return c, fmt.Errorf("general: load site: %w", err)
		}
	}
	if v.Required("title", c.Title, "标题") {
		v.MaxLen("title", c.Title, "标题", 100)
	}
	if v.Required("content", c.Content, "申请内容") {
		v.MaxLen("content", c.Content, "申请内容", 2000)
	}
	if s := strings.TrimSpace(in.Amount); s != "" {
		f, err := app.ParseFen(s)
		switch {
		case err != nil:
			v.Add("amount", app.ErrorMessage(err))
		case f < 0:
			v.Add("amount", "金额不能为负数")
		default:
			c.amount = f
		}
	}
	v.MaxLen("comment", c.Comment, "备注", approval.MaxComment)
	return c, v.Err()
}

const (
	sqlSite   = `SELECT name FROM sites WHERE org_id = $1 AND id = $2 AND status = 'active'`
	sqlInsert = `INSERT INTO general_requests (org_id, site_id, title, content, amount_fen, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`
	sqlLink = `UPDATE general_requests SET approval_id = $3 WHERE org_id = $1 AND id = $2`
)

// Submit files a general request and starts its approval.
func (s *Service) Submit(ctx context.Context, p *authz.Principal, in Input) (*Request, error) {
	if !p.Can(PermSubmit) {
		return nil, app.ErrForbidden()
	}
	now := s.Now()
	var approvalID int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := check(ctx, tx, p.OrgID, in)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, sqlInsert, p.OrgID, c.SiteID, c.Title, c.Content, int64(c.amount),
			p.UserID, now.UTC()).Scan(&id); err != nil {
			return fmt.Errorf("general: insert: %w", err)
		}
		a, err := s.Approvals.SubmitTx(ctx, tx, p, approval.SubmitInput{Kind: Kind, SubjectType: SubjectType,
			SubjectID: id, Title: c.Title, SiteID: c.SiteID, AmountFen: c.amount, Comment: c.Comment})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlLink, p.OrgID, id, a.ID); err != nil {
			return fmt.Errorf("general: link approval: %w", err)
		}
		approvalID = a.ID
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "general.create", ObjectType: SubjectType, ObjectID: strconv.FormatInt(id, 10),
			Detail: fmt.Sprintf("%s；服务点：%s；金额：%s", c.Title, c.siteName, c.amount)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, approvalID)
}

const sqlSiteOptions = `SELECT id, name FROM sites WHERE org_id = $1 AND status = 'active' ORDER BY name, id`

// Site is a service point to choose on the form.
type Site struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Mine bool   `json:"mine"` // the user is assigned there
}

// SiteOptions lists the organization's active service points, the user's
// own first, for the form's choice list.
func (s *Service) SiteOptions(ctx context.Context, p *authz.Principal) ([]Site, error) {
	if p == nil || p.IsPlatform() {
		return nil, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, sqlSiteOptions, p.OrgID)
	if err != nil {
		return nil, fmt.Errorf("general: sites: %w", err)
	}
	defer rows.Close()
	var mine, others []Site
	for rows.Next() {
		var st Site
		if err := rows.Scan(&st.ID, &st.Name); err != nil {
			return nil, err
		}
		if slices.Contains(p.SiteIDs, st.ID) {
			st.Mine = true
			mine = append(mine, st)
		} else {
			others = append(others, st)
		}
	}
	return append(mine, others...), rows.Err()
}

const sqlGet = `SELECT g.id, g.approval_id, g.site_id, si.name, g.title, g.content, g.amount_fen, g.created_at, g.updated_at
	FROM general_requests g JOIN sites si ON si.org_id = g.org_id AND si.id = g.site_id
	WHERE g.org_id = $1 AND g.approval_id = $2`

// Get returns the general request of an approval, to whoever may see the
// approval.
func (s *Service) Get(ctx context.Context, p *authz.Principal, approvalID int64) (*Request, error) {
	a, err := s.Approvals.Get(ctx, p, approvalID)
	if err != nil {
		return nil, err
	}
	if a.Kind != Kind {
		return nil, app.ErrNotFound("通用事项申请")
	}
	var r Request
	var amount int64
	err = s.DB.R.QueryRowContext(ctx, sqlGet, p.OrgID, approvalID).Scan(&r.ID, &r.ApprovalID, &r.SiteID, &r.SiteName,
		&r.Title, &r.Content, &amount, &r.CreatedAt, &r.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("通用事项申请")
	}
	if err != nil {
		return nil, fmt.Errorf("general: get: %w", err)
	}
	r.AmountFen = app.Fen(amount)
	r.Approval = a
	return &r, nil
}

const sqlUpdate = `UPDATE general_requests SET site_id = $3, title = $4, content = $5, amount_fen = $6, updated_at = $7
	WHERE org_id = $1 AND approval_id = $2`

// Resubmit corrects a rejected general request and sends it round again;
// the route follows the corrected service point and amount.
func (s *Service) Resubmit(ctx context.Context, p *authz.Principal, approvalID, version int64, in Input) (*Request, error) {
	if !p.Can(PermSubmit) {
		return nil, app.ErrForbidden()
	}
	// Someone who may not see the request learns nothing, not even whether
	// the input would have been valid.
	cur, err := s.Approvals.Get(ctx, p, approvalID)
	if err != nil {
		return nil, err
	}
	if cur.Kind != Kind {
		return nil, app.ErrNotFound("通用事项申请")
	}
	if cur.SubmitterID != p.UserID {
		return nil, app.Errorf(app.EForbidden, "只有申请人可以修改并重新提交")
	}
	now := s.Now()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		c, err := check(ctx, tx, p.OrgID, in)
		if err != nil {
			return err
		}
		a, err := s.Approvals.ResubmitTx(ctx, tx, p, approval.ResubmitInput{ApprovalID: approvalID, Version: version,
			Comment: c.Comment, Revision: &approval.Revision{Title: c.Title, SiteID: c.SiteID, AmountFen: c.amount}})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, sqlUpdate, p.OrgID, approvalID, c.SiteID, c.Title, c.Content,
			int64(c.amount), now.UTC()); err != nil {
			return fmt.Errorf("general: update: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "general.update", ObjectType: SubjectType, ObjectID: strconv.FormatInt(a.SubjectID, 10),
			Detail: fmt.Sprintf("修改后重新提交：%s；服务点：%s；金额：%s", c.Title, c.siteName, c.amount)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, approvalID)
}
