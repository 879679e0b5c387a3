package volunteers

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
)

// Commendation is an honour a volunteer received (表彰).
type Commendation struct {
	ID        int64     `json:"id"`
	AwardedOn app.Date  `json:"awarded_on"`
	Title     string    `json:"title"`
	Issuer    string    `json:"issuer"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

// CommendationInput records a commendation.
type CommendationInput struct {
	AwardedOn app.Date `json:"awarded_on" doc:"表彰日期"`
	Title     string   `json:"title" doc:"表彰名称"`
	Issuer    string   `json:"issuer" doc:"表彰单位"`
	Note      string   `json:"note" doc:"备注"`
}

// AddCommendation records a commendation of a volunteer.
func (s *Service) AddCommendation(ctx context.Context, p *authz.Principal, volunteerID int64, in CommendationInput) (int64, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		vol, err := s.load(ctx, tx, p, PermWrite, volunteerID)
		if err != nil {
			return err
		}
		in.Title, in.Issuer, in.Note = clean(in.Title), clean(in.Issuer), clean(in.Note)
		var v app.Validation
		if in.AwardedOn.IsZero() {
			v.Add("awarded_on", "请填写表彰日期")
		} else if in.AwardedOn.After(s.today()) {
			v.Add("awarded_on", "表彰日期不能晚于今天")
		}
		if v.Required("title", in.Title, "表彰名称") {
			v.MaxLen("title", in.Title, "表彰名称", 100)
		}
		if v.Required("issuer", in.Issuer, "表彰单位") {
			v.MaxLen("issuer", in.Issuer, "表彰单位", 100)
		}
		v.MaxLen("note", in.Note, "备注", 500)
		if err := v.Err(); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_commendations (org_id, volunteer_id, awarded_on, title, issuer,
			note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, p.OrgID, volunteerID, in.AwardedOn, in.Title,
			in.Issuer, in.Note, s.Now().UTC()).Scan(&id); err != nil {
			return fmt.Errorf("volunteers: insert commendation: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "volunteer.commend", "volunteer", volunteerID, vol.No+" "+in.Title)
	})
	return id, err
}

// Commendations lists a volunteer's commendations, newest first.
func (s *Service) Commendations(ctx context.Context, p *authz.Principal, volunteerID int64) ([]Commendation, error) {
	if _, err := s.load(ctx, s.DB.R, p, PermRead, volunteerID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, awarded_on, title, issuer, note, created_at FROM volunteer_commendations
		WHERE org_id = $1 AND volunteer_id = $2 ORDER BY awarded_on DESC, id DESC`, p.OrgID, volunteerID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: commendations: %w", err)
	}
	defer rows.Close()
	var out []Commendation
	for rows.Next() {
		var c Commendation
		if err := rows.Scan(&c.ID, &c.AwardedOn, &c.Title, &c.Issuer, &c.Note, &c.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Certificate is a numbered service certificate (志愿服务记录证明): what the
// records showed when it was issued. "谁组织谁记录，谁记录谁证明".
type Certificate struct {
	ID             int64    `json:"id"`
	Number         string   `json:"number"`
	VolunteerID    int64    `json:"volunteer_id"`
	VolunteerNo    string   `json:"volunteer_no"`
	VolunteerName  string   `json:"volunteer_name"`
	Gender         string   `json:"gender"`
	SiteID         int64    `json:"site_id"`
	IDType         string   `json:"id_type"`
	IDTypeLabel    string   `json:"id_type_label"`
	IDNumberMasked string   `json:"id_number_masked"`
	IDNumber       string   `json:"id_number,omitempty"` // only when revealed
	IssuedOn       app.Date `json:"issued_on"`
	Issuer         string   `json:"issuer"`
	PeriodFrom     app.Date `json:"period_from"`
	PeriodTo       app.Date `json:"period_to"`
	Minutes        Minutes  `json:"minutes"`
	Services       int      `json:"services"`
	Content        string   `json:"content"`
}

// CertificateInput asks for a certificate over a period (blank: all records).
type CertificateInput struct {
	PeriodFrom app.Date `json:"period_from" doc:"服务期间起，留空为第一条记录的日期"`
	PeriodTo   app.Date `json:"period_to" doc:"服务期间止，留空为最近一条记录的日期"`
	// Content describes the service; blank builds it from the records.
	Content string `json:"content" doc:"服务内容，留空则按服务记录生成"`
}

// certificatePrefix builds the certificate word of an organization (绿叶证字)
// from its short name: the "short_name" of its settings when set, else
// the first two characters of its name after any leading province, city
// or district (东莞市绿叶社会工作服务中心 → 绿叶).
func certificatePrefix(orgName, settings string) string {
	var st struct {
		ShortName string `json:"short_name"`
	}
	if json.Unmarshal([]byte(settings), &st) == nil && strings.TrimSpace(st.ShortName) != "" {
		return strings.TrimSpace(st.ShortName) + "证字"
	}
	r := []rune(strings.TrimSpace(orgName))
	for {
		cut := -1
		for i := 1; i < len(r)-2 && i < 6; i++ {
			if strings.ContainsRune("省市区县", r[i]) {
				cut = i
				break
			}
		}
		if cut < 0 {
			break
		}
		r = r[cut+1:]
	}
	if len(r) > 2 {
		r = r[:2]
	}
	return string(r) + "证字"
}

// IssueCertificate numbers and stores a service certificate for a
// volunteer's recorded hours. Numbers run gap-free per organization and
// year: the counter row is taken in the same transaction.
func (s *Service) IssueCertificate(ctx context.Context, p *authz.Principal, volunteerID int64, in CertificateInput) (int64, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		vol, err := s.load(ctx, tx, p, PermWrite, volunteerID)
		if err != nil {
			return err
		}
		var v app.Validation
		today := s.today()
		if !in.PeriodTo.IsZero() && in.PeriodTo.After(today) {
			v.Add("period_to", "截止日期不能晚于今天")
		}
		if !in.PeriodFrom.IsZero() && !in.PeriodTo.IsZero() && in.PeriodFrom.After(in.PeriodTo) {
			v.Add("period_to", "截止日期不能早于起始日期")
		}
		in.Content = clean(in.Content)
		v.MaxLen("content", in.Content, "服务内容", 500)
		if err := v.Err(); err != nil {
			return err
		}
		var args app.Args
		cond := "org_id = " + args.Add(p.OrgID) + " AND volunteer_id = " + args.Add(volunteerID)
		if !in.PeriodFrom.IsZero() {
			cond += " AND service_date >= " + args.Add(in.PeriodFrom)
		}
		if !in.PeriodTo.IsZero() {
			cond += " AND service_date <= " + args.Add(in.PeriodTo)
		}
		var minutes Minutes
		var n int
		var first, last app.Date
		if err := tx.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT), COUNT(*), MIN(service_date), MAX(service_date)
			FROM volunteer_services WHERE `+cond, args...).Scan(&minutes, &n, &first, &last); err != nil {
			return fmt.Errorf("volunteers: certificate hours: %w", err)
		}
		if n == 0 {
			return invalidField("period_from", "该志愿者在所选期间没有服务记录，不能出具证明")
		}
		if in.PeriodFrom.IsZero() {
			in.PeriodFrom = first
		}
		if in.PeriodTo.IsZero() {
			in.PeriodTo = last
		}
		if in.Content == "" {
			if in.Content, err = activitySummary(ctx, tx, cond, args, n); err != nil {
				return err
			}
		}
		var orgName, settings string
		if err := tx.QueryRowContext(ctx, `SELECT name, settings FROM organizations WHERE id = $1`, p.OrgID).Scan(&orgName, &settings); err != nil {
			return err
		}
		year := today.Year()
		seq, err := nextNumber(ctx, tx, p.OrgID, "certificate", year)
		if err != nil {
			return err
		}
		number := fmt.Sprintf("%s%d第%04d号", certificatePrefix(orgName, settings), year, seq)
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteer_certificates (org_id, volunteer_id, year, seq, number,
			issued_on, issuer, period_from, period_to, minutes, services, content, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			p.OrgID, volunteerID, year, seq, number, today, orgName, in.PeriodFrom, in.PeriodTo, minutes, n, in.Content,
			p.UserID, s.Now().UTC()).Scan(&id); err != nil {
			return fmt.Errorf("volunteers: insert certificate: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "volunteer.certificate", "volunteer", volunteerID,
			fmt.Sprintf("%s %s %s小时", vol.No, number, minutes))
	})
	return id, err
}

// activitySummary describes the records matched by cond: the activities
// by how often the volunteer served in them.
func activitySummary(ctx context.Context, tx *sql.Tx, cond string, args app.Args, n int) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT activity_name, COUNT(*) FROM volunteer_services WHERE `+cond+`
		GROUP BY activity_name ORDER BY COUNT(*) DESC, activity_name LIMIT 4`, args...)
	if err != nil {
		return "", fmt.Errorf("volunteers: certificate content: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		var c int
		if err := rows.Scan(&name, &c); err != nil {
			return "", err
		}
		names = append(names, "「"+name+"」")
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	more := ""
	if len(names) > 3 {
		names, more = names[:3], "等"
	}
	return fmt.Sprintf("参加%s%s志愿服务活动，共%d次", strings.Join(names, ""), more, n), nil
}

const sqlCertificate = `SELECT c.id, c.number, c.volunteer_id, v.volunteer_no, v.name, v.gender, v.site_id, v.id_type,
	v.id_number_mask, v.id_number_enc, c.issued_on, c.issuer, c.period_from, c.period_to, c.minutes, c.services, c.content
	FROM volunteer_certificates c JOIN volunteers v ON v.org_id = c.org_id AND v.id = c.volunteer_id
	WHERE c.org_id = $1 AND `

func scanCertificate(sc interface{ Scan(...any) error }, enc *string) (Certificate, error) {
	var c Certificate
	err := sc.Scan(&c.ID, &c.Number, &c.VolunteerID, &c.VolunteerNo, &c.VolunteerName, &c.Gender, &c.SiteID, &c.IDType,
		&c.IDNumberMasked, enc, &c.IssuedOn, &c.Issuer, &c.PeriodFrom, &c.PeriodTo, &c.Minutes, &c.Services, &c.Content)
	c.IDTypeLabel = Label(IDTypes, c.IDType)
	return c, err
}

// Certificate returns a certificate for printing. With full, a holder of
// PermReveal gets the full ID number and the view is audited; others get
// it masked.
func (s *Service) Certificate(ctx context.Context, p *authz.Principal, id int64, full bool) (*Certificate, error) {
	var enc string
	c, err := scanCertificate(s.DB.R.QueryRowContext(ctx, sqlCertificate+"c.id = $2", p.OrgID, id), &enc)
	if err != nil {
		return nil, notFound(err, "服务证明")
	}
	if !p.Scope(PermRead).Allows(siteObj(p.OrgID, c.SiteID)) {
		return nil, app.ErrNotFound("服务证明")
	}
	if !full || enc == "" {
		return &c, nil
	}
	if !p.Scope(PermReveal).Allows(siteObj(p.OrgID, c.SiteID)) {
		return nil, app.ErrForbidden()
	}
	if c.IDNumber, err = s.Cipher.Decrypt(enc); err != nil {
		return nil, fmt.Errorf("volunteers: decrypt id number: %w", err)
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		return s.writeAudit(ctx, tx, p, "volunteer.reveal", "volunteer", c.VolunteerID, c.VolunteerNo+" 打印服务证明 "+c.Number+"（完整证件号码）")
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Certificates lists a volunteer's certificates, newest first.
func (s *Service) Certificates(ctx context.Context, p *authz.Principal, volunteerID int64) ([]Certificate, error) {
	if _, err := s.load(ctx, s.DB.R, p, PermRead, volunteerID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, sqlCertificate+"c.volunteer_id = $2 ORDER BY c.year DESC, c.seq DESC", p.OrgID, volunteerID)
	if err != nil {
		return nil, fmt.Errorf("volunteers: certificates: %w", err)
	}
	defer rows.Close()
	var out []Certificate
	for rows.Next() {
		var enc string
		c, err := scanCertificate(rows, &enc)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
