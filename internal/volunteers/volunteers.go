package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// Identity document types (证件类型) of the national volunteer record rules.
const (
	IDResident = "resident_id"
	IDHKMacao  = "hk_macao"
	IDTaiwan   = "taiwan"
	IDPassport = "passport"
	IDForeign  = "foreign_pr"
	IDOther    = "other"
)

// Choice is a code with its Chinese label.
type Choice struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// IDTypes lists the identity document types in display order.
var IDTypes = []Choice{
	{IDResident, "居民身份证"},
	{IDHKMacao, "港澳居民来往内地通行证"},
	{IDTaiwan, "台湾居民来往大陆通行证"},
	{IDPassport, "护照"},
	{IDForeign, "外国人永久居留身份证"},
	{IDOther, "其他"},
}

// Statuses of a volunteer.
var Statuses = []Choice{{"active", "在册"}, {"inactive", "退出"}}

// Label returns the Chinese label of code among choices.
func Label(choices []Choice, code string) string {
	for _, c := range choices {
		if c.Code == code {
			return c.Label
		}
	}
	return code
}

func codes(choices []Choice) []string {
	out := make([]string, len(choices))
	for i, c := range choices {
		out[i] = c.Code
	}
	return out
}

// Volunteer is a registered volunteer. ID number, phone and address appear
// only masked; Reveal returns them in full.
type Volunteer struct {
	ID             int64      `json:"id"`
	No             string     `json:"volunteer_no"`
	SiteID         int64      `json:"site_id"`
	SiteName       string     `json:"site_name"`
	Name           string     `json:"name"`
	Gender         string     `json:"gender"`
	BirthMonth     string     `json:"birth_month"`
	IDType         string     `json:"id_type"`
	IDNumberMasked string     `json:"id_number_masked"`
	PhoneMasked    string     `json:"phone_masked"`
	Skills         string     `json:"skills"`
	IvolID         string     `json:"ivol_id"`
	JoinedOn       app.Date   `json:"joined_on"`
	Status         string     `json:"status"`
	Consent        bool       `json:"consent"`
	ConsentOn      app.Date   `json:"consent_on"`
	AddressMasked  string     `json:"address_masked"`
	Employer       string     `json:"employer"`
	Education      string     `json:"education"`
	Note           string     `json:"note"`
	Minutes        Minutes    `json:"service_minutes"`
	Stars          int        `json:"stars"`
	RegExportedAt  *time.Time `json:"registration_exported_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	Version        int        `json:"version"`
	Teams          []TeamRef  `json:"teams,omitempty"`
}

// TeamRef names a team a volunteer belongs to.
type TeamRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Missing lists the national registration fields the volunteer lacks and
// whether the i志愿 id is missing, in Chinese.
func (v *Volunteer) Missing() []string {
	var out []string
	if v.IvolID == "" {
		out = append(out, "i志愿编号")
	}
	if v.Gender == "" {
		out = append(out, "性别")
	}
	if v.BirthMonth == "" {
		out = append(out, "出生年月")
	}
	if v.IDNumberMasked == "" {
		out = append(out, "证件号码")
	}
	if v.PhoneMasked == "" {
		out = append(out, "联系方式")
	}
	if v.Skills == "" {
		out = append(out, "服务技能")
	}
	return out
}

// Revealed is a volunteer's personal data in full.
type Revealed struct {
	IDType   string `json:"id_type"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Address  string `json:"address"`
}

