package volunteers

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/export"
)

// Export kinds of the i志愿 platform.
const (
	KindRegistration = "registration"
	KindHours        = "hours"
)

// Batch is one export to the i志愿 platform. Every record it took is marked
// with it, so the next export takes only records not yet exported.
type Batch struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	ActivityName string    `json:"activity_name"`
	Records      int       `json:"records"`
	CreatorName  string    `json:"creator_name"`
	CreatedAt    time.Time `json:"created_at"`
}

// KindLabel is the Chinese name of the batch's kind.
func (b Batch) KindLabel() string {
	if b.Kind == KindRegistration {
		return "志愿者注册信息"
	}
	return "服务时数"
}

// PendingActivity sums the service records of one activity not yet exported.
type PendingActivity struct {
	ActivityName string  `json:"activity_name"`
	Records      int     `json:"records"`
	Volunteers   int     `json:"volunteers"`
	Minutes      Minutes `json:"minutes"`
	// Unregistered counts the records whose volunteer has no i志愿 id yet;
	// they wait until the id is entered.
	Unregistered int      `json:"unregistered"`
	First        app.Date `json:"first_date"`
	Last         app.Date `json:"last_date"`
}

// Pending is what is waiting for the next i志愿 export in p's scope.
type Pending struct {
	Activities    []PendingActivity `json:"activities"`
	Registrations int               `json:"registrations"`
}

// Pending lists the records not yet exported, by activity, and the number
// of volunteers whose registration has not been exported.
func (s *Service) Pending(ctx context.Context, p *authz.Principal) (*Pending, error) {
	var args app.Args
	where := p.Scope(PermRead).SQL(authz.Cols{Org: "r.org_id", Site: "r.site_id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT r.activity_name, COUNT(*), COUNT(DISTINCT r.volunteer_id),
		CAST(SUM(r.minutes) AS BIGINT), SUM(CASE WHEN v.ivol_id = '' THEN 1 ELSE 0 END), MIN(r.service_date), MAX(r.service_date)
		FROM volunteer_services r JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id
		WHERE r.batch_id IS NULL AND `+where+` GROUP BY r.activity_name ORDER BY MIN(r.service_date), r.activity_name`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: pending: %w", err)
	}
	defer rows.Close()
	out := &Pending{}
	for rows.Next() {
		var a PendingActivity
		if err := rows.Scan(&a.ActivityName, &a.Records, &a.Volunteers, &a.Minutes, &a.Unregistered, &a.First, &a.Last); err != nil {
			return nil, err
		}
		out.Activities = append(out.Activities, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var args2 app.Args
	w2 := p.Scope(PermRead).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args2.Add)
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM volunteers v WHERE v.status = 'active' AND v.ivol_id = ''
		AND v.reg_batch_id IS NULL AND `+w2, args2...).Scan(&out.Registrations); err != nil {
		return nil, fmt.Errorf("volunteers: pending registrations: %w", err)
	}
	return out, nil
}

// batchVisible is the condition under which p sees batch b: some record or
// registration it holds lies in p's scope.
func batchVisible(p *authz.Principal, perm *authz.Perm, args *app.Args) string {
	rs := p.Scope(perm).SQL(authz.Cols{Org: "r.org_id", Site: "r.site_id"}, args.Add)
	vs := p.Scope(perm).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add)
	return `(EXISTS (SELECT 1 FROM volunteer_services r WHERE r.org_id = b.org_id AND r.batch_id = b.id AND ` + rs + `)
		OR EXISTS (SELECT 1 FROM volunteers v WHERE v.org_id = b.org_id AND v.reg_batch_id = b.id AND ` + vs + `))`
}

