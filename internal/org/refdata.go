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
	"shegong/internal/pii"
)

// The reference lists of the organization structure: towns (镇街),
// purchasers (用人单位/购买方) and service domains (领域). They are names the
// whole organization chooses from, so every agency role reads the whole list
// of its organization (a worker whose service points are scoped to their own
// still picks a town or filters by one); only those who maintain service
// points (towns, purchasers) or departments (domains) may change them.

// PermRefRead reads the reference lists. Purchasers' phones stay masked for
// those who may not maintain purchasers.
var PermRefRead = authz.Define("org.refdata.read", "查看镇街、用人单位与领域", map[authz.Role]authz.Level{
	authz.RoleOrgAdmin: authz.Org, authz.RoleDirector: authz.Org, authz.RoleServiceHead: authz.Org,
	authz.RoleAdminHead: authz.Org, authz.RoleFinanceHead: authz.Org, authz.RoleCentreHead: authz.Org,
	authz.RoleSupervisor: authz.Org, authz.RoleWorker: authz.Org, authz.RoleCentreFinance: authz.Org,
	authz.RoleAccountant: authz.Org, authz.RoleHR: authz.Org, authz.RoleEvaluator: authz.Org,
})

// Town is a township or street office where service points are.
type Town struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Sites int    `json:"sites"` // service points in the town
}

// Purchaser is a government body or unit that buys the organization's
// services. Phone is masked for those who may not maintain purchasers.
type Purchaser struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Contact     string `json:"contact"`
	Phone       string `json:"phone"`
	PhoneMasked bool   `json:"phone_masked,omitempty" doc:"为 true 时电话已打码（无维护权限）"`
	Sites       int    `json:"sites"`
}

// PurchaserInput creates or edits a purchaser.
type PurchaserInput struct {
	Name    string `json:"name"`
	Contact string `json:"contact"`
	Phone   string `json:"phone"`
}

// Domain is a service field (青少年, 长者, 残障, 家庭, 学校, 社区 …).
type Domain struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Staff int    `json:"staff"` // active staff working in the domain
}

// NameInput creates or renames a town or a domain.
type NameInput struct {
	Name string `json:"name"`
}

// refList is what differs between the three lists.
type refList struct {
	table, what, action string
	write               *authz.Perm
	maxLen              int
}

var (
	townList   = refList{table: "towns", what: "镇街", action: "town", write: PermSiteWrite, maxLen: 30}
	domainList = refList{table: "domains", what: "领域", action: "domain", write: PermDeptWrite, maxLen: 20}
)

func refCanRead(p *authz.Principal) bool {
	return p != nil && !p.IsPlatform() && p.Scope(PermRefRead).Has(authz.Org)
}

func refCanWrite(p *authz.Principal, perm *authz.Perm) bool { return p.Scope(perm).Has(authz.Org) }

// CanWriteTowns reports whether p may maintain towns and purchasers.
func CanWriteTowns(p *authz.Principal) bool { return refCanWrite(p, PermSiteWrite) }

// CanWriteDomains reports whether p may maintain domains.
func CanWriteDomains(p *authz.Principal) bool { return refCanWrite(p, PermDeptWrite) }

func (s *Service) refWhere(args *app.Args, orgID int64, alias string, q app.ListQuery) string {
	where := alias + ".org_id = " + args.Add(orgID)
	if q.Q != "" {
		where += " AND " + alias + ".name " + s.DB.ILike() + " " + args.Add(db.Like(q.Q)) + ` ESCAPE '\'`
	}
	return where
}

func (s *Service) refCount(ctx context.Context, table, where string, args app.Args) (int, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table+" x WHERE "+where, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("org: count %s: %w", table, err)
	}
	return n, nil
}

// ListTowns lists the towns of p's organization. Sort keys: name, sites.
func (s *Service) ListTowns(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]Town, int, error) {
	if !refCanRead(p) {
		return nil, 0, app.ErrForbidden()
	}
	var args app.Args
	where := s.refWhere(&args, p.OrgID, "x", q)
	total, err := s.refCount(ctx, "towns", where, args)
	if err != nil {
		return nil, 0, err
	}
	order := q.OrderBy(map[string]string{"name": "x.name", "sites": "3"}, "name", "x.id")
	rows, err := s.DB.R.QueryContext(ctx, `SELECT x.id, x.name,
		(SELECT COUNT(*) FROM sites s WHERE s.org_id = x.org_id AND s.town_id = x.id AND s.status = 'active')
		FROM towns x WHERE `+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list towns: %w", err)
	}
	defer rows.Close()
	var out []Town
	for rows.Next() {
		var t Town
		if err := rows.Scan(&t.ID, &t.Name, &t.Sites); err != nil {
			return nil, 0, err
		}
		out = append(out, t)
	}
	return out, total, rows.Err()
}