// VolunteerInput registers or edits a volunteer. On edit, an empty
// id_number, phone or address keeps the stored value.
type VolunteerInput struct {
	SiteID     int64    `json:"site_id" doc:"所属服务点 id"`
	Name       string   `json:"name" doc:"姓名"`
	Gender     string   `json:"gender" doc:"性别：男、女；填写居民身份证时可留空"`
	BirthMonth string   `json:"birth_month" doc:"出生年月，如 1990-05；填写居民身份证时可留空"`
	IDType     string   `json:"id_type" doc:"证件类型：resident_id（居民身份证）、hk_macao、taiwan、passport、foreign_pr、other"`
	IDNumber   string   `json:"id_number" doc:"证件号码；修改时留空表示不变"`
	Phone      string   `json:"phone" doc:"手机号码；修改时留空表示不变"`
	Skills     string   `json:"skills" doc:"服务技能"`
	IvolID     string   `json:"ivol_id" doc:"i志愿编号"`
	JoinedOn   app.Date `json:"joined_on" doc:"登记日期，默认今天"`
	Status     string   `json:"status" doc:"状态：active（在册）、inactive（退出）"`
	Consent    bool     `json:"consent" doc:"志愿者是否同意登记其他个人信息"`
	ConsentOn  app.Date `json:"consent_on" doc:"同意日期"`
	Address    string   `json:"address" doc:"住址（须经同意；修改时留空表示不变）"`
	Employer   string   `json:"employer" doc:"工作单位或学校（须经同意）"`
	Education  string   `json:"education" doc:"学历（须经同意）"`
	Note       string   `json:"note" doc:"备注"`
	// Version is the version the editor saw; 0 skips the check.
	Version int `json:"version" doc:"修改时读到的版本号，用于防止覆盖他人的修改；0 表示不检查"`
}

var (
	birthMonthRE = regexp.MustCompile(`^(\d{4})-(\d{1,2})$`)
	ivolRE       = regexp.MustCompile(`^[0-9A-Za-z-]{1,40}$`)
)

// normalize trims the input and validates it; creating says whether the
// record is new (an edit may leave the personal fields blank to keep them).
func (in *VolunteerInput) normalize(v *app.Validation, now time.Time, creating bool) {
	today := app.Today(now)
	in.Name = clean(in.Name)
	in.Gender = clean(in.Gender)
	in.BirthMonth = strings.NewReplacer("/", "-", ".", "-").Replace(clean(in.BirthMonth))
	in.IDType = clean(in.IDType)
	in.IDNumber = pii.NormalizeIDNumber(in.IDNumber)
	in.Phone = clean(in.Phone)
	in.Skills = clean(in.Skills)
	in.IvolID = clean(in.IvolID)
	in.Status = clean(in.Status)
	in.Address = clean(in.Address)
	in.Employer = clean(in.Employer)
	in.Education = clean(in.Education)
	in.Note = clean(in.Note)
	if v.Required("name", in.Name, "姓名") {
		v.MaxLen("name", in.Name, "姓名", 40)
	}
	if in.Gender != "" {
		v.OneOf("gender", in.Gender, "性别", "男", "女")
	}
	if in.BirthMonth != "" {
		m := birthMonthRE.FindStringSubmatch(in.BirthMonth)
		if m == nil {
			v.Add("birth_month", "出生年月格式应为 1990-05")
		} else {
			t, err := time.Parse("2006-1", m[1]+"-"+m[2])
			if err != nil || t.Year() < 1900 || t.After(today.Time()) {
				v.Add("birth_month", "出生年月无效")
			} else {
				in.BirthMonth = t.Format("2006-01")
			}
		}
	}
	if in.IDNumber != "" && in.IDType == "" {
		in.IDType = IDResident
	}
	if in.IDType != "" {
		v.OneOf("id_type", in.IDType, "证件类型", codes(IDTypes)...)
	}
	if in.IDNumber != "" {
		if in.IDType == IDResident {
			if err := pii.ValidateIDNumberAt(in.IDNumber, now); err != nil {
				v.Add("id_number", err.Error())
			} else {
				birth, _ := pii.BirthDateFromID(in.IDNumber)
				bm := birth.Format("2006-01")
				g := pii.GenderFromID(in.IDNumber)
				switch {
				case in.BirthMonth == "":
					in.BirthMonth = bm
				case in.BirthMonth != bm && !v.Has("birth_month"):
					v.Add("birth_month", "出生年月与身份证号码不一致（应为 "+bm+"）")
				}
				switch {
				case in.Gender == "":
					in.Gender = g
				case in.Gender != g && !v.Has("gender"):
					v.Add("gender", "性别与身份证号码不一致")
				}
			}
		} else {
			in.IDNumber = strings.ToUpper(in.IDNumber)
			v.MaxLen("id_number", in.IDNumber, "证件号码", 30)
		}
	}
	if in.Phone != "" {
		if err := pii.ValidateMobile(in.Phone); err != nil {
			v.Add("phone", err.Error())
		} else {
			in.Phone = pii.NormalizePhone(in.Phone)
		}
	}
	if creating && in.IDNumber == "" && in.Phone == "" {
		v.Add("phone", "手机号码和证件号码至少填写一项")
	}
	v.MaxLen("skills", in.Skills, "服务技能", 200)
	if in.IvolID != "" && !ivolRE.MatchString(in.IvolID) {
		v.Add("ivol_id", "i志愿编号只能包含字母、数字和横线，最多40位")
	}
	if in.JoinedOn.IsZero() {
		in.JoinedOn = today
	} else if in.JoinedOn.After(today) {
		v.Add("joined_on", "登记日期不能晚于今天")
	}
	if in.Status == "" {
		in.Status = "active"
	}
	v.OneOf("status", in.Status, "状态", codes(Statuses)...)
	if in.Consent {
		if in.ConsentOn.IsZero() {
			v.Add("consent_on", "请填写志愿者同意的日期")
		} else if in.ConsentOn.After(today) {
			v.Add("consent_on", "同意日期不能晚于今天")
		}
		v.MaxLen("address", in.Address, "住址", 100)
		v.MaxLen("employer", in.Employer, "工作单位或学校", 60)
		v.MaxLen("education", in.Education, "学历", 20)
	} else {
		in.ConsentOn = app.Date{}
		for _, f := range []struct{ name, val, label string }{
			{"address", in.Address, "住址"}, {"employer", in.Employer, "工作单位或学校"}, {"education", in.Education, "学历"}} {
			if f.val != "" {
				v.Add(f.name, "须先取得志愿者同意才能登记"+f.label)
			}
		}
	}
	v.MaxLen("note", in.Note, "备注", 500)
}