// Batches lists the i志愿 exports p can see, newest first.
func (s *Service) Batches(ctx context.Context, p *authz.Principal, q app.ListQuery) ([]Batch, int, error) {
	var args app.Args
	w := " WHERE b.org_id = " + args.Add(p.OrgID) + " AND " + batchVisible(p, PermRead, &args)
	var total int
	if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM ivol_batches b"+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("volunteers: count batches: %w", err)
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT b.id, b.kind, b.activity_name, b.records, b.creator_name, b.created_at
		FROM ivol_batches b`+w+" ORDER BY b.id DESC"+q.LimitOffset(), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("volunteers: batches: %w", err)
	}
	defer rows.Close()
	var out []Batch
	for rows.Next() {
		var b Batch
		if err := rows.Scan(&b.ID, &b.Kind, &b.ActivityName, &b.Records, &b.CreatorName, &b.CreatedAt); err != nil {
			return nil, 0, err
		}
		out = append(out, b)
	}
	return out, total, rows.Err()
}

// ExportFile is the spreadsheet of one batch as the i志愿 platform takes it.
type ExportFile struct {
	Batch Batch
	Cols  []export.Column
	Rows  [][]any
}

// Name is the download file name.
func (f *ExportFile) Name() string {
	name := fmt.Sprintf("i志愿-%s-批次%d", f.Batch.KindLabel(), f.Batch.ID)
	if f.Batch.ActivityName != "" {
		name += "-" + f.Batch.ActivityName
	}
	return name + ".xlsx"
}

// Source feeds the rows to the spreadsheet writer.
func (f *ExportFile) Source() export.RowSource {
	return export.Slice(f.Rows, func(r []any) []any { return r })
}

// Columns of the i志愿 hours upload: one attendance per row, the volunteer
// found by ID number or mobile.
var hoursCols = []export.Column{
	{Header: "证件号码", Width: 22}, {Header: "姓名", Width: 10}, {Header: "手机号", Width: 14},
	{Header: "活动名称", Width: 28}, {Header: "服务日期", Width: 12}, {Header: "服务时长（小时）", Width: 16},
	{Header: "服务时长（分钟）", Width: 16}, {Header: "迟到分钟", Width: 10}, {Header: "早退分钟", Width: 10},
	{Header: "活动负责人", Width: 12}, {Header: "负责人电话", Width: 14},
}

// Columns of the i志愿 registration upload.
var registrationCols = []export.Column{
	{Header: "姓名", Width: 10}, {Header: "性别", Width: 6}, {Header: "出生年月", Width: 10}, {Header: "证件类型", Width: 14},
	{Header: "证件号码", Width: 22}, {Header: "手机号", Width: 14}, {Header: "服务技能", Width: 24},
	{Header: "所属服务点", Width: 24}, {Header: "机构志愿者编号", Width: 16},
}

// ExportInput chooses what to export: hours (optionally of one activity)
// or registrations.
type ExportInput struct {
	Kind         string `json:"kind" doc:"导出内容：hours（服务时数，默认）、registration（志愿者注册信息）"`
	ActivityName string `json:"activity_name" doc:"只导出这个活动的服务时数（可选）"`
}

// Export takes every record in p's scope not yet exported, marks it with
// a new batch in the same transaction and returns the batch's spreadsheet.
// It needs full ID numbers and phones, so it is for holders of PermReveal
// only, and it is audited.
func (s *Service) Export(ctx context.Context, p *authz.Principal, in ExportInput) (*ExportFile, error) {
	if !p.Can(PermReveal) {
		return nil, app.ErrForbidden()
	}
	if in.Kind == "" {
		in.Kind = KindHours
	}
	in.ActivityName = clean(in.ActivityName)
	if in.Kind != KindHours && in.Kind != KindRegistration {
		return nil, invalidField("kind", "请选择导出内容")
	}
	if in.Kind == KindRegistration {
		in.ActivityName = ""
	}
	var file *ExportFile
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		now := s.Now().UTC()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO ivol_batches (org_id, kind, activity_name, records, created_by,
			creator_name, created_at) VALUES ($1, $2, $3, 0, $4, $5, $6) RETURNING id`, p.OrgID, in.Kind, in.ActivityName,
			p.UserID, p.DisplayName, now).Scan(&id); err != nil {
			return fmt.Errorf("volunteers: insert batch: %w", err)
		}
		var args app.Args
		args.Add(p.OrgID)
		args.Add(id)
		args.Add(now)
		var q string
		if in.Kind == KindHours {
			cond := "r.batch_id IS NULL AND v.ivol_id <> '' AND " +
				p.Scope(PermReveal).SQL(authz.Cols{Org: "r.org_id", Site: "r.site_id"}, args.Add)
			if in.ActivityName != "" {
				cond += " AND r.activity_name = " + args.Add(in.ActivityName)
			}
			q = `UPDATE volunteer_services SET batch_id = $2, exported_at = $3 WHERE org_id = $1 AND batch_id IS NULL
				AND id IN (SELECT r.id FROM volunteer_services r JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id
				WHERE r.org_id = $1 AND ` + cond + `)`
		} else {
			cond := "v.status = 'active' AND v.ivol_id = '' AND v.reg_batch_id IS NULL AND " +
				p.Scope(PermReveal).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add)
			q = `UPDATE volunteers SET reg_batch_id = $2, reg_exported_at = $3 WHERE org_id = $1 AND reg_batch_id IS NULL
				AND id IN (SELECT v.id FROM volunteers v WHERE v.org_id = $1 AND ` + cond + `)`
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("volunteers: mark exported: %w", err)
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			if in.Kind == KindHours {
				return invalidField("activity_name", "没有待导出的服务记录（志愿者须已登记i志愿编号）")
			}
			return invalidField("kind", "没有待导出的志愿者注册信息")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ivol_batches SET records = $3 WHERE org_id = $1 AND id = $2`, p.OrgID, id, n); err != nil {
			return err
		}
		b := Batch{ID: id, Kind: in.Kind, ActivityName: in.ActivityName, Records: int(n), CreatorName: p.DisplayName, CreatedAt: now}
		if file, err = s.batchFile(ctx, tx, p, b); err != nil {
			return err
		}
		detail := fmt.Sprintf("i志愿%s 批次 %d，%d 条，含完整证件号码和手机号", b.KindLabel(), id, n)
		if in.ActivityName != "" {
			detail += "，活动 " + in.ActivityName
		}
		return s.writeAudit(ctx, tx, p, "ivol.export", "ivol_batch", id, detail)
	})
	if err != nil {
		return nil, err
	}
	return file, nil
}

// BatchFile rebuilds an earlier batch's spreadsheet (for a lost download)
// with the records of it in p's scope, and audits it. Nothing is marked.
func (s *Service) BatchFile(ctx context.Context, p *authz.Principal, id int64) (*ExportFile, error) {
	var file *ExportFile
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var args app.Args
		args.Add(p.OrgID)
		args.Add(id)
		var b Batch
		err := tx.QueryRowContext(ctx, `SELECT b.id, b.kind, b.activity_name, b.records, b.creator_name, b.created_at
			FROM ivol_batches b WHERE b.org_id = $1 AND b.id = $2 AND `+batchVisible(p, PermReveal, &args), args...).Scan(
			&b.ID, &b.Kind, &b.ActivityName, &b.Records, &b.CreatorName, &b.CreatedAt)
		if err != nil {
			return notFound(err, "导出批次")
		}
		if file, err = s.batchFile(ctx, tx, p, b); err != nil {
			return err
		}
		return s.writeAudit(ctx, tx, p, "ivol.redownload", "ivol_batch", id,
			fmt.Sprintf("重新下载i志愿%s 批次 %d，%d 条，含完整证件号码和手机号", b.KindLabel(), id, len(file.Rows)))
	})
	if err != nil {
		return nil, err
	}
	return file, nil
}

// batchFile reads the rows of batch b in p's reveal scope, decrypted.
func (s *Service) batchFile(ctx context.Context, q db.Querier, p *authz.Principal, b Batch) (*ExportFile, error) {
	f := &ExportFile{Batch: b}
	var args app.Args
	args.Add(p.OrgID)
	args.Add(b.ID)
	if b.Kind == KindHours {
		f.Cols = hoursCols
		where := p.Scope(PermReveal).SQL(authz.Cols{Org: "r.org_id", Site: "r.site_id"}, args.Add)
		rows, err := q.QueryContext(ctx, `SELECT v.id_number_enc, v.name, v.phone_enc, r.activity_name, r.service_date,
			r.minutes, r.late_min, r.early_min, r.lead_name, r.lead_phone
			FROM volunteer_services r JOIN volunteers v ON v.org_id = r.org_id AND v.id = r.volunteer_id
			WHERE r.org_id = $1 AND r.batch_id = $2 AND `+where+`
			ORDER BY r.activity_name, r.service_date, r.start_min, v.volunteer_no`, args...)
		if err != nil {
			return nil, fmt.Errorf("volunteers: batch rows: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var idEnc, name, phoneEnc, activity, lead, leadPhone string
			var day app.Date
			var minutes, late, early int
			if err := rows.Scan(&idEnc, &name, &phoneEnc, &activity, &day, &minutes, &late, &early, &lead, &leadPhone); err != nil {
				return nil, err
			}
			idNo, phone, err := s.decrypt2(idEnc, phoneEnc)
			if err != nil {
				return nil, err
			}
			f.Rows = append(f.Rows, []any{idNo, name, phone, activity, day.String(), minutes / 60, minutes % 60,
				late, early, lead, leadPhone})
		}
		return f, rows.Err()
	}
	f.Cols = registrationCols
	where := p.Scope(PermReveal).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add)
	rows, err := q.QueryContext(ctx, `SELECT v.name, v.gender, v.birth_month, v.id_type, v.id_number_enc, v.phone_enc,
		v.skills, s.name, v.volunteer_no FROM volunteers v JOIN sites s ON s.org_id = v.org_id AND s.id = v.site_id
		WHERE v.org_id = $1 AND v.reg_batch_id = $2 AND `+where+` ORDER BY v.volunteer_no`, args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: batch registrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, gender, birth, idType, idEnc, phoneEnc, skills, site, no string
		if err := rows.Scan(&name, &gender, &birth, &idType, &idEnc, &phoneEnc, &skills, &site, &no); err != nil {
			return nil, err
		}
		idNo, phone, err := s.decrypt2(idEnc, phoneEnc)
		if err != nil {
			return nil, err
		}
		typeLabel := ""
		if idType != "" {
			typeLabel = Label(IDTypes, idType)
		}
		f.Rows = append(f.Rows, []any{name, gender, birth, typeLabel, idNo, phone, skills, site, no})
	}
	return f, rows.Err()
}

func (s *Service) decrypt2(a, b string) (string, string, error) {
	x, err := s.Cipher.Decrypt(a)
	if err != nil {
		return "", "", fmt.Errorf("volunteers: decrypt: %w", err)
	}
	y, err := s.Cipher.Decrypt(b)
	if err != nil {
		return "", "", fmt.Errorf("volunteers: decrypt: %w", err)
	}
	return x, y, nil
}

// ActivityNames lists activity names with records waiting for export, for
// the export form.
func (p *Pending) ActivityNames() []string {
	var out []string
	for _, a := range p.Activities {
		if a.Records > a.Unregistered {
			out = append(out, a.ActivityName)
		}
	}
	return out
}
