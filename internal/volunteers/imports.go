package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/export"
	"shegong/internal/pii"
)

// Imports from Excel (SPEC P10). Every row is checked first; a bad row is
// reported with its worksheet row number and the reason, and nothing is
// imported until the whole file is clean. A dry run only checks.

// RowError is one problem of an uploaded file.
type RowError struct {
	Row     int    `json:"row"` // worksheet row number; 0 for the file itself
	Message string `json:"message"`
}

// ImportResult reports an import or a dry run.
type ImportResult struct {
	DryRun   bool       `json:"dry_run"`
	Rows     int        `json:"rows"`     // data rows read
	Imported int        `json:"imported"` // rows written; 0 on a dry run or with errors
	Errors   []RowError `json:"errors"`
}

// OK reports whether the file had no problem.
func (r *ImportResult) OK() bool { return len(r.Errors) == 0 }

// Column is one column of an import template.
type Column struct {
	Header   string
	Required bool
	Help     string
}

// VolunteerColumns is the volunteer import template.
var VolunteerColumns = []Column{
	{"姓名", true, "真实姓名"},
	{"服务点", true, "登记所属服务点的名称，须与系统中一致"},
	{"性别", false, "男或女；填写居民身份证时可留空，自动取得"},
	{"出生年月", false, "如 1990-05；填写居民身份证时可留空"},
	{"证件类型", false, "居民身份证、护照等，留空按居民身份证"},
	{"证件号码", false, "与手机号码至少填写一项"},
	{"手机号码", false, "11位手机号码"},
	{"服务技能", false, "如 文艺表演、电脑维修"},
	{"i志愿编号", false, "已在i志愿注册的填写"},
	{"登记日期", false, "如 2026-03-01，留空为今天"},
	{"同意登记更多信息", false, "是或否；为是时才能填写后面的住址、工作单位或学校、学历"},
	{"同意日期", false, "志愿者同意的日期"},
	{"住址", false, ""},
	{"工作单位或学校", false, ""},
	{"学历", false, ""},
	{"备注", false, ""},
}

// RecordColumns is the service hours import template.
var RecordColumns = []Column{
	{"志愿者编号", false, "如 V2026-0001；与证件号码、手机号码三者至少填写一项"},
	{"证件号码", false, ""},
	{"手机号码", false, ""},
	{"姓名", false, "填写时须与志愿者一致，用于核对"},
	{"活动名称", true, ""},
	{"服务日期", true, "如 2026-03-01"},
	{"开始时间", true, "如 09:00"},
	{"结束时间", true, "如 11:30"},
	{"迟到分钟", false, ""},
	{"早退分钟", false, ""},
	{"服务地点", false, ""},
	{"服务内容", false, ""},
	{"服务人数", false, ""},
	{"服务队", false, "服务队名称"},
	{"服务点", false, "留空为志愿者所属服务点"},
	{"活动负责人", false, ""},
	{"负责人电话", false, ""},
	{"备注", false, ""},
}

// TemplateColumns returns the spreadsheet columns of a template.
func TemplateColumns(cols []Column) []export.Column {
	out := make([]export.Column, len(cols))
	for i, c := range cols {
		h := c.Header
		if c.Required {
			h += "*"
		}
		out[i] = export.Column{Header: h, Width: max(float64(len([]rune(h)))*2+4, 12)}
	}
	return out
}

// sheet is an uploaded worksheet with its columns found by header.
type sheet struct {
	rows [][]string
	idx  map[string]int
}

func headerKey(s string) string {
	return strings.NewReplacer("*", "", "＊", "", " ", "", "　", "", "（必填）", "", "(必填)", "").Replace(strings.TrimSpace(s))
}