// Blind index kinds of the volunteer area.
const (
	idxIDNumber = "volunteer.id_number"
	idxPhone    = "volunteer.phone"
)

const sqlVolunteerCols = `v.id, v.volunteer_no, v.site_id, s.name, v.name, v.gender, v.birth_month, v.id_type,
	v.id_number_mask, v.phone_mask, v.skills, v.ivol_id, v.joined_on, v.status, v.consent, v.consent_on,
	v.address_mask, v.employer, v.education, v.note, v.reg_exported_at, v.created_at, v.updated_at, v.version,
	CAST(COALESCE((SELECT SUM(vs.minutes) FROM volunteer_services vs WHERE vs.org_id = v.org_id AND vs.volunteer_id = v.id), 0) AS BIGINT) AS total_minutes`

const sqlVolunteerFrom = ` FROM volunteers v JOIN sites s ON s.org_id = v.org_id AND s.id = v.site_id`

func scanVolunteer(sc interface{ Scan(...any) error }) (Volunteer, error) {
	var v Volunteer
	var exp sql.NullTime
	err := sc.Scan(&v.ID, &v.No, &v.SiteID, &v.SiteName, &v.Name, &v.Gender, &v.BirthMonth, &v.IDType,
		&v.IDNumberMasked, &v.PhoneMasked, &v.Skills, &v.IvolID, &v.JoinedOn, &v.Status, &v.Consent, &v.ConsentOn,
		&v.AddressMasked, &v.Employer, &v.Education, &v.Note, &exp, &v.CreatedAt, &v.UpdatedAt, &v.Version, &v.Minutes)
	if exp.Valid {
		t := exp.Time
		v.RegExportedAt = &t
	}
	return v, err
}

