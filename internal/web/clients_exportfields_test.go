package web

import (
	"reflect"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/cases"
)

// The client list's export reads only cases.ClientExportFields
// (ClientService.ExportRows): every exported column must show the same
// with the other fields empty.
func TestClientExportColumnsUseExportFields(t *testing.T) {
	full := cases.Client{ID: 7, Code: "C0000007", NameMasked: "陈*", Gender: "女", Age: 71, Minor: true,
		IDNumberMasked: "4401**********1234", PhoneMasked: "139****0001", Phone2Masked: "138****0002",
		AddressMasked: "广州市****", TownID: 3, TownName: "石牌街", Community: "东社区",
		Categories:         []cases.Category{{ID: 1, Name: "长者", Active: true}, {ID: 2, Name: "独居", Active: true}},
		GuardianNameMasked: "李*", GuardianRelation: "child", GuardianRelationLabel: "子女", GuardianPhoneMasked: "137****0003",
		ContactStatus: "valid", ContactStatusLabel: "有效", ContactCheckedOn: app.NewDate(2026, 3, 1),
		WorkerID: 4, WorkerName: "王社工", SiteID: 5, SiteName: "北岸服务点", Status: "active", StatusLabel: "在册",
		Note: "备注", CreatedAt: time.Unix(1e9, 0), UpdatedAt: time.Unix(2e9, 0), Version: 3}
	var lean cases.Client
	src, dst := reflect.ValueOf(full), reflect.ValueOf(&lean).Elem()
	for _, name := range cases.ClientExportFields {
		f := dst.FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("no field %s", name)
		}
		f.Set(src.FieldByName(name))
	}
	for i := range dst.NumField() {
		if src.Field(i).IsZero() {
			t.Fatalf("field %s of the full client is empty", dst.Type().Field(i).Name)
		}
	}
	for _, c := range clientListDef(cases.ClientChoices{}).Cols {
		get := func(cl cases.Client) any {
			if c.Export != nil {
				return c.Export(cl)
			}
			return c.Cell(cl).Text
		}
		if a, b := get(full), get(lean); !reflect.DeepEqual(a, b) {
			t.Errorf("column %s: %v from the full client, %v from the export's fields", c.Label, a, b)
		}
	}
}