// GetTown returns one town of p's organization.
func (s *Service) GetTown(ctx context.Context, p *authz.Principal, id int64) (*Town, error) {
	if !refCanRead(p) {
		return nil, app.ErrNotFound("镇街")
	}
	var t Town
	err := s.DB.R.QueryRowContext(ctx, `SELECT x.id, x.name,
		(SELECT COUNT(*) FROM sites s WHERE s.org_id = x.org_id AND s.town_id = x.id AND s.status = 'active')
		FROM towns x WHERE x.org_id = $1 AND x.id = $2`, p.OrgID, id).Scan(&t.ID, &t.Name, &t.Sites)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("镇街")
	}
	if err != nil {
		return nil, fmt.Errorf("org: get town: %w", err)
	}
	return &t, nil
}

// CreateTown adds a town.
func (s *Service) CreateTown(ctx context.Context, p *authz.Principal, in NameInput) (int64, error) {
	return s.createNamed(ctx, p, townList, in)
}

// RenameTown renames a town.
func (s *Service) RenameTown(ctx context.Context, p *authz.Principal, id int64, in NameInput) error {
	return s.renameNamed(ctx, p, townList, id, in)
}

// ListDomains lists the service domains of p's organization. Sort keys:
// name, staff.
func (s *Service) ListDomains(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]Domain, int, error) {
	if !refCanRead(p) {
		return nil, 0, app.ErrForbidden()
	}
	var args app.Args
	where := s.refWhere(&args, p.OrgID, "x", q)
	total, err := s.refCount(ctx, "domains", where, args)
	if err != nil {
		return nil, 0, err
	}
	order := q.OrderBy(map[string]string{"name": "x.name", "staff": "3"}, "name", "x.id")
	rows, err := s.DB.R.QueryContext(ctx, `SELECT x.id, x.name,
		(SELECT COUNT(*) FROM staff_domains sd JOIN staff st ON st.org_id = sd.org_id AND st.id = sd.staff_id
		 WHERE sd.org_id = x.org_id AND sd.domain_id = x.id AND st.status = 'active')
		FROM domains x WHERE `+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list domains: %w", err)
	}
	defer rows.Close()
	var out []Domain
	for rows.Next() {
		var d Domain
		if err := rows.Scan(&d.ID, &d.Name, &d.Staff); err != nil {
			return nil, 0, err
		}
		out = append(out, d)
	}
	return out, total, rows.Err()
}

// GetDomain returns one domain of p's organization.
func (s *Service) GetDomain(ctx context.Context, p *authz.Principal, id int64) (*Domain, error) {
	if !refCanRead(p) {
		return nil, app.ErrNotFound("领域")
	}
	var d Domain
	err := s.DB.R.QueryRowContext(ctx, `SELECT x.id, x.name,
		(SELECT COUNT(*) FROM staff_domains sd JOIN staff st ON st.org_id = sd.org_id AND st.id = sd.staff_id
		 WHERE sd.org_id = x.org_id AND sd.domain_id = x.id AND st.status = 'active')
		FROM domains x WHERE x.org_id = $1 AND x.id = $2`, p.OrgID, id).Scan(&d.ID, &d.Name, &d.Staff)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("领域")
	}
	if err != nil {
		return nil, fmt.Errorf("org: get domain: %w", err)
	}
	return &d, nil
}

// CreateDomain adds a service domain.
func (s *Service) CreateDomain(ctx context.Context, p *authz.Principal, in NameInput) (int64, error) {
	return s.createNamed(ctx, p, domainList, in)
}

// RenameDomain renames a service domain.
func (s *Service) RenameDomain(ctx context.Context, p *authz.Principal, id int64, in NameInput) error {
	return s.renameNamed(ctx, p, domainList, id, in)
}

func (l refList) check(in *NameInput) error {
	in.Name = strings.TrimSpace(in.Name)
	var v app.Validation
	if v.Required("name", in.Name, l.what+"名称") {
		v.MaxLen("name", in.Name, l.what+"名称", l.maxLen)
	}
	return v.Err()
}

func (l refList) taken(name string) error {
	return conflictOn(map[string]string{"name": l.what + "「" + name + "」已存在"})
}