// Create registers a volunteer and returns it with its new volunteer number.
func (s *Service) Create(ctx context.Context, p *authz.Principal, in VolunteerInput) (*Volunteer, error) {
	if !p.Can(PermWrite) {
		return nil, app.ErrForbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.create(ctx, tx, p, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

const sqlInsertVolunteer = `INSERT INTO volunteers (org_id, volunteer_no, site_id, name, gender, birth_month, id_type,
	id_number_enc, id_number_idx, id_number_mask, phone_enc, phone_idx, phone_mask, skills, ivol_id, joined_on, status,
	consent, consent_on, address_enc, address_mask, employer, education, note, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $25)
	RETURNING id`

// create inserts a volunteer inside tx (also used by the import).
func (s *Service) create(ctx context.Context, tx *sql.Tx, p *authz.Principal, in VolunteerInput) (int64, error) {
	var v app.Validation
	in.normalize(&v, s.Now(), true)
	if _, err := checkSite(ctx, tx, p, PermWrite, in.SiteID, "site_id", &v); err != nil {
		return 0, err
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	enc, err := s.sealPersonal(in)
	if err != nil {
		return 0, err
	}
	if err := s.checkDuplicates(ctx, tx, p.OrgID, 0, enc, in.IvolID); err != nil {
		return 0, err
	}
	year := s.today().Year()
	n, err := nextNumber(ctx, tx, p.OrgID, "volunteer", year)
	if err != nil {
		return 0, err
	}
	no := fmt.Sprintf("V%d-%04d", year, n)
	now := s.Now().UTC()
	var id int64
	err = tx.QueryRowContext(ctx, sqlInsertVolunteer, p.OrgID, no, in.SiteID, in.Name, in.Gender, in.BirthMonth, in.IDType,
		enc.idEnc, enc.idIdx, enc.idMask, enc.phoneEnc, enc.phoneIdx, enc.phoneMask, in.Skills, in.IvolID, in.JoinedOn,
		in.Status, in.Consent, in.ConsentOn, enc.addrEnc, enc.addrMask, in.Employer, in.Education, in.Note, now).Scan(&id)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return 0, app.Errorf(app.EConflict, "证件号码、手机号码或i志愿编号与已登记的志愿者重复")
		}
		return 0, fmt.Errorf("volunteers: insert: %w", err)
	}
	return id, s.writeAudit(ctx, tx, p, "volunteer.create", "volunteer", id, no)
}

// sealed is the encrypted, indexed and masked form of the personal fields.
type sealed struct {
	idEnc, idIdx, idMask          string
	phoneEnc, phoneIdx, phoneMask string
	addrEnc, addrMask             string
}

func (s *Service) sealPersonal(in VolunteerInput) (sealed, error) {
	var out sealed
	var err error
	if in.IDNumber != "" {
		if out.idEnc, err = s.Cipher.Encrypt(in.IDNumber); err != nil {
			return out, err
		}
		out.idIdx = s.Cipher.BlindIndex(idxIDNumber, in.IDNumber)
		out.idMask = pii.MaskIDNumber(in.IDNumber)
	}
	if in.Phone != "" {
		if out.phoneEnc, err = s.Cipher.Encrypt(in.Phone); err != nil {
			return out, err
		}
		out.phoneIdx = s.Cipher.BlindIndex(idxPhone, in.Phone)
		out.phoneMask = pii.MaskPhone(in.Phone)
	}
	if in.Address != "" {
		if out.addrEnc, err = s.Cipher.Encrypt(in.Address); err != nil {
			return out, err
		}
		out.addrMask = pii.MaskAddress(in.Address)
	}
	return out, nil
}

// checkDuplicates refuses an ID number, phone or i志愿 id another volunteer
// of the organization already has, naming that volunteer's number.
func (s *Service) checkDuplicates(ctx context.Context, q db.Querier, orgID, selfID int64, enc sealed, ivolID string) error {
	check := func(col, val, field, what string) error {
		if val == "" {
			return nil
		}
		var no string
		err := q.QueryRowContext(ctx, `SELECT volunteer_no FROM volunteers WHERE org_id = $1 AND `+col+` = $2 AND id <> $3`,
			orgID, val, selfID).Scan(&no)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return conflictField(field, "%s与已登记的志愿者 %s 重复", what, no)
	}
	if err := check("id_number_idx", enc.idIdx, "id_number", "证件号码"); err != nil {
		return err
	}
	if err := check("phone_idx", enc.phoneIdx, "phone", "手机号码"); err != nil {
		return err
	}
	return check("ivol_id", ivolID, "ivol_id", "i志愿编号")
}

// Get returns one volunteer in p's read scope with its teams.
func (s *Service) Get(ctx context.Context, p *authz.Principal, id int64) (*Volunteer, error) {
	v, err := s.load(ctx, s.DB.R, p, PermRead, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT t.id, t.name FROM volunteer_team_members m
		JOIN volunteer_teams t ON t.org_id = m.org_id AND t.id = m.team_id
		WHERE m.org_id = $1 AND m.volunteer_id = $2 ORDER BY t.name, t.id`, p.OrgID, id)
	if err != nil {
		return nil, fmt.Errorf("volunteers: teams of volunteer: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TeamRef
		if err := rows.Scan(&t.ID, &t.Name); err != nil {
			return nil, err
		}
		v.Teams = append(v.Teams, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	th, err := s.Thresholds(ctx, p.OrgID, s.today())
	if err != nil {
		return nil, err
	}
	v.Stars = StarsFor(v.Minutes, th)
	return v, nil
}

// load reads a volunteer and checks p's scope under perm; a volunteer
// outside it is not found.
func (s *Service) load(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*Volunteer, error) {
	row := q.QueryRowContext(ctx, `SELECT `+sqlVolunteerCols+sqlVolunteerFrom+` WHERE v.org_id = $1 AND v.id = $2`, p.OrgID, id)
	v, err := scanVolunteer(row)
	if err != nil {
		return nil, notFound(err, "志愿者")
	}
	if !p.Scope(perm).Allows(siteObj(p.OrgID, v.SiteID)) {
		return nil, app.ErrNotFound("志愿者")
	}
	return &v, nil
}

const sqlUpdateVolunteer = `UPDATE volunteers SET site_id = $3, name = $4, gender = $5, birth_month = $6, id_type = $7,
	id_number_enc = $8, id_number_idx = $9, id_number_mask = $10, phone_enc = $11, phone_idx = $12, phone_mask = $13,
	skills = $14, ivol_id = $15, joined_on = $16, status = $17, consent = $18, consent_on = $19, address_enc = $20,
	address_mask = $21, employer = $22, education = $23, note = $24, updated_at = $25, version = version + 1
	WHERE org_id = $1 AND id = $2 AND version = $26`

// Update edits a volunteer. Blank ID number, phone or address keep the
// stored ones; withdrawing consent erases the optional fields.
func (s *Service) Update(ctx context.Context, p *authz.Principal, id int64, in VolunteerInput) (*Volunteer, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.load(ctx, tx, p, PermWrite, id)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != cur.Version {
			return app.Errorf(app.EConflict, "该志愿者信息已被他人修改，请刷新后重新编辑")
		}
		var v app.Validation
		if strings.TrimSpace(in.IDNumber) == "" {
			in.IDType = cur.IDType
		}
		in.normalize(&v, s.Now(), false)
		if in.SiteID != cur.SiteID {
			if _, err := checkSite(ctx, tx, p, PermWrite, in.SiteID, "site_id", &v); err != nil {
				return err
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		enc, err := s.sealPersonal(in)
		if err != nil {
			return err
		}
		var old sealed
		if err := tx.QueryRowContext(ctx, `SELECT id_number_enc, id_number_idx, id_number_mask, phone_enc, phone_idx, phone_mask,
			address_enc, address_mask FROM volunteers WHERE org_id = $1 AND id = $2`, p.OrgID, id).Scan(&old.idEnc, &old.idIdx,
			&old.idMask, &old.phoneEnc, &old.phoneIdx, &old.phoneMask, &old.addrEnc, &old.addrMask); err != nil {
			return err
		}
		var changed []string
		if in.IDNumber == "" {
			enc.idEnc, enc.idIdx, enc.idMask = old.idEnc, old.idIdx, old.idMask
		} else if enc.idIdx != old.idIdx {
			changed = append(changed, "证件号码")
		}
		if in.Phone == "" {
			enc.phoneEnc, enc.phoneIdx, enc.phoneMask = old.phoneEnc, old.phoneIdx, old.phoneMask
		} else if enc.phoneIdx != old.phoneIdx {
			changed = append(changed, "手机号码")
		}
		if !in.Consent {
			if old.addrEnc != "" {
				changed = append(changed, "住址（撤回同意，已删除）")
			}
			enc.addrEnc, enc.addrMask = "", ""
		} else if in.Address == "" {
			enc.addrEnc, enc.addrMask = old.addrEnc, old.addrMask
		} else {
			changed = append(changed, "住址")
		}
		if enc.idEnc == "" {
			in.IDType = ""
		}
		if err := s.checkDuplicates(ctx, tx, p.OrgID, id, enc, in.IvolID); err != nil {
			return err
		}
		// The version read above guards the write: on PostgreSQL another
		// edit may commit between that read and this update.
		res, err := tx.ExecContext(ctx, sqlUpdateVolunteer, p.OrgID, id, in.SiteID, in.Name, in.Gender, in.BirthMonth, in.IDType,
			enc.idEnc, enc.idIdx, enc.idMask, enc.phoneEnc, enc.phoneIdx, enc.phoneMask, in.Skills, in.IvolID, in.JoinedOn,
			in.Status, in.Consent, in.ConsentOn, enc.addrEnc, enc.addrMask, in.Employer, in.Education, in.Note, s.Now().UTC(),
			cur.Version)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return app.Errorf(app.EConflict, "证件号码、手机号码或i志愿编号与已登记的志愿者重复")
			}
			return fmt.Errorf("volunteers: update: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("volunteers: update: %w", err)
		} else if n != 1 {
			return app.Errorf(app.EConflict, "该志愿者信息已被他人修改，请刷新后重新编辑")
		}
		detail := cur.No
		if len(changed) > 0 {
			detail += " 变更：" + strings.Join(changed, "、")
		}
		return s.writeAudit(ctx, tx, p, "volunteer.update", "volunteer", id, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// Reveal returns a volunteer's ID number, phone and address in full for a
// holder of PermReveal, and audits it.
func (s *Service) Reveal(ctx context.Context, p *authz.Principal, id int64) (*Revealed, error) {
	var out Revealed
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.load(ctx, tx, p, PermReveal, id)
		if err != nil {
			return err
		}
		var idEnc, phoneEnc, addrEnc string
		if err := tx.QueryRowContext(ctx, `SELECT id_type, id_number_enc, phone_enc, address_enc FROM volunteers
			WHERE org_id = $1 AND id = $2`, p.OrgID, id).Scan(&out.IDType, &idEnc, &phoneEnc, &addrEnc); err != nil {
			return err
		}
		if out.IDNumber, err = s.Cipher.Decrypt(idEnc); err != nil {
			return fmt.Errorf("volunteers: decrypt id number: %w", err)
		}
		if out.Phone, err = s.Cipher.Decrypt(phoneEnc); err != nil {
			return fmt.Errorf("volunteers: decrypt phone: %w", err)
		}
		if out.Address, err = s.Cipher.Decrypt(addrEnc); err != nil {
			return fmt.Errorf("volunteers: decrypt address: %w", err)
		}
		return s.writeAudit(ctx, tx, p, "volunteer.reveal", "volunteer", id, v.No+" 查看完整证件号码、手机号码和住址")
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Filter selects volunteers for the list.
type Filter struct {
	app.ListQuery
	SiteID     int64
	Status     string
	TeamID     int64
	Registered string // "yes": has an i志愿 id; "no": has none
	MinStars   int
}

// VolunteerSort is the list's sort whitelist.
var volunteerSort = map[string]string{
	"no":     "v.volunteer_no",
	"name":   "v.name",
	"site":   "s.name",
	"joined": "v.joined_on",
	"hours":  "total_minutes",
}

// List returns the volunteers in p's scope matching f and the total.
func (s *Service) List(ctx context.Context, p *authz.Principal, f Filter) ([]Volunteer, int, error) {
	return app.Collect(s.Rows(ctx, p, f))
}

// Rows is List read from the database cursor one volunteer at a time, for
// exports of any size.
func (s *Service) Rows(ctx context.Context, p *authz.Principal, f Filter) app.Rows[Volunteer] {
	return func(start func(int) error, yield func(Volunteer) error) error {
		return s.rows(ctx, p, f, start, yield)
	}
}

func (s *Service) rows(ctx context.Context, p *authz.Principal, f Filter, start func(int) error, yield func(Volunteer) error) error {
	th, err := s.Thresholds(ctx, p.OrgID, s.today())
	if err != nil {
		return err
	}
	var args app.Args
	where := []string{p.Scope(PermRead).SQL(authz.Cols{Org: "v.org_id", Site: "v.site_id"}, args.Add)}
	if f.SiteID != 0 {
		where = append(where, "v.site_id = "+args.Add(f.SiteID))
	}
	if f.Status != "" {
		where = append(where, "v.status = "+args.Add(f.Status))
	}
	if f.TeamID != 0 {
		where = append(where, "EXISTS (SELECT 1 FROM volunteer_team_members m WHERE m.org_id = v.org_id AND m.volunteer_id = v.id AND m.team_id = "+args.Add(f.TeamID)+")")
	}
	switch f.Registered {
	case "yes":
		where = append(where, "v.ivol_id <> ''")
	case "no":
		where = append(where, "v.ivol_id = ''")
	}
	if f.MinStars > 0 && f.MinStars <= len(th) {
		where = append(where, `COALESCE((SELECT SUM(vs.minutes) FROM volunteer_services vs WHERE vs.org_id = v.org_id
			AND vs.volunteer_id = v.id), 0) >= `+args.Add(th[f.MinStars-1].MinHours*60))
	}
	if f.Q != "" {
		where = append(where, s.searchCond(f.Q, &args))
	}
	w := " WHERE " + strings.Join(where, " AND ")
	if start != nil {
		var total int
		if err := s.DB.R.QueryRowContext(ctx, "SELECT COUNT(*)"+sqlVolunteerFrom+w, args...).Scan(&total); err != nil {
			return fmt.Errorf("volunteers: count: %w", err)
		}
		if err := start(total); err != nil {
			return err
		}
	}
	q := "SELECT " + sqlVolunteerCols + sqlVolunteerFrom + w + f.OrderBy(volunteerSort, "no", "v.id") + f.LimitOffset()
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("volunteers: list: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanVolunteer(rows)
		if err != nil {
			return err
		}
		v.Stars = StarsFor(v.Minutes, th)
		if err := yield(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// searchCond matches q against name, volunteer number and i志愿 id, and an
// exact phone or ID number through the blind indexes.
func (s *Service) searchCond(q string, args *app.Args) string {
	like := args.Add(db.Like(q))
	or := []string{"v.name LIKE " + like + ` ESCAPE '\'`, "v.volunteer_no LIKE " + like + ` ESCAPE '\'`,
		"v.ivol_id LIKE " + like + ` ESCAPE '\'`}
	if pii.ValidateMobile(q) == nil {
		or = append(or, "v.phone_idx = "+args.Add(s.Cipher.BlindIndex(idxPhone, pii.NormalizePhone(q))))
	}
	if n := pii.NormalizeIDNumber(q); len(n) >= 6 {
		or = append(or, "v.id_number_idx = "+args.Add(s.Cipher.BlindIndex(idxIDNumber, strings.ToUpper(n))))
	}
	return "(" + strings.Join(or, " OR ") + ")"
}
