package cases

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
)

// ClientService keeps the client register (SPEC C1, C2): identity and
// contacts, categories, guardian, contact checks, consent records and
// imports. ID numbers, phones and addresses are encrypted at rest with
// Cipher and leave the service masked, except through Reveal.
type ClientService struct {
	DB     *db.DB
	Now    func() time.Time
	Cipher *pii.Cipher
}

// NewClientService returns the service.
func NewClientService(d *db.DB, now func() time.Time, c *pii.Cipher) *ClientService {
	return &ClientService{DB: d, Now: now, Cipher: c}
}

// Client statuses.
const (
	ClientActive   = "active"
	ClientInactive = "inactive"
)

// Contact validity of a client's phone numbers (C1). A new client is
// unchecked until the first contact check.
const (
	ContactUnchecked   = "unchecked"
	ContactValid       = "valid"
	ContactWrongNumber = "wrong_number"
	ContactUnreachable = "unreachable"
	ContactRefused     = "refused"
)

// ContactResults are the outcomes a contact check may record, in display order.
var ContactResults = []string{ContactValid, ContactWrongNumber, ContactUnreachable, ContactRefused}

// ContactLabel is the Chinese name of a contact status.
func ContactLabel(s string) string {
	switch s {
	case ContactValid:
		return "有效"
	case ContactWrongNumber:
		return "号码错误"
	case ContactUnreachable:
		return "无法接通"
	case ContactRefused:
		return "拒绝"
	case ContactUnchecked:
		return "未核实"
	}
	return s
}

// ClientStatusLabel is the Chinese name of a client status.
func ClientStatusLabel(s string) string {
	if s == ClientInactive {
		return "停止服务"
	}
	return "在册"
}

// GuardianRelations are the allowed guardian relationships, in display order.
var GuardianRelations = []string{"father", "mother", "grandparent", "sibling", "relative", "committee", "other"}

// GuardianRelationLabel is the Chinese name of a guardian relationship.
func GuardianRelationLabel(s string) string {
	switch s {
	case "father":
		return "父亲"
	case "mother":
		return "母亲"
	case "grandparent":
		return "祖父母/外祖父母"
	case "sibling":
		return "兄弟姐妹"
	case "relative":
		return "其他亲属"
	case "committee":
		return "村（居）委会或民政部门"
	case "other":
		return "其他"
	}
	return s
}

// AdultAge is the age from which no guardian is needed.
const AdultAge = 18

// ClientCode is the number shown for a client (编号).
func ClientCode(id int64) string { return fmt.Sprintf("FW%06d", id) }

// ClientAge returns the age in whole years on day asOf.
func ClientAge(birth, asOf app.Date) int {
	if birth.IsZero() {
		return 0
	}
	n := asOf.Year() - birth.Year()
	if asOf.Month() < birth.Month() || (asOf.Month() == birth.Month() && asOf.Day() < birth.Day()) {
		n--
	}
	return max(n, 0)
}

// Category is one client category (青少年, 长者 …).
type Category struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

// Client is a client as lists, pages and the API show it: every personal
// datum masked. The full values are only available through Reveal.
type Client struct {
	ID                    int64      `json:"id"`
	Code                  string     `json:"code"`
	NameMasked            string     `json:"name_masked"`
	Gender                string     `json:"gender"`
	Age                   int        `json:"age"`
	Minor                 bool       `json:"minor"`
	IDNumberMasked        string     `json:"id_number_masked"`
	PhoneMasked           string     `json:"phone_masked"`
	Phone2Masked          string     `json:"phone2_masked"`
	AddressMasked         string     `json:"address_masked"`
	TownID                int64      `json:"town_id,omitempty"`
	TownName              string     `json:"town_name"`
	Community             string     `json:"community"`
	Categories            []Category `json:"categories"`
	GuardianNameMasked    string     `json:"guardian_name_masked"`
	GuardianRelation      string     `json:"guardian_relation"`
	GuardianRelationLabel string     `json:"guardian_relation_label"`
	GuardianPhoneMasked   string     `json:"guardian_phone_masked"`
	ContactStatus         string     `json:"contact_status"`
	ContactStatusLabel    string     `json:"contact_status_label"`
	ContactCheckedOn      app.Date   `json:"contact_checked_on"`
	WorkerID              int64      `json:"worker_id"`
	WorkerName            string     `json:"worker_name"`
	SiteID                int64      `json:"site_id"`
	SiteName              string     `json:"site_name"`
	Status                string     `json:"status"`
	StatusLabel           string     `json:"status_label"`
	Note                  string     `json:"note"`
	CreatedAt             time.Time  `json:"created_at"`
	UpdatedAt             time.Time  `json:"updated_at"`
	Version               int64      `json:"version"`
}

