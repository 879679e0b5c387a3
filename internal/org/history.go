package org

import (
	"context"
	"strconv"

	"shegong/internal/audit"
)

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

// Change is one entry of a record's timeline.
type Change = audit.Change

// changes is the audit detail of an edit.
type changes = audit.Diff

// history reads the timeline of one record of orgID.
func (s *Service) history(ctx context.Context, orgID int64, objectType string, id int64) ([]Change, error) {
	return audit.History(ctx, s.DB, orgID, objectType, strconv.FormatInt(id, 10), orgActionNames)
}
