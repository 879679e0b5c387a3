package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// ClientInput registers or changes a client. On change, the encrypted
// fields (IDNumber, Phone, Phone2, Address, GuardianPhone) keep their stored
// values when left blank; name them in Clear to remove them.
type ClientInput struct {
	Name             string   `json:"name" doc:"姓名"`
	Gender           string   `json:"gender" doc:"性别：男、女；留空时按身份证号码"`
	BirthDate        app.Date `json:"birth_date" doc:"出生日期；留空时按身份证号码"`
	IDNumber         string   `json:"id_number" doc:"18位居民身份证号码；修改时留空则保持不变"`
	Phone            string   `json:"phone" doc:"电话（手机或带区号的固定电话）；修改时留空则保持不变"`
	Phone2           string   `json:"phone2" doc:"备用电话；修改时留空则保持不变"`
	Address          string   `json:"address" doc:"地址；修改时留空则保持不变"`
	TownID           int64    `json:"town_id" doc:"镇街编号"`
	Community        string   `json:"community" doc:"社区（村）"`
	CategoryIDs      []int64  `json:"category_ids" doc:"类别编号（可多选）"`
	GuardianName     string   `json:"guardian_name" doc:"监护人姓名（未满18岁必填）"`
	GuardianRelation string   `json:"guardian_relation" doc:"与监护人的关系：father、mother、grandparent、sibling、relative、committee、other"`
	GuardianPhone    string   `json:"guardian_phone" doc:"监护人电话（未满18岁必填）"`
	WorkerID         int64    `json:"worker_id" doc:"负责社工（同工编号）；默认为本人"`
	SiteID           int64    `json:"site_id" doc:"服务点编号；默认为负责社工目前任职的服务点"`
	Status           string   `json:"status" doc:"状态：active、inactive"`
	Note             string   `json:"note" doc:"备注"`
	Version          int64    `json:"version" doc:"版本号（修改时必填，取自读取结果）"`
	// ConfirmDuplicate confirms that a client with the same name and phone
	// is a different person.
	ConfirmDuplicate bool `json:"confirm_duplicate" doc:"确认与同名同电话的服务对象不是同一人"`
	// phone, phone2, address, guardian_phone.
	Clear []string `json:"clear" doc:"要清除的已登记信息：id_number、phone、phone2、address、guardian_phone"`
}

// ClearableFields are the encrypted fields a change may remove.
var ClearableFields = []string{"id_number", "phone", "phone2", "address", "guardian_phone"}

// DuplicateMatch is an existing client that may be the same person, shown
// masked.
type DuplicateMatch struct {
	ID          int64  `json:"id"`
	Code        string `json:"code"`
	NameMasked  string `json:"name_masked"`
	PhoneMasked string `json:"phone_masked"`
}

// DuplicateError asks the user to confirm that a client with the same name
// and phone as existing ones is a different person.
type DuplicateError struct {
	Err     *app.Error
	Matches []DuplicateMatch
}

func (e *DuplicateError) Error() string { return e.Err.Message }
func (e *DuplicateError) Unwrap() error { return e.Err }

// clientData is a validated client in plain text, ready to encrypt.
type clientData struct {
	Name, Gender                     string
	BirthDate                        app.Date
	IDNumber, Phone, Phone2, Address string
	TownID                           int64
	Community                        string
	CategoryIDs                      []int64
	GuardianName, GuardianRelation   string
	GuardianPhone                    string
	WorkerID, SiteID                 int64
	Status, Note                     string
}

func (in *ClientInput) normalize() {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&in.Name, &in.Gender, &in.IDNumber, &in.Phone, &in.Phone2, &in.Address,
		&in.Community, &in.GuardianName, &in.GuardianRelation, &in.GuardianPhone, &in.Status, &in.Note} {
		trim(s)
	}
	in.IDNumber = pii.NormalizeIDNumber(in.IDNumber)
}

// prepare validates in for the caller under perm and returns the data to
// store. old is the stored client on change, nil on registration.
func (s *ClientService) prepare(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm,
	in ClientInput, old *clientRow) (*clientData, error) {
	return s.prepareWith(ctx, &clientRefs{q: q, orgID: p.OrgID}, p, perm, in, old)
}