// ClientIdentity is the unmasked identity of one client, returned by Reveal
// only, after an audit row is written.
type ClientIdentity struct {
	ID            int64    `json:"id"`
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	BirthDate     app.Date `json:"birth_date"`
	IDNumber      string   `json:"id_number"`
	Phone         string   `json:"phone"`
	Phone2        string   `json:"phone2"`
	Address       string   `json:"address"`
	GuardianName  string   `json:"guardian_name"`
	GuardianPhone string   `json:"guardian_phone"`
}

// ClientEdit is what the edit form is pre-filled with: the masked client
// plus the plain fields a form cannot work without. The encrypted fields are
// not included; left blank in the form they keep their stored values.
type ClientEdit struct {
	Client
	Name         string
	BirthDate    app.Date
	GuardianName string
	CategoryIDs  []int64
}

// clientRow is a client as stored, with the encrypted fields decrypted. It
// never leaves the package.
type clientRow struct {
	ID, OrgID                          int64
	Name, Gender                       string
	BirthDate                          app.Date
	IDNumber, Phone, Phone2, Address   string
	TownID                             int64
	TownName, Community                string
	GuardianName, GuardianRelation     string
	GuardianPhone                      string
	ContactStatus                      string
	ContactCheckedOn                   app.Date
	WorkerID, SiteID                   int64
	WorkerName, SiteName, Status, Note string
	CreatedAt, UpdatedAt               time.Time
	Version                            int64
	Categories                         []Category
}

func (r *clientRow) obj() authz.Obj {
	return authz.Obj{OrgID: r.OrgID, OwnerID: r.WorkerID, SiteIDs: []int64{r.SiteID}}
}

// masked builds the public view of r as of today.
func (r *clientRow) masked(today app.Date) Client {
	c := Client{
		ID: r.ID, Code: ClientCode(r.ID), NameMasked: pii.MaskName(r.Name), Gender: r.Gender,
		Age: ClientAge(r.BirthDate, today), IDNumberMasked: maskIf(r.IDNumber, pii.MaskIDNumber),
		PhoneMasked: maskIf(r.Phone, pii.MaskPhone), Phone2Masked: maskIf(r.Phone2, pii.MaskPhone),
		AddressMasked: pii.MaskAddress(r.Address), TownID: r.TownID, TownName: r.TownName, Community: r.Community,
		Categories: r.Categories, GuardianNameMasked: pii.MaskName(r.GuardianName),
		GuardianRelation: r.GuardianRelation, GuardianPhoneMasked: maskIf(r.GuardianPhone, pii.MaskPhone),
		ContactStatus: r.ContactStatus, ContactStatusLabel: ContactLabel(r.ContactStatus),
		ContactCheckedOn: r.ContactCheckedOn, WorkerID: r.WorkerID, WorkerName: r.WorkerName,
		SiteID: r.SiteID, SiteName: r.SiteName, Status: r.Status, StatusLabel: ClientStatusLabel(r.Status),
		Note: r.Note, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}
	c.Minor = !r.BirthDate.IsZero() && c.Age < AdultAge
	if r.GuardianRelation != "" {
		c.GuardianRelationLabel = GuardianRelationLabel(r.GuardianRelation)
	}
	if c.Categories == nil {
		c.Categories = []Category{}
	}
	return c
}