// readSheet reads an upload and finds the template's columns; a missing
// required column is a file error.
func readSheet(r io.Reader, cols []Column) (*sheet, []RowError) {
	rows, err := export.ReadXLSX(r, "", export.ReadLimits{MaxRows: 5001})
	if err != nil {
		return nil, []RowError{{Message: err.Error()}}
	}
	if len(rows) == 0 {
		return nil, []RowError{{Message: "文件是空的，请使用导入模板填写"}}
	}
	sh := &sheet{rows: rows, idx: map[string]int{}}
	for i, h := range rows[0] {
		if k := headerKey(h); k != "" {
			if _, dup := sh.idx[k]; !dup {
				sh.idx[k] = i
			}
		}
	}
	var errs []RowError
	for _, c := range cols {
		if _, ok := sh.idx[c.Header]; !ok && c.Required {
			errs = append(errs, RowError{Row: 1, Message: "缺少列「" + c.Header + "」，请使用导入模板"})
		}
	}
	if len(errs) == 0 && len(rows) < 2 {
		errs = append(errs, RowError{Message: "文件中没有数据行"})
	}
	return sh, errs
}

// cell returns the value of a named column in row i.
func (sh *sheet) cell(i int, header string) string {
	j, ok := sh.idx[header]
	if !ok || j >= len(sh.rows[i]) {
		return ""
	}
	return strings.TrimSpace(sh.rows[i][j])
}