func (l refList) nameTaken(ctx context.Context, tx *sql.Tx, orgID, id int64, name string) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+l.table+" WHERE org_id = $1 AND id <> $2 AND name = $3",
		orgID, id, name).Scan(&n); err != nil {
		return fmt.Errorf("org: check %s name: %w", l.table, err)
	}
	if n > 0 {
		return l.taken(name)
	}
	return nil
}

func (s *Service) createNamed(ctx context.Context, p *authz.Principal, l refList, in NameInput) (int64, error) {
	if !refCanWrite(p, l.write) {
		return 0, app.ErrForbidden()
	}
	if err := l.check(&in); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := l.nameTaken(ctx, tx, p.OrgID, 0, in.Name); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, "INSERT INTO "+l.table+" (org_id, name) VALUES ($1, $2) RETURNING id",
			p.OrgID, in.Name).Scan(&id)
		if db.IsUniqueViolation(err) {
			return l.taken(in.Name)
		}
		if err != nil {
			return fmt.Errorf("org: insert %s: %w", l.table, err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: l.action + ".create", ObjectType: l.action, ObjectID: strconv.FormatInt(id, 10), Detail: in.Name})
	})
	return id, err
}

func (s *Service) renameNamed(ctx context.Context, p *authz.Principal, l refList, id int64, in NameInput) error {
	if !refCanWrite(p, l.write) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, "SELECT name FROM "+l.table+" WHERE org_id = $1 AND id = $2", p.OrgID, id).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound(l.what)
		}
		if err != nil {
			return fmt.Errorf("org: get %s: %w", l.table, err)
		}
		// The record is checked before the input: another organization's is not found.
		if err := l.check(&in); err != nil {
			return err
		}
		if old == in.Name {
			return nil
		}
		if err := l.nameTaken(ctx, tx, p.OrgID, id, in.Name); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE "+l.table+" SET name = $3 WHERE org_id = $1 AND id = $2", p.OrgID, id, in.Name)
		if db.IsUniqueViolation(err) {
			return l.taken(in.Name)
		}
		if err != nil {
			return fmt.Errorf("org: rename %s: %w", l.table, err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: l.action + ".rename", ObjectType: l.action, ObjectID: strconv.FormatInt(id, 10),
			Detail: old + " → " + in.Name})
	})
}

// Purchasers.

func (in *PurchaserInput) check(v *app.Validation) {
	in.Name = strings.TrimSpace(in.Name)
	in.Contact = strings.TrimSpace(in.Contact)
	in.Phone = strings.TrimSpace(in.Phone)
	if v.Required("name", in.Name, "用人单位名称") {
		v.MaxLen("name", in.Name, "用人单位名称", 60)
	}
	v.MaxLen("contact", in.Contact, "联系人", 30)
	if in.Phone != "" {
		if err := pii.ValidatePhone(in.Phone); err != nil {
			v.Add("phone", err.Error())
		} else {
			in.Phone = pii.NormalizePhone(in.Phone)
		}
	}
}

const sqlPurchaserColumns = `x.id, x.name, x.contact, x.phone,
	(SELECT COUNT(*) FROM sites s WHERE s.org_id = x.org_id AND s.purchaser_id = x.id AND s.status = 'active')`

// showPurchaser masks the phone for those who may not maintain purchasers.
func showPurchaser(p *authz.Principal, pu *Purchaser) {
	if pu.Phone == "" {
		return
	}
	if CanWriteTowns(p) {
		pu.Phone = FormatPhone(pu.Phone)
		return
	}
	pu.Phone, pu.PhoneMasked = pii.MaskPhone(pu.Phone), true
}

// ListPurchasers lists the purchasers of p's organization. Sort keys: name,
// contact, sites.
func (s *Service) ListPurchasers(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]Purchaser, int, error) {
	if !refCanRead(p) {
		return nil, 0, app.ErrForbidden()
	}
	var args app.Args
	where := "x.org_id = " + args.Add(p.OrgID)
	if q.Q != "" {
		like, op := args.Add(db.Like(q.Q)), " "+s.DB.ILike()+" "
		where += " AND (x.name" + op + like + ` ESCAPE '\' OR x.contact` + op + like + ` ESCAPE '\')`
	}
	total, err := s.refCount(ctx, "purchasers", where, args)
	if err != nil {
		return nil, 0, err
	}
	order := q.OrderBy(map[string]string{"name": "x.name", "contact": "x.contact", "sites": "5"}, "name", "x.id")
	rows, err := s.DB.R.QueryContext(ctx, "SELECT "+sqlPurchaserColumns+" FROM purchasers x WHERE "+where+order+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list purchasers: %w", err)
	}
	defer rows.Close()
	var out []Purchaser
	for rows.Next() {
		var pu Purchaser
		if err := rows.Scan(&pu.ID, &pu.Name, &pu.Contact, &pu.Phone, &pu.Sites); err != nil {
			return nil, 0, err
		}
		showPurchaser(p, &pu)
		out = append(out, pu)
	}
	return out, total, rows.Err()
}