func maskIf(s string, mask func(string) string) string {
	if s == "" {
		return ""
	}
	return mask(s)
}

const sqlClientSelect = `SELECT c.id, c.org_id, c.name, c.gender, c.birth_date, c.id_number_enc, c.phone_enc,
	c.phone2_enc, c.address_enc, COALESCE(c.town_id, 0), COALESCE(t.name, ''), c.community, c.guardian_name,
	c.guardian_relation, c.guardian_phone_enc, c.contact_status, c.contact_checked_on, c.worker_id, c.site_id,
	st.name, si.name, c.status, c.note, c.created_at, c.updated_at, c.version
	FROM clients c
	JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
	JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id
	LEFT JOIN towns t ON t.org_id = c.org_id AND t.id = c.town_id`

// sqlClientSelectCats is sqlClientSelect with one more column: the ids of
// the client's categories, comma-separated, aggregated with agg.
func sqlClientSelectCats(agg string) string {
	const from = "\n\tFROM clients c"
	i := strings.Index(sqlClientSelect, from)
	return sqlClientSelect[:i] + `,
	(SELECT ` + agg + ` FROM client_category_links l WHERE l.org_id = c.org_id AND l.client_id = c.id)` + sqlClientSelect[i:]
}

// sqlClientExportSelect reads what ExportRows needs: the columns of
// ClientExportFields and the ids of the client's categories, aggregated with
// agg. The joins are those of sqlClientSelect but the towns', which the
// export does not show (list filters and sorts do not use it).
func sqlClientExportSelect(agg string) string {
	return `SELECT c.id, c.org_id, c.name, c.gender, c.birth_date, c.id_number_enc, c.phone_enc, c.phone2_enc,
	c.contact_status, c.contact_checked_on, c.worker_id, c.site_id, st.name, si.name, c.status,
	(SELECT ` + agg + ` FROM client_category_links l WHERE l.org_id = c.org_id AND l.client_id = c.id)
	FROM clients c
	JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
	JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id`
}

type rowScanner interface{ Scan(dest ...any) error }

