package cases

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// PermClientCategories lets the organization's managers keep the list of
// client categories. The register's own permissions cover using them.
var PermClientCategories = authz.Define("cases.client.categories", "维护服务对象类别", map[authz.Role]authz.Level{
	authz.RoleOrgAdmin: authz.Org, authz.RoleDirector: authz.Org, authz.RoleServiceHead: authz.Org,
})

// DefaultCategories are seeded into each organization on first use.
var DefaultCategories = []string{"青少年", "长者", "残障", "困境儿童", "低保", "外来务工", "妇女", "家庭"}

// ensureCategories seeds the default categories of an organization that has
// none yet.
func (s *ClientService) ensureCategories(ctx context.Context, orgID int64) error {
	var n int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM client_categories WHERE org_id = $1`, orgID).Scan(&n); err != nil {
		return fmt.Errorf("cases: count categories: %w", err)
	}
	if n > 0 {
		return nil
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for i, name := range DefaultCategories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO client_categories (org_id, name, sort_order) VALUES ($1, $2, $3)
				ON CONFLICT (org_id, name) DO NOTHING`, orgID, name, (i+1)*10); err != nil {
				return fmt.Errorf("cases: seed categories: %w", err)
			}
		}
		return nil
	})
}

// Categories returns the organization's client categories in display order;
// activeOnly leaves out those no longer offered.
func (s *ClientService) Categories(ctx context.Context, orgID int64, activeOnly bool) ([]Category, error) {
	if err := s.ensureCategories(ctx, orgID); err != nil {
		return nil, err
	}
	return listCategories(ctx, s.DB.R, orgID, activeOnly)
}

func listCategories(ctx context.Context, q db.Querier, orgID int64, activeOnly bool) ([]Category, error) {
	query := `SELECT id, name, status FROM client_categories WHERE org_id = $1`
	if activeOnly {
		query += ` AND status = 'active'`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY sort_order, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("cases: categories: %w", err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		var c Category
		var st string
		if err := rows.Scan(&c.ID, &c.Name, &st); err != nil {
			return nil, err
		}
		c.Active = st == "active"
		out = append(out, c)
	}
	return out, rows.Err()
}

// AddCategory adds a category to the caller's organization.
func (s *ClientService) AddCategory(ctx context.Context, p *authz.Principal, name string) (*Category, error) {
	if !p.Can(PermClientCategories) {
		return nil, app.ErrForbidden()
	}
	name = strings.TrimSpace(name)
	var v app.Validation
	if v.Required("name", name, "类别名称") {
		v.MaxLen("name", name, "类别名称", 20)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.ensureCategories(ctx, p.OrgID); err != nil {
		return nil, err
	}
	c := Category{Name: name, Active: true}
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO client_categories (org_id, name, sort_order)
			VALUES ($1, $2, (SELECT COALESCE(MAX(sort_order), 0) + 10 FROM client_categories WHERE org_id = $1))
			RETURNING id`, p.OrgID, name).Scan(&c.ID)
		if db.IsUniqueViolation(err) {
			return &app.Error{Code: app.EConflict, Message: "类别「" + name + "」已存在",
				Fields: map[string]string{"name": "类别「" + name + "」已存在"}}
		}
		if err != nil {
			return fmt.Errorf("cases: add category: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
			Action: "client_category.create", ObjectType: "client_category", ObjectID: strconv.FormatInt(c.ID, 10),
			Detail: "新增服务对象类别 " + name})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// SetCategoryActive offers or withdraws a category. A withdrawn category
// stays on the clients that have it but is no longer offered for new ones.
func (s *ClientService) SetCategoryActive(ctx context.Context, p *authz.Principal, id int64, active bool) error {
	if !p.Can(PermClientCategories) {
		return app.ErrForbidden()
	}
	if id <= 0 {
		return &app.Error{Code: app.EInvalid, Message: "请选择类别", Fields: map[string]string{"category_id": "请选择类别"}}
	}
	st, word := "inactive", "停用"
	if active {
		st, word = "active", "启用"
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `UPDATE client_categories SET status = $3 WHERE org_id = $1 AND id = $2 RETURNING name`,
			p.OrgID, id, st).Scan(&name)
		if err == sql.ErrNoRows {
			return app.ErrNotFound("类别")
		}
		if err != nil {
			return fmt.Errorf("cases: set category status: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
			Action: "client_category.update", ObjectType: "client_category", ObjectID: strconv.FormatInt(id, 10),
			Detail: word + "服务对象类别 " + name})
	})
}
