package org

import (
	"context"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
)

// Change is one entry of a record's timeline, read from the audit log.
type Change struct {
	At         time.Time `json:"at"`
	Username   string    `json:"username"`
	Action     string    `json:"action"`
	ActionName string    `json:"action_name"`
	Detail     string    `json:"detail"`
}

// orgActionNames names the audited actions of the organization structure.
var orgActionNames = map[string]string{
	"site.create":          "新建服务点",
	"site.update":          "修改服务点",
	"site.deactivate":      "停用服务点",
	"site.activate":        "重新启用服务点",
	"contract_year.create": "新增合同年",
	"contract_year.update": "修改合同年",
	"contract_year.delete": "删除合同年",
	"dept.create":          "新建部门",
	"dept.update":          "修改部门",
	"dept.deactivate":      "停用部门",
	"dept.activate":        "重新启用部门",
	"town.create":          "新增镇街",
	"town.rename":          "镇街改名",
	"purchaser.create":     "新增用人单位",
	"purchaser.update":     "修改用人单位",
	"domain.create":        "新增领域",
	"domain.rename":        "领域改名",
}

// history reads the timeline of one record of orgID.
func (s *Service) history(ctx context.Context, orgID int64, objectType string, id int64) ([]Change, error) {
	entries, _, err := audit.List(ctx, s.DB, audit.Filter{OrgID: orgID, ObjectType: objectType,
		ObjectID: strconv.FormatInt(id, 10), Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(entries))
	for _, e := range entries {
		c := Change{At: e.At, Username: e.Username, Action: e.Action, ActionName: orgActionNames[e.Action], Detail: e.Detail}
		if c.ActionName == "" {
			c.ActionName = e.Action
		}
		out = append(out, c)
	}
	return out, nil
}

// changes collects "label: old → new" for the fields an edit changed, as
// the audit detail of the edit.
type changes []string

func (c *changes) add(label, old, new string) {
	if old == new {
		return
	}
	if old == "" {
		old = "（空）"
	}
	if new == "" {
		new = "（空）"
	}
	*c = append(*c, label+"："+old+" → "+new)
}

// note records that a field changed without writing its values (contact
// data stays out of the audit detail).
func (c *changes) note(label string, changed bool) {
	if changed {
		*c = append(*c, label+"已修改")
	}
}

func (c changes) String() string {
	if len(c) == 0 {
		return "未修改任何内容"
	}
	return strings.Join(c, "；")
}

// scopeWhere is Scope.SQL that binds only the values the condition really
// uses: a scope that grants nothing yields "1 = 0" after binding the
// organization id, and PostgreSQL refuses a bound value no placeholder uses.
func scopeWhere(sc authz.Scope, cols authz.Cols, args *app.Args) string {
	var vals []any
	cond := sc.SQL(cols, func(v any) string {
		vals = append(vals, v)
		return "\x00" + strconv.Itoa(len(vals)-1) + "\x00"
	})
	for i, v := range vals {
		tok := "\x00" + strconv.Itoa(i) + "\x00"
		if strings.Contains(cond, tok) {
			cond = strings.ReplaceAll(cond, tok, args.Add(v))
		}
	}
	return cond
}