// scanClientExport reads one row of sqlClientExportSelect and decrypts it.
func (s *ClientService) scanClientExport(sc rowScanner, extra ...any) (*clientRow, error) {
	var r clientRow
	var idEnc, phoneEnc, phone2Enc string
	dest := append([]any{&r.ID, &r.OrgID, &r.Name, &r.Gender, &r.BirthDate, &idEnc, &phoneEnc, &phone2Enc,
		&r.ContactStatus, &r.ContactCheckedOn, &r.WorkerID, &r.SiteID, &r.WorkerName, &r.SiteName, &r.Status}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if err := s.decryptInto(r.ID, []*string{&r.IDNumber, &r.Phone, &r.Phone2}, idEnc, phoneEnc, phone2Enc); err != nil {
		return nil, err
	}
	return &r, nil
}

// decryptInto decrypts src[i] into dst[i].
func (s *ClientService) decryptInto(id int64, dst []*string, src ...string) error {
	for i, enc := range src {
		v, err := s.Cipher.Decrypt(enc)
		if err != nil {
			// The message names the client, never the value.
			return fmt.Errorf("cases: decrypt client %d: %w", id, err)
		}
		*dst[i] = v
	}
	return nil
}

// scanClient reads one row of sqlClientSelect and decrypts it.
func (s *ClientService) scanClient(sc rowScanner, extra ...any) (*clientRow, error) {
	var r clientRow
	var idEnc, phoneEnc, phone2Enc, addrEnc, gPhoneEnc string
	dest := append([]any{&r.ID, &r.OrgID, &r.Name, &r.Gender, &r.BirthDate, &idEnc, &phoneEnc, &phone2Enc, &addrEnc,
		&r.TownID, &r.TownName, &r.Community, &r.GuardianName, &r.GuardianRelation, &gPhoneEnc, &r.ContactStatus,
		&r.ContactCheckedOn, &r.WorkerID, &r.SiteID, &r.WorkerName, &r.SiteName, &r.Status, &r.Note,
		&r.CreatedAt, &r.UpdatedAt, &r.Version}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if err := s.decryptInto(r.ID, []*string{&r.IDNumber, &r.Phone, &r.Phone2, &r.Address, &r.GuardianPhone},
		idEnc, phoneEnc, phone2Enc, addrEnc, gPhoneEnc); err != nil {
		return nil, err
	}
	return &r, nil
}

// loadClient reads one client of the caller's organization and checks it is
// within the caller's scope for perm; anything else is not found.
func (s *ClientService) loadClient(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, id int64) (*clientRow, error) {
	r, err := s.scanClient(q.QueryRowContext(ctx, sqlClientSelect+` WHERE c.org_id = $1 AND c.id = $2`, p.OrgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("服务对象")
	}
	if err != nil {
		return nil, fmt.Errorf("cases: load client: %w", err)
	}
	if !p.Scope(perm).Allows(r.obj()) {
		return nil, app.ErrNotFound("服务对象")
	}
	cats, err := s.clientCategories(ctx, q, r.OrgID, []int64{r.ID})
	if err != nil {
		return nil, err
	}
	r.Categories = cats[r.ID]
	return r, nil
}

// clientCategories returns the categories of each of ids.
func (s *ClientService) clientCategories(ctx context.Context, q db.Querier, orgID int64, ids []int64) (map[int64][]Category, error) {
	out := map[int64][]Category{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		list := make([]string, len(chunk))
		for i, id := range chunk {
			list[i] = strconv.FormatInt(id, 10)
		}
		rows, err := q.QueryContext(ctx, `SELECT l.client_id, k.id, k.name, k.status FROM client_category_links l
			JOIN client_categories k ON k.org_id = l.org_id AND k.id = l.category_id
			WHERE l.org_id = $1 AND l.client_id IN (`+strings.Join(list, ",")+`) ORDER BY k.sort_order, k.id`, orgID)
		if err != nil {
			return nil, fmt.Errorf("cases: client categories: %w", err)
		}
		for rows.Next() {
			var cid int64
			var c Category
			var st string
			if err := rows.Scan(&cid, &c.ID, &c.Name, &st); err != nil {
				rows.Close()
				return nil, err
			}
			c.Active = st == "active"
			out[cid] = append(out[cid], c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// auditClient writes one audit row about a client in tx.
func (s *ClientService) auditClient(ctx context.Context, tx db.Querier, p *authz.Principal, action string, id int64, detail string) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
		Action: action, ObjectType: "client", ObjectID: strconv.FormatInt(id, 10), Detail: detail})
}

// Get returns one client, masked, and records the view in the audit log in
// the same transaction as the read.
func (s *ClientService) Get(ctx context.Context, p *authz.Principal, id int64) (*Client, error) {
	var out Client
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.loadClient(ctx, tx, p, PermClientRead, id)
		if err != nil {
			return err
		}
		out = r.masked(app.Today(s.Now()))
		return s.auditClient(ctx, tx, p, "client.view", id, "查看服务对象 "+out.Code)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Head returns the masked client for page headers of sub-records (consent
// and contact-check forms) under perm; it is not a view of the record and is
// not audited.
func (s *ClientService) Head(ctx context.Context, p *authz.Principal, perm *authz.Perm, id int64) (*Client, error) {
	r, err := s.loadClient(ctx, s.DB.R, p, perm, id)
	if err != nil {
		return nil, err
	}
	c := r.masked(app.Today(s.Now()))
	return &c, nil
}

// ForEdit returns what the edit form needs, for a user who may change the
// client. Opening the form is audited as a view.
func (s *ClientService) ForEdit(ctx context.Context, p *authz.Principal, id int64) (*ClientEdit, error) {
	var out ClientEdit
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.loadClient(ctx, tx, p, PermClientWrite, id)
		if err != nil {
			return err
		}
		out = ClientEdit{Client: r.masked(app.Today(s.Now())), Name: r.Name, BirthDate: r.BirthDate, GuardianName: r.GuardianName}
		for _, c := range r.Categories {
			out.CategoryIDs = append(out.CategoryIDs, c.ID)
		}
		return s.auditClient(ctx, tx, p, "client.view", id, "打开编辑表单 "+out.Code)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Reveal returns the full identity of one client to a user entitled to see
// it, and writes the audit row in the same transaction as the read.
func (s *ClientService) Reveal(ctx context.Context, p *authz.Principal, id int64) (*ClientIdentity, error) {
	var out ClientIdentity
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.loadClient(ctx, tx, p, PermClientReveal, id)
		if err != nil {
			return err
		}
		out = ClientIdentity{ID: r.ID, Code: ClientCode(r.ID), Name: r.Name, BirthDate: r.BirthDate,
			IDNumber: r.IDNumber, Phone: r.Phone, Phone2: r.Phone2, Address: r.Address,
			GuardianName: r.GuardianName, GuardianPhone: r.GuardianPhone}
		return s.auditClient(ctx, tx, p, "client.reveal", id, "查看服务对象完整信息 "+out.Code)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ClientFilter narrows the client list.
type ClientFilter struct {
	SiteID     int64
	WorkerID   int64
	CategoryID int64
	Contact    string
	Status     string
}

var clientSorts = map[string]string{
	"code":    "c.id",
	"name":    "c.name",
	"age":     "c.birth_date",
	"contact": "c.contact_checked_on",
	"site":    "si.name",
	"worker":  "st.name",
	"created": "c.created_at",
}

// List returns the clients within the caller's read scope, masked, and the
// total count. q.Q searches the name.
func (s *ClientService) List(ctx context.Context, p *authz.Principal, f ClientFilter, q app.ListQuery) ([]Client, int, error) {
	return app.Collect(s.Rows(ctx, p, f, q))
}

// Rows is List read from the database cursor one client at a time, for
// exports of any size: memory does not grow with the number of clients.
func (s *ClientService) Rows(ctx context.Context, p *authz.Principal, f ClientFilter, q app.ListQuery) app.Rows[Client] {
	return s.rows(ctx, p, f, q, false)
}

// ExportRows is Rows for the client list's export: the same clients in the
// same order and masked alike, but read with only the columns the export
// writes (ClientExportFields), so the address, town, community, guardian,
// note, timestamps and version are left empty and are neither decrypted
// nor parsed.
func (s *ClientService) ExportRows(ctx context.Context, p *authz.Principal, f ClientFilter, q app.ListQuery) app.Rows[Client] {
	return s.rows(ctx, p, f, q, true)
}

// ClientExportFields names the fields of Client that ExportRows fills in.
var ClientExportFields = []string{"ID", "Code", "NameMasked", "Gender", "Age", "Minor", "IDNumberMasked",
	"PhoneMasked", "Phone2Masked", "Categories", "ContactStatus", "ContactStatusLabel", "ContactCheckedOn",
	"WorkerID", "WorkerName", "SiteID", "SiteName", "Status", "StatusLabel"}

func (s *ClientService) rows(ctx context.Context, p *authz.Principal, f ClientFilter, q app.ListQuery, export bool) app.Rows[Client] {
	return func(start func(int) error, yield func(Client) error) error {
		var args app.Args
		where := []string{"c.org_id = " + args.Add(p.OrgID),
			p.Scope(PermClientRead).SQL(authz.Cols{Org: "c.org_id", Owner: "c.worker_id", Site: "c.site_id"}, args.Add)}
		if f.SiteID > 0 {
			where = append(where, "c.site_id = "+args.Add(f.SiteID))
		}
		if f.WorkerID > 0 {
			where = append(where, "c.worker_id = "+args.Add(f.WorkerID))
		}
		if f.CategoryID > 0 {
			where = append(where, `EXISTS (SELECT 1 FROM client_category_links l WHERE l.org_id = c.org_id
			AND l.client_id = c.id AND l.category_id = `+args.Add(f.CategoryID)+`)`)
		}
		if f.Contact != "" {
			where = append(where, "c.contact_status = "+args.Add(f.Contact))
		}
		if f.Status != "" {
			where = append(where, "c.status = "+args.Add(f.Status))
		}
		if q.Q != "" {
			where = append(where, "c.name LIKE "+args.Add(db.Like(q.Q))+` ESCAPE '\'`)
		}
		w := " WHERE " + strings.Join(where, " AND ")
		if start != nil {
			var total int
			if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM clients c
			JOIN staff st ON st.org_id = c.org_id AND st.id = c.worker_id
			JOIN sites si ON si.org_id = c.org_id AND si.id = c.site_id`+w, args...).Scan(&total); err != nil {
				return fmt.Errorf("cases: count clients: %w", err)
			}
			if err := start(total); err != nil {
				return err
			}
		}
		// The organization's categories are few; each row carries the ids
		// of its own, so no second query runs while the cursor is open (on
		// PostgreSQL a connection cannot, and a second connection per
		// export could starve the pool).
		cats, err := s.categoryTable(ctx, p.OrgID)
		if err != nil {
			return err
		}
		agg := `group_concat(l.category_id)`
		if s.DB.Dialect == db.Postgres {
			agg = `string_agg(l.category_id::text, ',')`
		}
		if q.Sort == "" {
			q.Sort, q.Desc = "code", true
		}
		query, scan := sqlClientSelectCats(agg), s.scanClient
		if export {
			query, scan = sqlClientExportSelect(agg), s.scanClientExport
		}
		rows, err := s.DB.R.QueryContext(ctx, query+w+q.OrderBy(clientSorts, "code", "c.id")+q.LimitOffset(), args...)
		if err != nil {
			return fmt.Errorf("cases: list clients: %w", err)
		}
		defer rows.Close()
		today := app.Today(s.Now())
		for rows.Next() {
			var ids sql.NullString
			r, err := scan(rows, &ids)
			if err != nil {
				return err
			}
			r.Categories = cats.of(ids.String)
			if err := yield(r.masked(today)); err != nil {
				return err
			}
		}
		return rows.Err()
	}
}

// categoryTable is every category of an organization, active or not, in
// display order.
type categoryTable struct {
	byID  map[int64]Category
	order map[int64]int
}

func (s *ClientService) categoryTable(ctx context.Context, orgID int64) (*categoryTable, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, status FROM client_categories WHERE org_id = $1
		ORDER BY sort_order, id`, orgID)
	if err != nil {
		return nil, fmt.Errorf("cases: client categories: %w", err)
	}
	defer rows.Close()
	t := &categoryTable{byID: map[int64]Category{}, order: map[int64]int{}}
	for rows.Next() {
		var c Category
		var st string
		if err := rows.Scan(&c.ID, &c.Name, &st); err != nil {
			return nil, err
		}
		c.Active = st == "active"
		t.order[c.ID] = len(t.byID)
		t.byID[c.ID] = c
	}
	return t, rows.Err()
}

// of returns the categories named by a comma-separated list of ids, in
// display order.
func (t *categoryTable) of(ids string) []Category {
	if ids == "" {
		return nil
	}
	var out []Category
	for _, f := range strings.Split(ids, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil {
			continue
		}
		if c, ok := t.byID[id]; ok {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Category) int { return t.order[a.ID] - t.order[b.ID] })
	return out
}

// Allows reports whether p's scope for perm covers c, a client read from
// p's organization; pages use it to show only the actions allowed now.
func (s *ClientService) Allows(p *authz.Principal, perm *authz.Perm, c *Client) bool {
	return p.Scope(perm).Allows(authz.Obj{OrgID: p.OrgID, OwnerID: c.WorkerID, SiteIDs: []int64{c.SiteID}})
}