// blank reports whether row i has no value at all.
func (sh *sheet) blank(i int) bool {
	for _, c := range sh.rows[i] {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// fieldLabels names the input fields in row messages.
var fieldLabels = map[string]string{
	"name": "姓名", "site_id": "服务点", "gender": "性别", "birth_month": "出生年月", "id_type": "证件类型",
	"id_number": "证件号码", "phone": "手机号码", "skills": "服务技能", "ivol_id": "i志愿编号", "joined_on": "登记日期",
	"status": "状态", "consent_on": "同意日期", "address": "住址", "employer": "工作单位或学校", "education": "学历",
	"note": "备注", "volunteer_id": "志愿者", "activity_name": "活动名称", "service_date": "服务日期",
	"start_time": "开始时间", "end_time": "结束时间", "late_minutes": "迟到分钟", "early_minutes": "早退分钟",
	"place": "服务地点", "content": "服务内容", "people_served": "服务人数", "team_id": "服务队",
	"lead_name": "活动负责人", "lead_phone": "负责人电话",
}

// rowMessage joins the messages of an error for one row.
func rowMessage(err error) string {
	fields := app.FieldErrors(err)
	if len(fields) == 0 {
		return app.ErrorMessage(err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Report in template order for a stable message.
	order := []string{"name", "site_id", "volunteer_id", "gender", "birth_month", "id_type", "id_number", "phone", "skills",
		"ivol_id", "joined_on", "status", "consent_on", "address", "employer", "education", "activity_name", "service_date",
		"start_time", "end_time", "late_minutes", "early_minutes", "place", "content", "people_served", "team_id",
		"lead_name", "lead_phone", "note"}
	var parts []string
	seen := map[string]bool{}
	for _, k := range order {
		if m, ok := fields[k]; ok && !seen[m] {
			seen[m] = true
			parts = append(parts, m)
		}
	}
	for _, k := range keys {
		if m := fields[k]; !seen[m] {
			seen[m] = true
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, "；")
}

// siteNames maps the names of the service points p may write to.
func (s *Service) siteNames(ctx context.Context, p *authz.Principal) (map[string]int64, error) {
	sites, err := s.Sites(ctx, p, PermWrite)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, st := range sites {
		out[st.Name] = st.ID
	}
	return out, nil
}

func idTypeCode(label string) (string, bool) {
	if label == "" || label == "身份证" {
		return IDResident, true
	}
	for _, c := range IDTypes {
		if c.Label == label || c.Code == label {
			return c.Code, true
		}
	}
	return "", false
}

func yesNo(s string) (bool, bool) {
	switch strings.TrimSpace(s) {
	case "", "否", "N", "n", "no", "0":
		return false, true
	case "是", "Y", "y", "yes", "1", "同意":
		return true, true
	}
	return false, false
}

func parseInt(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1e6 {
			return 0, false
		}
		n = int(f)
	}
	return n, true
}

// ImportVolunteers reads a volunteer spreadsheet. With dryRun, or when any
// row is bad, nothing is written.
func (s *Service) ImportVolunteers(ctx context.Context, p *authz.Principal, r io.Reader, dryRun bool) (*ImportResult, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	res := &ImportResult{DryRun: dryRun}
	sh, errs := readSheet(r, VolunteerColumns)
	if len(errs) > 0 {
		res.Errors = errs
		return res, nil
	}
	sites, err := s.siteNames(ctx, p)
	if err != nil {
		return nil, err
	}
	type row struct {
		n  int
		in VolunteerInput
	}
	var good []row
	seen := map[string]int{} // blind index or i志愿 id → row
	for i := 1; i < len(sh.rows); i++ {
		if sh.blank(i) {
			continue
		}
		res.Rows++
		n := i + 1
		var v app.Validation
		in := VolunteerInput{
			Name: sh.cell(i, "姓名"), Gender: sh.cell(i, "性别"), BirthMonth: sh.cell(i, "出生年月"),
			IDNumber: sh.cell(i, "证件号码"), Phone: sh.cell(i, "手机号码"), Skills: sh.cell(i, "服务技能"),
			IvolID: sh.cell(i, "i志愿编号"), Address: sh.cell(i, "住址"), Employer: sh.cell(i, "工作单位或学校"),
			Education: sh.cell(i, "学历"), Note: sh.cell(i, "备注"),
		}
		if site := sh.cell(i, "服务点"); site == "" {
			v.Add("site_id", "服务点不能为空")
		} else if in.SiteID = sites[site]; in.SiteID == 0 {
			v.Add("site_id", "服务点「"+site+"」不存在或您无权在该服务点登记")
		}
		if t := sh.cell(i, "证件类型"); in.IDNumber != "" || t != "" {
			code, ok := idTypeCode(t)
			if !ok {
				v.Add("id_type", "证件类型「"+t+"」无效")
			}
			in.IDType = code
		}
		if d := sh.cell(i, "登记日期"); d != "" {
			if in.JoinedOn, err = app.ParseDate(d); err != nil {
				v.Add("joined_on", "登记日期格式应为 2026-03-01")
			}
		}
		consent, ok := yesNo(sh.cell(i, "同意登记更多信息"))
		if !ok {
			v.Add("consent_on", "「同意登记更多信息」应填是或否")
		}
		in.Consent = consent
		if d := sh.cell(i, "同意日期"); d != "" {
			if in.ConsentOn, err = app.ParseDate(d); err != nil {
				v.Add("consent_on", "同意日期格式应为 2026-03-01")
			}
		}
		in.normalize(&v, s.Now(), true)
		if err := v.Err(); err != nil {
			res.Errors = append(res.Errors, RowError{Row: n, Message: rowMessage(err)})
			continue
		}
		enc := sealed{}
		if in.IDNumber != "" {
			enc.idIdx = s.Cipher.BlindIndex(idxIDNumber, in.IDNumber)
		}
		if in.Phone != "" {
			enc.phoneIdx = s.Cipher.BlindIndex(idxPhone, in.Phone)
		}
		var msgs []string
		for _, k := range []struct{ key, what string }{{"id:" + enc.idIdx, "证件号码"}, {"phone:" + enc.phoneIdx, "手机号码"},
			{"ivol:" + in.IvolID, "i志愿编号"}} {
			if strings.HasSuffix(k.key, ":") {
				continue
			}
			if first, dup := seen[k.key]; dup {
				msgs = append(msgs, fmt.Sprintf("%s与第%d行重复", k.what, first))
			} else {
				seen[k.key] = n
			}
		}
		if err := s.checkDuplicates(ctx, s.DB.R, p.OrgID, 0, enc, in.IvolID); err != nil {
			if app.ErrorCode(err) != app.EConflict {
				return nil, err
			}
			msgs = append(msgs, app.ErrorMessage(err))
		}
		if len(msgs) > 0 {
			res.Errors = append(res.Errors, RowError{Row: n, Message: strings.Join(msgs, "；")})
			continue
		}
		good = append(good, row{n, in})
	}
	if !res.OK() || dryRun {
		return res, nil
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, g := range good {
			if _, err := s.create(ctx, tx, p, g.in); err != nil {
				if app.ErrorCode(err) == app.EInternal {
					return err
				}
				res.Errors = append(res.Errors, RowError{Row: g.n, Message: rowMessage(err)})
				return errRowFailed
			}
		}
		return s.writeAudit(ctx, tx, p, "volunteer.import", "volunteer", 0, fmt.Sprintf("从Excel导入志愿者 %d 人", len(good)))
	})
	if errors.Is(err, errRowFailed) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Imported = len(good)
	return res, nil
}

// errRowFailed rolls an import back after a row failed while writing.
var errRowFailed = errors.New("import row failed")

// parseClockCell reads a time cell as Excel may show it: "9:00", "09:00:00"
// or a fraction of a day such as 0.375.
func parseClockCell(s string) (string, bool) {
	if _, ok := ParseClock(s); ok {
		return s, true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f > 1 {
		return s, false
	}
	return FormatClock(int(math.Round(f * 24 * 60))), true
}

// findVolunteer identifies the volunteer of an hours row by number, ID
// number or phone, within p's read scope.
func (s *Service) findVolunteer(ctx context.Context, q db.Querier, p *authz.Principal, no, idNo, phone string) (*Volunteer, string) {
	var col, val, what string
	switch {
	case no != "":
		col, val, what = "volunteer_no", strings.ToUpper(no), "志愿者编号 "+no
	case idNo != "":
		col, val, what = "id_number_idx", s.Cipher.BlindIndex(idxIDNumber, strings.ToUpper(pii.NormalizeIDNumber(idNo))), "该证件号码"
	case phone != "":
		col, val, what = "phone_idx", s.Cipher.BlindIndex(idxPhone, pii.NormalizePhone(phone)), "该手机号码"
	default:
		return nil, "志愿者编号、证件号码和手机号码至少填写一项"
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM volunteers WHERE org_id = $1 AND `+col+` = $2`, p.OrgID, val).Scan(&id)
	if err != nil {
		return nil, "找不到" + what + "对应的志愿者"
	}
	v, err := s.load(ctx, q, p, PermRead, id)
	if err != nil {
		return nil, "找不到" + what + "对应的志愿者"
	}
	return v, ""
}

// ImportRecords reads a service hours spreadsheet. Rows that overlap each
// other or an existing record of the same volunteer are refused like a
// typed record. With dryRun, or when any row is bad, nothing is written.
func (s *Service) ImportRecords(ctx context.Context, p *authz.Principal, r io.Reader, dryRun bool) (*ImportResult, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	res := &ImportResult{DryRun: dryRun}
	sh, errs := readSheet(r, RecordColumns)
	if len(errs) > 0 {
		res.Errors = errs
		return res, nil
	}
	sites, err := s.siteNames(ctx, p)
	if err != nil {
		return nil, err
	}
	teams := map[string]int64{}
	tc, err := s.TeamChoices(ctx, p)
	if err != nil {
		return nil, err
	}
	for _, t := range tc {
		teams[t.Name] = t.ID
	}
	type slot struct {
		row        int
		start, end int
		activity   string
	}
	taken := map[string][]slot{} // volunteer id + date → time ranges in the file
	type row struct {
		n  int
		in RecordInput
	}
	var good []row
	today := s.today()
	for i := 1; i < len(sh.rows); i++ {
		if sh.blank(i) {
			continue
		}
		res.Rows++
		n := i + 1
		var v app.Validation
		in := RecordInput{ActivityName: sh.cell(i, "活动名称"), Place: sh.cell(i, "服务地点"), Content: sh.cell(i, "服务内容"),
			LeadName: sh.cell(i, "活动负责人"), LeadPhone: sh.cell(i, "负责人电话"), Note: sh.cell(i, "备注")}
		vol, msg := s.findVolunteer(ctx, s.DB.R, p, sh.cell(i, "志愿者编号"), sh.cell(i, "证件号码"), sh.cell(i, "手机号码"))
		if vol == nil {
			v.Add("volunteer_id", msg)
		} else {
			in.VolunteerID = vol.ID
			if name := sh.cell(i, "姓名"); name != "" && name != vol.Name {
				v.Add("volunteer_id", "姓名「"+name+"」与志愿者 "+vol.No+" 不一致")
			}
		}
		if d := sh.cell(i, "服务日期"); d != "" {
			if in.Date, err = app.ParseDate(d); err != nil {
				v.Add("service_date", "服务日期格式应为 2026-03-01")
			}
		}
		var ok bool
		if in.Start, ok = parseClockCell(sh.cell(i, "开始时间")); !ok {
			v.Add("start_time", "开始时间格式应为 09:00")
		}
		if in.End, ok = parseClockCell(sh.cell(i, "结束时间")); !ok {
			v.Add("end_time", "结束时间格式应为 17:30")
		}
		for _, f := range []struct {
			header, field string
			dst           *int
		}{{"迟到分钟", "late_minutes", &in.LateMinutes}, {"早退分钟", "early_minutes", &in.EarlyMinutes},
			{"服务人数", "people_served", &in.PeopleServed}} {
			if x, ok := parseInt(sh.cell(i, f.header)); ok {
				*f.dst = x
			} else {
				v.Add(f.field, f.header+"应为整数")
			}
		}
		if t := sh.cell(i, "服务队"); t != "" {
			if in.TeamID = teams[t]; in.TeamID == 0 {
				v.Add("team_id", "服务队「"+t+"」不存在或无权访问")
			}
		}
		if site := sh.cell(i, "服务点"); site != "" {
			if in.SiteID = sites[site]; in.SiteID == 0 {
				v.Add("site_id", "服务点「"+site+"」不存在或您无权在该服务点登记")
			}
		} else if vol != nil {
			in.SiteID = vol.SiteID
			if _, ok := sites[vol.SiteName]; !ok {
				v.Add("site_id", "您无权在志愿者所属服务点登记，请填写服务点")
			}
		}
		t := in.normalize(&v, today)
		if err := v.Err(); err != nil {
			res.Errors = append(res.Errors, RowError{Row: n, Message: rowMessage(err)})
			continue
		}
		key := fmt.Sprintf("%d|%s", in.VolunteerID, in.Date)
		var clash string
		for _, o := range taken[key] {
			if o.start < t.end && t.start < o.end {
				clash = fmt.Sprintf("与第%d行（%s %s–%s）时间重叠", o.row, o.activity, FormatClock(o.start), FormatClock(o.end))
				break
			}
		}
		if clash == "" {
			m, err := s.findOverlap(ctx, s.DB.R, p.OrgID, in.VolunteerID, 0, in.Date, t)
			if err != nil {
				return nil, err
			}
			clash = m
		}
		if clash != "" {
			res.Errors = append(res.Errors, RowError{Row: n, Message: clash})
			continue
		}
		taken[key] = append(taken[key], slot{n, t.start, t.end, in.ActivityName})
		good = append(good, row{n, in})
	}
	if !res.OK() || dryRun {
		return res, nil
	}
	var minutes Minutes
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		minutes = 0 // the transaction may run again (see db.Tx)
		for _, g := range good {
			id, err := s.createRecord(ctx, tx, p, g.in)
			if err != nil {
				if app.ErrorCode(err) == app.EInternal {
					return err
				}
				res.Errors = append(res.Errors, RowError{Row: g.n, Message: rowMessage(err)})
				return errRowFailed
			}
			var m Minutes
			if err := tx.QueryRowContext(ctx, `SELECT minutes FROM volunteer_services WHERE org_id = $1 AND id = $2`, p.OrgID, id).Scan(&m); err != nil {
				return err
			}
			minutes += m
		}
		return s.writeAudit(ctx, tx, p, "volunteer_service.import", "volunteer_service", 0,
			fmt.Sprintf("从Excel导入服务记录 %d 条，共 %s 小时", len(good), minutes))
	})
	if errors.Is(err, errRowFailed) {
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	res.Imported = len(good)
	return res, nil
}