// prepareWith is prepare with the references checked through refs.
func (s *ClientService) prepareWith(ctx context.Context, refs *clientRefs, p *authz.Principal, perm *authz.Perm,
	in ClientInput, old *clientRow) (*clientData, error) {
	in.normalize()
	now := s.Now()
	today := app.Today(now)
	var v app.Validation
	d := &clientData{Name: in.Name, Gender: in.Gender, BirthDate: in.BirthDate, TownID: in.TownID,
		Community: in.Community, GuardianName: in.GuardianName, GuardianRelation: in.GuardianRelation,
		WorkerID: in.WorkerID, SiteID: in.SiteID, Status: in.Status, Note: in.Note}
	for _, f := range in.Clear {
		if !slices.Contains(ClearableFields, f) {
			v.Add("clear", "无法清除字段 "+f)
		}
	}
	// Encrypted fields: blank keeps the stored value on change.
	keep := func(field, typed, stored string) string {
		if typed != "" || old == nil || slices.Contains(in.Clear, field) {
			return typed
		}
		return stored
	}
	if old != nil {
		d.IDNumber = keep("id_number", in.IDNumber, old.IDNumber)
		d.Phone = keep("phone", in.Phone, old.Phone)
		d.Phone2 = keep("phone2", in.Phone2, old.Phone2)
		d.Address = keep("address", in.Address, old.Address)
		d.GuardianPhone = keep("guardian_phone", in.GuardianPhone, old.GuardianPhone)
	} else {
		d.IDNumber, d.Phone, d.Phone2, d.Address, d.GuardianPhone = in.IDNumber, in.Phone, in.Phone2, in.Address, in.GuardianPhone
	}

	if v.Required("name", d.Name, "姓名") {
		v.MaxLen("name", d.Name, "姓名", 50)
	}
	if d.Gender != "" {
		v.OneOf("gender", d.Gender, "性别", "男", "女")
	}
	if d.IDNumber != "" {
		if err := pii.ValidateIDNumberAt(d.IDNumber, now); err != nil {
			v.Add("id_number", err.Error())
		} else {
			fromID, g := idFacts(d.IDNumber)
			switch {
			case d.BirthDate.IsZero():
				d.BirthDate = fromID
			case !d.BirthDate.Equal(fromID):
				v.Add("birth_date", "出生日期与身份证号码不符（身份证号码中为 "+fromID.String()+"）")
			}
			switch {
			case d.Gender == "":
				d.Gender = g
			case d.Gender != g:
				v.Add("gender", "性别与身份证号码不符")
			}
		}
	}
	switch {
	case d.BirthDate.IsZero():
		v.Add("birth_date", "出生日期不能为空（填写身份证号码时可自动带出）")
	case d.BirthDate.After(today):
		v.Add("birth_date", "出生日期不能晚于今天")
	case d.BirthDate.Year() < 1900:
		v.Add("birth_date", "出生日期不能早于1900年")
	}
	phone := func(field, label string, val *string) {
		if *val == "" {
			return
		}
		if err := pii.ValidatePhone(*val); err != nil {
			v.Add(field, label+"："+err.Error())
			return
		}
		*val = pii.NormalizePhone(*val)
	}
	phone("phone", "电话", &d.Phone)
	phone("phone2", "备用电话", &d.Phone2)
	phone("guardian_phone", "监护人电话", &d.GuardianPhone)
	v.MaxLen("address", d.Address, "地址", 200)
	v.MaxLen("community", d.Community, "社区（村）", 50)
	v.MaxLen("guardian_name", d.GuardianName, "监护人姓名", 50)
	v.MaxLen("note", d.Note, "备注", 1000)
	if d.GuardianRelation != "" {
		v.OneOf("guardian_relation", d.GuardianRelation, "与监护人的关系", GuardianRelations...)
	}
	if !d.BirthDate.IsZero() && ClientAge(d.BirthDate, today) < AdultAge {
		const minor = "未满18岁的服务对象须填写"
		if d.GuardianName == "" {
			v.Add("guardian_name", minor+"监护人姓名")
		}
		if d.GuardianRelation == "" {
			v.Add("guardian_relation", minor+"监护人与其关系")
		}
		if d.GuardianPhone == "" {
			v.Add("guardian_phone", minor+"监护人电话")
		}
	}
	switch d.Status {
	case "":
		d.Status = ClientActive
		if old != nil {
			d.Status = old.Status
		}
	case ClientActive, ClientInactive:
	default:
		v.Add("status", "请选择有效的状态")
	}
	if d.TownID > 0 {
		ok, err := refs.town(ctx, d.TownID)
		if err != nil {
			return nil, err
		}
		if !ok {
			v.Add("town_id", "请选择有效的镇街")
		}
	}
	if err := s.checkCategories(ctx, refs, in.CategoryIDs, old, &v); err != nil {
		return nil, err
	}
	d.CategoryIDs = uniqueIDs(in.CategoryIDs)
	if err := s.checkAssignment(ctx, refs, p, perm, d, old, today, &v); err != nil {
		return nil, err
	}
	if old != nil && in.Version != old.Version {
		if in.Version == 0 {
			v.Add("version", "缺少版本号，请刷新后重试")
		} else if v.OK() {
			return nil, app.Errorf(app.EConflict, "该服务对象已被他人修改，请刷新页面后重新编辑")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return d, nil
}

// idFacts returns the birth date and gender encoded in a valid ID number.
func idFacts(id string) (app.Date, string) {
	birth, _ := app.ParseDate(id[6:10] + "-" + id[10:12] + "-" + id[12:14])
	if (id[16]-'0')%2 == 1 {
		return birth, "男"
	}
	return birth, "女"
}

func uniqueIDs(ids []int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id > 0 && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// checkCategories accepts active categories of the organization, and on
// change also those the client already has.
func (s *ClientService) checkCategories(ctx context.Context, refs *clientRefs, ids []int64, old *clientRow, v *app.Validation) error {
	for _, id := range uniqueIDs(ids) {
		if old != nil && slices.ContainsFunc(old.Categories, func(c Category) bool { return c.ID == id }) {
			continue
		}
		ok, err := refs.category(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			v.Add("category_ids", "请选择有效的服务对象类别")
			return nil
		}
	}
	return nil
}

// checkAssignment fills in and checks the responsible worker and service
// point: both active in the organization, and the pair within the caller's
// scope for perm. Outside organization-wide scope, the service point must be
// one of the caller's or the worker's current service points.
func (s *ClientService) checkAssignment(ctx context.Context, refs *clientRefs, p *authz.Principal, perm *authz.Perm,
	d *clientData, old *clientRow, today app.Date, v *app.Validation) error {
	if d.WorkerID == 0 {
		if old != nil {
			d.WorkerID = old.WorkerID
		} else {
			d.WorkerID = p.StaffID
		}
	}
	if d.WorkerID == 0 {
		v.Add("worker_id", "请选择负责社工")
		return nil
	}
	ok, err := refs.worker(ctx, d.WorkerID)
	if err != nil {
		return err
	}
	if !ok {
		v.Add("worker_id", "请选择有效的负责社工")
		return nil
	}
	workerSites, err := refs.staffSites(ctx, d.WorkerID, today)
	if err != nil {
		return err
	}
	if d.SiteID == 0 {
		if old != nil && old.WorkerID == d.WorkerID {
			d.SiteID = old.SiteID
		} else if len(workerSites) > 0 {
			d.SiteID = workerSites[0]
		}
	}
	if d.SiteID == 0 {
		v.Add("site_id", "请选择服务点（该社工目前没有任职的服务点）")
		return nil
	}
	if ok, err = refs.site(ctx, d.SiteID); err != nil {
		return err
	}
	if !ok {
		v.Add("site_id", "请选择有效的服务点")
		return nil
	}
	unchanged := old != nil && old.WorkerID == d.WorkerID && old.SiteID == d.SiteID
	if unchanged {
		return nil
	}
	sc := p.Scope(perm)
	if !sc.Allows(authz.Obj{OrgID: p.OrgID, OwnerID: d.WorkerID, SiteIDs: []int64{d.SiteID}}) {
		v.Add("worker_id", "您无权将服务对象交由该社工负责")
		return nil
	}
	if !sc.Has(authz.Org) && !slices.Contains(p.SiteIDs, d.SiteID) && !slices.Contains(workerSites, d.SiteID) {
		v.Add("site_id", "服务点应为负责社工或您本人任职的服务点")
	}
	return nil
}

// clientRefs checks the records a client refers to: each with one query,
// or, once load has run (imports), from tables read once per file.
type clientRefs struct {
	q     db.Querier
	orgID int64
	// Set by load: ids of the organization's towns and of its active
	// categories, staff and service points; sitesOf keeps each worker's
	// service points once asked.
	loaded                          bool
	towns, categories, staff, sites map[int64]bool
	sitesOf                         map[int64][]int64
}

// load reads the organization's towns and active categories, staff and
// service points, so that the checks no longer query.
func (r *clientRefs) load(ctx context.Context) error {
	r.towns, r.categories, r.staff, r.sites = map[int64]bool{}, map[int64]bool{}, map[int64]bool{}, map[int64]bool{}
	r.sitesOf = map[int64][]int64{}
	for _, t := range []struct {
		set   map[int64]bool
		query string
	}{
		{r.towns, `SELECT id FROM towns WHERE org_id = $1`},
		{r.categories, `SELECT id FROM client_categories WHERE org_id = $1 AND status = 'active'`},
		{r.staff, `SELECT id FROM staff WHERE org_id = $1 AND status = 'active'`},
		{r.sites, `SELECT id FROM sites WHERE org_id = $1 AND status = 'active'`},
	} {
		rows, err := r.q.QueryContext(ctx, t.query, r.orgID)
		if err != nil {
			return fmt.Errorf("cases: load references: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			t.set[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	r.loaded = true
	return nil
}

func (r *clientRefs) exists(ctx context.Context, set map[int64]bool, query string, id int64) (bool, error) {
	if r.loaded {
		return set[id], nil
	}
	var n int
	if err := r.q.QueryRowContext(ctx, query, r.orgID, id).Scan(&n); err != nil {
		return false, fmt.Errorf("cases: check reference: %w", err)
	}
	return n > 0, nil
}

func (r *clientRefs) town(ctx context.Context, id int64) (bool, error) {
	return r.exists(ctx, r.towns, `SELECT COUNT(*) FROM towns WHERE org_id = $1 AND id = $2`, id)
}

func (r *clientRefs) category(ctx context.Context, id int64) (bool, error) {
	return r.exists(ctx, r.categories, `SELECT COUNT(*) FROM client_categories WHERE org_id = $1 AND id = $2 AND status = 'active'`, id)
}

func (r *clientRefs) worker(ctx context.Context, id int64) (bool, error) {
	return r.exists(ctx, r.staff, `SELECT COUNT(*) FROM staff WHERE org_id = $1 AND id = $2 AND status = 'active'`, id)
}

func (r *clientRefs) site(ctx context.Context, id int64) (bool, error) {
	return r.exists(ctx, r.sites, `SELECT COUNT(*) FROM sites WHERE org_id = $1 AND id = $2 AND status = 'active'`, id)
}

func (r *clientRefs) staffSites(ctx context.Context, staffID int64, today app.Date) ([]int64, error) {
	if !r.loaded {
		return staffSites(ctx, r.q, r.orgID, staffID, today)
	}
	if ids, ok := r.sitesOf[staffID]; ok {
		return ids, nil
	}
	ids, err := staffSites(ctx, r.q, r.orgID, staffID, today)
	if err != nil {
		return nil, err
	}
	r.sitesOf[staffID] = ids
	return ids, nil
}

// staffSites returns the service points a staff member is assigned to today.
func staffSites(ctx context.Context, q db.Querier, orgID, staffID int64, today app.Date) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT site_id FROM staff_assignments
		WHERE org_id = $1 AND staff_id = $2 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $3)
		ORDER BY site_id`, orgID, staffID, today)
	if err != nil {
		return nil, fmt.Errorf("cases: staff sites: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (s *ClientService) idIndex(id string) sql.NullString {
	if id == "" {
		return sql.NullString{}
	}
	return sql.NullString{String: s.Cipher.BlindIndex("id_number", id), Valid: true}
}

func (s *ClientService) phoneIndex(phone string) sql.NullString {
	if phone == "" {
		return sql.NullString{}
	}
	return sql.NullString{String: s.Cipher.BlindIndex("phone", phone), Valid: true}
}

// idConflict is the answer when an ID number is already registered. It
// names the existing client only by masked name and number.
func idConflict(name string, id int64) error {
	msg := fmt.Sprintf("该身份证号码已登记为服务对象：%s（编号%s）", pii.MaskName(name), ClientCode(id))
	return &app.Error{Code: app.EConflict, Message: msg, Fields: map[string]string{"id_number": msg}}
}

// checkDuplicates refuses an ID number already registered in the
// organization, and, unless confirmed, asks about clients with the same
// name and one of the same phones. self is the client being changed.
func (s *ClientService) checkDuplicates(ctx context.Context, q db.Querier, orgID int64, d *clientData, self int64, confirmed bool) error {
	if idx := s.idIndex(d.IDNumber); idx.Valid {
		var id int64
		var name string
		err := q.QueryRowContext(ctx, `SELECT id, name FROM clients WHERE org_id = $1 AND id_number_idx = $2 AND id <> $3`,
			orgID, idx.String, self).Scan(&id, &name)
		if err == nil {
			return idConflict(name, id)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("cases: duplicate id number: %w", err)
		}
	}
	if confirmed {
		return nil
	}
	matches, err := s.samePerson(ctx, q, orgID, d.Name, []string{d.Phone, d.Phone2}, self)
	if err != nil || len(matches) == 0 {
		return err
	}
	msg := "已有姓名和电话相同的服务对象，可能是重复登记。如确认不是同一人，请勾选“确认不是重复登记”后再次提交"
	return &DuplicateError{
		Err:     &app.Error{Code: app.EConflict, Message: msg, Fields: map[string]string{"confirm_duplicate": "请确认不是重复登记"}},
		Matches: matches,
	}
}

// samePerson finds clients of the organization with the given name and one
// of the phones.
func (s *ClientService) samePerson(ctx context.Context, q db.Querier, orgID int64, name string, phones []string, self int64) ([]DuplicateMatch, error) {
	var idx []string
	for _, ph := range phones {
		if ph != "" {
			idx = append(idx, s.phoneIndex(ph).String)
		}
	}
	if len(idx) == 0 || name == "" {
		return nil, nil
	}
	for len(idx) < 2 {
		idx = append(idx, idx[0])
	}
	rows, err := q.QueryContext(ctx, `SELECT id, name, phone_enc, phone_idx FROM clients
		WHERE org_id = $1 AND name = $2 AND id <> $3 AND (phone_idx IN ($4, $5) OR phone2_idx IN ($4, $5))
		ORDER BY id LIMIT 10`, orgID, name, self, idx[0], idx[1])
	if err != nil {
		return nil, fmt.Errorf("cases: duplicate name and phone: %w", err)
	}
	defer rows.Close()
	var out []DuplicateMatch
	for rows.Next() {
		var m DuplicateMatch
		var n, enc string
		var pidx sql.NullString
		if err := rows.Scan(&m.ID, &n, &enc, &pidx); err != nil {
			return nil, err
		}
		ph, err := s.Cipher.Decrypt(enc)
		if err != nil {
			return nil, fmt.Errorf("cases: decrypt client %d: %w", m.ID, err)
		}
		m.Code, m.NameMasked, m.PhoneMasked = ClientCode(m.ID), pii.MaskName(n), maskIf(ph, pii.MaskPhone)
		out = append(out, m)
	}
	return out, rows.Err()
}

// encrypted holds the stored form of the encrypted fields.
type encrypted struct {
	id, phone, phone2, address, guardianPhone string
}

func (s *ClientService) encrypt(d *clientData) (encrypted, error) {
	var e encrypted
	for _, f := range []struct {
		dst *string
		src string
	}{{&e.id, d.IDNumber}, {&e.phone, d.Phone}, {&e.phone2, d.Phone2}, {&e.address, d.Address}, {&e.guardianPhone, d.GuardianPhone}} {
		v, err := s.Cipher.Encrypt(f.src)
		if err != nil {
			return e, fmt.Errorf("cases: encrypt: %w", err)
		}
		*f.dst = v
	}
	return e, nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

const sqlInsertClient = `INSERT INTO clients (org_id, name, gender, birth_date, id_number_enc, id_number_idx,
	phone_enc, phone_idx, phone2_enc, phone2_idx, address_enc, town_id, community, guardian_name, guardian_relation,
	guardian_phone_enc, worker_id, site_id, status, note, created_by, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)
	RETURNING id`

// insertClient stores d; the caller has checked duplicates.
func (s *ClientService) insertClient(ctx context.Context, tx db.Querier, p *authz.Principal, d *clientData) (int64, error) {
	e, err := s.encrypt(d)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, sqlInsertClient, p.OrgID, d.Name, d.Gender, d.BirthDate, e.id, s.idIndex(d.IDNumber),
		e.phone, s.phoneIndex(d.Phone), e.phone2, s.phoneIndex(d.Phone2), e.address, nullID(d.TownID), d.Community,
		d.GuardianName, d.GuardianRelation, e.guardianPhone, d.WorkerID, d.SiteID, d.Status, d.Note, nullID(p.UserID),
		s.Now().UTC()).Scan(&id)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return 0, idConflictByIndex(ctx, tx, p.OrgID, s.idIndex(d.IDNumber))
		}
		return 0, fmt.Errorf("cases: insert client: %w", err)
	}
	return id, s.setCategories(ctx, tx, p.OrgID, id, d.CategoryIDs)
}

// idConflictByIndex explains a unique violation on the ID number raced by a
// concurrent registration.
func idConflictByIndex(ctx context.Context, q db.Querier, orgID int64, idx sql.NullString) error {
	var id int64
	var name string
	if err := q.QueryRowContext(ctx, `SELECT id, name FROM clients WHERE org_id = $1 AND id_number_idx = $2`,
		orgID, idx).Scan(&id, &name); err != nil {
		return app.Errorf(app.EConflict, "该身份证号码已登记为服务对象")
	}
	return idConflict(name, id)
}

func (s *ClientService) setCategories(ctx context.Context, tx db.Querier, orgID, clientID int64, ids []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM client_category_links WHERE org_id = $1 AND client_id = $2`, orgID, clientID); err != nil {
		return fmt.Errorf("cases: clear categories: %w", err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO client_category_links (org_id, client_id, category_id) VALUES ($1, $2, $3)`,
			orgID, clientID, id); err != nil {
			return fmt.Errorf("cases: link category: %w", err)
		}
	}
	return nil
}

// Create registers a client. An ID number already registered in the
// organization is refused; a client with the same name and phone as an
// existing one needs in.ConfirmDuplicate (a *DuplicateError lists them).
func (s *ClientService) Create(ctx context.Context, p *authz.Principal, in ClientInput) (*Client, error) {
	if !p.Can(PermClientWrite) {
		return nil, app.ErrForbidden()
	}
	if err := s.ensureCategories(ctx, p.OrgID); err != nil {
		return nil, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		d, err := s.prepare(ctx, tx, p, PermClientWrite, in, nil)
		if err != nil {
			return err
		}
		if err := s.checkDuplicates(ctx, tx, p.OrgID, d, 0, in.ConfirmDuplicate); err != nil {
			return err
		}
		if id, err = s.insertClient(ctx, tx, p, d); err != nil {
			return err
		}
		detail := "登记服务对象 " + ClientCode(id)
		if in.ConfirmDuplicate {
			detail += "（已确认与同名同电话者不是同一人）"
		}
		return s.auditClient(ctx, tx, p, "client.create", id, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Head(ctx, p, PermClientWrite, id)
}

const sqlUpdateClient = `UPDATE clients SET name = $3, gender = $4, birth_date = $5, id_number_enc = $6,
	id_number_idx = $7, phone_enc = $8, phone_idx = $9, phone2_enc = $10, phone2_idx = $11, address_enc = $12,
	town_id = $13, community = $14, guardian_name = $15, guardian_relation = $16, guardian_phone_enc = $17,
	worker_id = $18, site_id = $19, status = $20, note = $21, updated_at = $22, version = version + 1
	WHERE org_id = $1 AND id = $2 AND version = $23`

// Update changes a client the caller may write, if nobody changed it since
// in.Version was read.
func (s *ClientService) Update(ctx context.Context, p *authz.Principal, id int64, in ClientInput) (*Client, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.loadClient(ctx, tx, p, PermClientWrite, id)
		if err != nil {
			return err
		}
		d, err := s.prepare(ctx, tx, p, PermClientWrite, in, old)
		if err != nil {
			return err
		}
		// Ask about same-name, same-phone clients only when name or phones change.
		confirmed := in.ConfirmDuplicate || (d.Name == old.Name && d.Phone == old.Phone && d.Phone2 == old.Phone2)
		if err := s.checkDuplicates(ctx, tx, p.OrgID, d, id, confirmed); err != nil {
			return err
		}
		e, err := s.encrypt(d)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, sqlUpdateClient, p.OrgID, id, d.Name, d.Gender, d.BirthDate, e.id,
			s.idIndex(d.IDNumber), e.phone, s.phoneIndex(d.Phone), e.phone2, s.phoneIndex(d.Phone2), e.address,
			nullID(d.TownID), d.Community, d.GuardianName, d.GuardianRelation, e.guardianPhone, d.WorkerID, d.SiteID,
			d.Status, d.Note, s.Now().UTC(), in.Version)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return idConflictByIndex(ctx, tx, p.OrgID, s.idIndex(d.IDNumber))
			}
			return fmt.Errorf("cases: update client: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.EConflict, "该服务对象已被他人修改，请刷新页面后重新编辑")
		}
		if err := s.setCategories(ctx, tx, p.OrgID, id, d.CategoryIDs); err != nil {
			return err
		}
		return s.auditClient(ctx, tx, p, "client.update", id, "修改服务对象 "+ClientCode(id)+"："+changedFields(old, d))
	})
	if err != nil {
		return nil, err
	}
	return s.Head(ctx, p, PermClientWrite, id)
}

// changedFields names (never shows) what a change touched.
func changedFields(old *clientRow, d *clientData) string {
	var oldCats []int64
	for _, c := range old.Categories {
		oldCats = append(oldCats, c.ID)
	}
	newCats := slices.Clone(d.CategoryIDs)
	slices.Sort(oldCats)
	slices.Sort(newCats)
	var out []string
	add := func(changed bool, label string) {
		if changed {
			out = append(out, label)
		}
	}
	add(old.Name != d.Name, "姓名")
	add(old.Gender != d.Gender, "性别")
	add(!old.BirthDate.Equal(d.BirthDate), "出生日期")
	add(old.IDNumber != d.IDNumber, "身份证号码")
	add(old.Phone != d.Phone, "电话")
	add(old.Phone2 != d.Phone2, "备用电话")
	add(old.Address != d.Address, "地址")
	add(old.TownID != d.TownID, "镇街")
	add(old.Community != d.Community, "社区（村）")
	add(!slices.Equal(oldCats, newCats), "类别")
	add(old.GuardianName != d.GuardianName || old.GuardianRelation != d.GuardianRelation ||
		old.GuardianPhone != d.GuardianPhone, "监护人")
	add(old.WorkerID != d.WorkerID, "负责社工")
	add(old.SiteID != d.SiteID, "服务点")
	add(old.Status != d.Status, "状态")
	add(old.Note != d.Note, "备注")
	if len(out) == 0 {
		return "无变化"
	}
	return strings.Join(out, "、")
}