func (s *Service) getPurchaser(ctx context.Context, q db.Querier, orgID, id int64) (*Purchaser, error) {
	var pu Purchaser
	err := q.QueryRowContext(ctx, "SELECT "+sqlPurchaserColumns+" FROM purchasers x WHERE x.org_id = $1 AND x.id = $2",
		orgID, id).Scan(&pu.ID, &pu.Name, &pu.Contact, &pu.Phone, &pu.Sites)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("用人单位")
	}
	if err != nil {
		return nil, fmt.Errorf("org: get purchaser: %w", err)
	}
	return &pu, nil
}

// GetPurchaser returns one purchaser of p's organization.
func (s *Service) GetPurchaser(ctx context.Context, p *authz.Principal, id int64) (*Purchaser, error) {
	if !refCanRead(p) {
		return nil, app.ErrNotFound("用人单位")
	}
	pu, err := s.getPurchaser(ctx, s.DB.R, p.OrgID, id)
	if err != nil {
		return nil, err
	}
	showPurchaser(p, pu)
	return pu, nil
}

// CreatePurchaser adds a purchaser.
func (s *Service) CreatePurchaser(ctx context.Context, p *authz.Principal, in PurchaserInput) (int64, error) {
	if !CanWriteTowns(p) {
		return 0, app.ErrForbidden()
	}
	var v app.Validation
	in.check(&v)
	if err := v.Err(); err != nil {
		return 0, err
	}
	now := s.Now().UTC()
	var id int64
	taken := func() error {
		return conflictOn(map[string]string{"name": "用人单位「" + in.Name + "」已存在"})
	}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM purchasers WHERE org_id = $1 AND name = $2`,
			p.OrgID, in.Name).Scan(&n); err != nil {
			return fmt.Errorf("org: check purchaser name: %w", err)
		}
		if n > 0 {
			return taken()
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO purchasers (org_id, name, contact, phone) VALUES ($1, $2, $3, $4) RETURNING id`,
			p.OrgID, in.Name, in.Contact, in.Phone).Scan(&id)
		if db.IsUniqueViolation(err) {
			return taken()
		}
		if err != nil {
			return fmt.Errorf("org: insert purchaser: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "purchaser.create", ObjectType: "purchaser", ObjectID: strconv.FormatInt(id, 10), Detail: in.Name})
	})
	return id, err
}

// UpdatePurchaser renames a purchaser or changes its contact.
func (s *Service) UpdatePurchaser(ctx context.Context, p *authz.Principal, id int64, in PurchaserInput) error {
	if !CanWriteTowns(p) {
		return app.ErrForbidden()
	}
	now := s.Now().UTC()
	taken := func() error {
		return conflictOn(map[string]string{"name": "用人单位「" + in.Name + "」已存在"})
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.getPurchaser(ctx, tx, p.OrgID, id)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v)
		if err := v.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM purchasers WHERE org_id = $1 AND id <> $2 AND name = $3`,
			p.OrgID, id, in.Name).Scan(&n); err != nil {
			return fmt.Errorf("org: check purchaser name: %w", err)
		}
		if n > 0 {
			return taken()
		}
		_, err = tx.ExecContext(ctx, `UPDATE purchasers SET name = $3, contact = $4, phone = $5 WHERE org_id = $1 AND id = $2`,
			p.OrgID, id, in.Name, in.Contact, in.Phone)
		if db.IsUniqueViolation(err) {
			return taken()
		}
		if err != nil {
			return fmt.Errorf("org: update purchaser: %w", err)
		}
		var d changes
		d.Add("名称", old.Name, in.Name)
		d.Note("联系人", old.Contact != in.Contact)
		d.Note("联系电话", old.Phone != in.Phone)
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: now, UserID: p.UserID, Username: p.Username,
			Action: "purchaser.update", ObjectType: "purchaser", ObjectID: strconv.FormatInt(id, 10), Detail: d.String()})
	})
}
