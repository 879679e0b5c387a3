package cases

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/export"
	"shegong/internal/pii"
)

// Import of clients from Excel (P10): a dry run reports every bad row and
// imports nothing; a clean file is kept, encrypted, until the user confirms,
// and then imported in one transaction.

// importColumn is one column of the import template.
type importColumn struct {
	Header  string
	Field   string // ClientInput field the column feeds, for error placement
	Width   float64
	Example string
}

var clientImportColumns = []importColumn{
	{"姓名", "name", 12, "陈大伯"},
	{"性别", "gender", 8, "男"},
	{"出生日期", "birth_date", 14, "1950-01-01"},
	{"身份证号码", "id_number", 22, "441900195001011233"},
	{"电话", "phone", 16, "13800138000"},
	{"备用电话", "phone2", 16, ""},
	{"地址", "address", 30, "广东省东莞市黄江镇北岸社区示例路1号"},
	{"镇街", "town_id", 12, ""},
	{"社区（村）", "community", 14, "北岸社区"},
	{"类别", "category_ids", 20, "长者、低保"},
	{"监护人姓名", "guardian_name", 12, ""},
	{"监护人关系", "guardian_relation", 12, ""},
	{"监护人电话", "guardian_phone", 16, ""},
	{"负责社工工号", "worker_id", 14, ""},
	{"服务点", "site_id", 20, ""},
	{"备注", "note", 30, "示例行，导入前请删除"},
}

// importExampleID marks the template's example row, which is never imported.
const importExampleID = "441900195001011233"

// importUploadTTL is how long a checked file waits for confirmation.
const importUploadTTL = time.Hour

// ImportTemplate writes the import template: the header row and one
// example row.
func (s *ClientService) ImportTemplate(w io.Writer) error {
	cols := make([]export.Column, len(clientImportColumns))
	example := make([]any, len(clientImportColumns))
	for i, c := range clientImportColumns {
		cols[i] = export.Column{Header: c.Header, Width: c.Width}
		example[i] = c.Example
	}
	return export.WriteXLSX(w, "服务对象", cols, export.Slice([][]any{example}, func(r []any) []any { return r }))
}

// ImportProblem is one bad row of an import file.
type ImportProblem struct {
	Row    int    `json:"row"` // worksheet row number
	Name   string `json:"name_masked"`
	Reason string `json:"reason"`
}

// ImportCount is a number of rows for one service point.
type ImportCount struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ImportPreview is the result of checking (or importing) a file.
type ImportPreview struct {
	Token    string          `json:"token,omitempty"` // set when the file is clean and waits for confirmation
	Filename string          `json:"filename"`
	Rows     int             `json:"rows"`
	Problems []ImportProblem `json:"problems"`
	Minors   int             `json:"minors"`
	WithID   int             `json:"with_id_number"`
	WithTel  int             `json:"with_phone"`
	BySite   []ImportCount   `json:"by_site"`
	Imported int             `json:"imported"`
}

// Clean reports whether the file has no bad rows.
func (pv *ImportPreview) Clean() bool { return len(pv.Problems) == 0 }

// importLookup resolves the names used in a file.
type importLookup struct {
	categories map[string]int64
	towns      map[string]int64
	staff      map[string]int64 // employee number → id
	sites      map[string]int64 // name or code → id
	siteNames  map[int64]string
}

func (s *ClientService) importLookups(ctx context.Context, q db.Querier, orgID int64) (*importLookup, error) {
	l := &importLookup{categories: map[string]int64{}, towns: map[string]int64{}, staff: map[string]int64{},
		sites: map[string]int64{}, siteNames: map[int64]string{}}
	load := func(query string, fn func(id int64, a, b string)) error {
		rows, err := q.QueryContext(ctx, query, orgID)
		if err != nil {
			return fmt.Errorf("cases: import lookup: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var a, b string
			if err := rows.Scan(&id, &a, &b); err != nil {
				return err
			}
			fn(id, a, b)
		}
		return rows.Err()
	}
	if err := load(`SELECT id, name, '' FROM client_categories WHERE org_id = $1 AND status = 'active'`,
		func(id int64, a, _ string) { l.categories[a] = id }); err != nil {
		return nil, err
	}
	if err := load(`SELECT id, name, '' FROM towns WHERE org_id = $1`, func(id int64, a, _ string) { l.towns[a] = id }); err != nil {
		return nil, err
	}
	if err := load(`SELECT id, employee_no, '' FROM staff WHERE org_id = $1 AND status = 'active'`,
		func(id int64, a, _ string) { l.staff[a] = id }); err != nil {
		return nil, err
	}
	if err := load(`SELECT id, name, code FROM sites WHERE org_id = $1 AND status = 'active'`, func(id int64, a, b string) {
		l.sites[a], l.siteNames[id] = id, a
		if b != "" {
			if _, taken := l.sites[b]; !taken {
				l.sites[b] = id
			}
		}
	}); err != nil {
		return nil, err
	}
	return l, nil
}

// guardianRelationOf accepts a relationship by its Chinese name or code.
func guardianRelationOf(s string) (string, bool) {
	for _, r := range GuardianRelations {
		if s == r || s == GuardianRelationLabel(r) {
			return r, true
		}
	}
	switch s {
	case "爸爸":
		return "father", true
	case "妈妈":
		return "mother", true
	case "祖父", "祖母", "外祖父", "外祖母", "爷爷", "奶奶", "外公", "外婆":
		return "grandparent", true
	case "哥哥", "姐姐", "弟弟", "妹妹":
		return "sibling", true
	}
	return "", false
}

var importFieldOrder = []string{"name", "gender", "birth_date", "id_number", "phone", "phone2", "address", "town_id",
	"community", "category_ids", "guardian_name", "guardian_relation", "guardian_phone", "worker_id", "site_id",
	"note", "version", "clear"}

// checkImport validates every row of a file against the register as seen
// through q. It returns the inputs of the good rows in file order and the
// preview with every problem found.
func (s *ClientService) checkImport(ctx context.Context, q db.Querier, p *authz.Principal, filename string, sheet [][]string) ([]*clientData, *ImportPreview, error) {
	pv := &ImportPreview{Filename: filename, Problems: []ImportProblem{}, BySite: []ImportCount{}}
	if len(sheet) == 0 {
		return nil, nil, fileError("文件是空的，请使用下载的模板填写")
	}
	col := map[string]int{}
	for i, h := range sheet[0] {
		h = strings.TrimSuffix(strings.TrimSpace(h), "*")
		for _, c := range clientImportColumns {
			if h == c.Header {
				col[c.Field] = i
			}
		}
	}
	if _, ok := col["name"]; !ok {
		return nil, nil, fileError("第1行应为表头，且须包含“姓名”列，请使用下载的模板")
	}
	look, err := s.importLookups(ctx, q, p.OrgID)
	if err != nil {
		return nil, nil, err
	}
	refs := &clientRefs{q: q, orgID: p.OrgID}
	if err := refs.load(ctx); err != nil {
		return nil, nil, err
	}
	// Each data row's verdict, in file order; the check against the
	// register runs once for the whole file after every row is read.
	type checkedRow struct {
		num     int
		name    string
		reasons []string
		d       *clientData
	}
	var checked []*checkedRow
	seenID := map[string]int{}
	seenNamePhone := map[string]int{}
	for i := 1; i < len(sheet); i++ {
		cells := sheet[i]
		if len(cells) == 0 {
			continue
		}
		rowNum := i + 1
		get := func(field string) string {
			j, ok := col[field]
			if !ok || j >= len(cells) {
				return ""
			}
			return strings.TrimSpace(cells[j])
		}
		pv.Rows++
		var reasons []string
		in := ClientInput{Name: get("name"), Gender: get("gender"), IDNumber: get("id_number"), Phone: get("phone"),
			Phone2: get("phone2"), Address: get("address"), Community: get("community"),
			GuardianName: get("guardian_name"), GuardianPhone: get("guardian_phone"), Note: get("note")}
		if pii.NormalizeIDNumber(in.IDNumber) == importExampleID {
			checked = append(checked, &checkedRow{num: rowNum, name: in.Name, reasons: []string{"这是模板中的示例行，请删除后再导入"}})
			continue
		}
		if b := get("birth_date"); b != "" {
			d, err := app.ParseDate(b)
			if err != nil {
				reasons = append(reasons, "出生日期格式应为 2026-03-01")
			}
			in.BirthDate = d
		}
		if t := get("town_id"); t != "" {
			if id, ok := look.towns[t]; ok {
				in.TownID = id
			} else {
				reasons = append(reasons, "未知的镇街“"+t+"”")
			}
		}
		if cs := get("category_ids"); cs != "" {
			for _, name := range strings.FieldsFunc(cs, func(r rune) bool { return strings.ContainsRune("、,，;；/ ", r) }) {
				if id, ok := look.categories[name]; ok {
					in.CategoryIDs = append(in.CategoryIDs, id)
				} else {
					reasons = append(reasons, "未知的类别“"+name+"”")
				}
			}
		}
		if g := get("guardian_relation"); g != "" {
			if r, ok := guardianRelationOf(g); ok {
				in.GuardianRelation = r
			} else {
				reasons = append(reasons, "未知的监护人关系“"+g+"”")
			}
		}
		if w := get("worker_id"); w != "" {
			if id, ok := look.staff[w]; ok {
				in.WorkerID = id
			} else {
				reasons = append(reasons, "找不到工号为“"+w+"”的在职社工")
			}
		}
		if st := get("site_id"); st != "" {
			if id, ok := look.sites[st]; ok {
				in.SiteID = id
			} else {
				reasons = append(reasons, "未知的服务点“"+st+"”")
			}
		}
		d, err := s.prepareWith(ctx, refs, p, PermClientImport, in, nil)
		if err != nil {
			fields := app.FieldErrors(err)
			if fields == nil {
				return nil, nil, err
			}
			for _, f := range importFieldOrder {
				if m, ok := fields[f]; ok && !(f == "birth_date" && slices.Contains(reasons, "出生日期格式应为 2026-03-01")) {
					reasons = append(reasons, m)
				}
			}
		}
		if d != nil {
			if d.IDNumber != "" {
				if first, dup := seenID[d.IDNumber]; dup {
					reasons = append(reasons, fmt.Sprintf("身份证号码与第%d行重复", first))
				} else {
					seenID[d.IDNumber] = rowNum
				}
			}
			for _, ph := range []string{d.Phone, d.Phone2} {
				if ph == "" {
					continue
				}
				key := d.Name + "\x00" + ph
				if first, dup := seenNamePhone[key]; dup {
					reasons = append(reasons, fmt.Sprintf("姓名和电话与第%d行相同，可能重复", first))
					break
				}
				seenNamePhone[key] = rowNum
			}
		}
		checked = append(checked, &checkedRow{num: rowNum, name: in.Name, reasons: reasons, d: d})
	}
	var candidates []*clientData
	for _, c := range checked {
		if c.d != nil {
			candidates = append(candidates, c.d)
		}
	}
	registered, err := s.registeredDuplicates(ctx, q, p.OrgID, candidates)
	if err != nil {
		return nil, nil, err
	}
	var good []*clientData
	bySite := map[int64]int{}
	today := app.Today(s.Now())
	for _, c := range checked {
		reasons := c.reasons
		if c.d != nil {
			reasons = append(reasons, registered[c.d]...)
		}
		if len(reasons) > 0 {
			pv.Problems = append(pv.Problems, ImportProblem{Row: c.num, Name: pii.MaskName(c.name), Reason: strings.Join(reasons, "；")})
			continue
		}
		d := c.d
		good = append(good, d)
		bySite[d.SiteID]++
		if ClientAge(d.BirthDate, today) < AdultAge {
			pv.Minors++
		}
		if d.IDNumber != "" {
			pv.WithID++
		}
		if d.Phone != "" || d.Phone2 != "" {
			pv.WithTel++
		}
	}
	if pv.Rows == 0 {
		return nil, nil, fileError("文件中没有数据行")
	}
	for id, n := range bySite {
		pv.BySite = append(pv.BySite, ImportCount{Label: look.siteNames[id], Count: n})
	}
	slices.SortFunc(pv.BySite, func(a, b ImportCount) int { return strings.Compare(a.Label, b.Label) })
	return good, pv, nil
}

func fileError(msg string) error {
	return &app.Error{Code: app.EInvalid, Message: msg, Fields: map[string]string{"file": msg}}
}

// ImportCheck is the dry run: it checks every row of an uploaded file and
// imports nothing. A clean file is kept, encrypted, for ImportConfirm under
// the returned preview's Token.
func (s *ClientService) ImportCheck(ctx context.Context, p *authz.Principal, filename string, r io.Reader) (*ImportPreview, error) {
	if !p.Can(PermClientImport) {
		return nil, app.ErrForbidden()
	}
	data, err := io.ReadAll(io.LimitReader(r, export.DefaultMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cases: read import: %w", err)
	}
	if len(data) == 0 {
		return nil, fileError("请选择要导入的Excel文件")
	}
	if err := s.ensureCategories(ctx, p.OrgID); err != nil {
		return nil, err
	}
	filename = cleanImportName(filename)
	sheet, err := export.ReadXLSX(bytes.NewReader(data), "", export.ReadLimits{})
	if err != nil {
		// The reader's messages are written for users.
		return nil, fileError(err.Error())
	}
	_, pv, err := s.checkImport(ctx, s.DB.R, p, filename, sheet)
	if err != nil || !pv.Clean() {
		return pv, err
	}
	var tok [16]byte
	rand.Read(tok[:])
	pv.Token = hex.EncodeToString(tok[:])
	// The cells read are kept, not the file, so the confirmation need not
	// read the spreadsheet again.
	cells, err := json.Marshal(sheet)
	if err != nil {
		return nil, fmt.Errorf("cases: keep import: %w", err)
	}
	enc, err := s.Cipher.Encrypt(importCellsPrefix + string(cells))
	if err != nil {
		return nil, fmt.Errorf("cases: encrypt import: %w", err)
	}
	now := s.Now().UTC()
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM client_import_uploads WHERE created_at < $1`, now.Add(-importUploadTTL)); err != nil {
			return fmt.Errorf("cases: expire imports: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO client_import_uploads (org_id, user_id, token, filename, data_enc, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, p.OrgID, p.UserID, pv.Token, filename, enc, now)
		if err != nil {
			return fmt.Errorf("cases: keep import: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pv, nil
}

// importCellsPrefix marks a kept upload holding the cells read from the
// file, as JSON; uploads kept before held the file itself, in base64.
const importCellsPrefix = "cells:"

// keptSheet returns the cells of a kept upload.
func keptSheet(plain string) ([][]string, error) {
	if cells, ok := strings.CutPrefix(plain, importCellsPrefix); ok {
		var sheet [][]string
		if err := json.Unmarshal([]byte(cells), &sheet); err != nil {
			return nil, fmt.Errorf("cases: decode import: %w", err)
		}
		return sheet, nil
	}
	data, err := base64.StdEncoding.DecodeString(plain)
	if err != nil {
		return nil, fmt.Errorf("cases: decode import: %w", err)
	}
	sheet, err := export.ReadXLSX(bytes.NewReader(data), "", export.ReadLimits{})
	if err != nil {
		return nil, fileError(err.Error())
	}
	return sheet, nil
}

func cleanImportName(name string) string {
	name = strings.TrimSpace(name[strings.LastIndexAny(name, `/\`)+1:])
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if name == "" {
		name = "导入文件.xlsx"
	}
	return name
}

// ImportConfirm imports a file checked by ImportCheck, all rows in one
// transaction with one audit row. The file is checked again inside the
// transaction; if anything changed in between, nothing is imported and the
// preview lists the problems.
func (s *ClientService) ImportConfirm(ctx context.Context, p *authz.Principal, token string) (*ImportPreview, error) {
	if !p.Can(PermClientImport) {
		return nil, app.ErrForbidden()
	}
	expired := &app.Error{Code: app.EInvalid, Message: "导入文件已过期或不存在，请重新上传",
		Fields: map[string]string{"file": "导入文件已过期或不存在，请重新上传"}}
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, expired
	}
	var pv *ImportPreview
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		var filename, enc string
		var at time.Time
		err := tx.QueryRowContext(ctx, `SELECT id, filename, data_enc, created_at FROM client_import_uploads
			WHERE org_id = $1 AND user_id = $2 AND token = $3`, p.OrgID, p.UserID, token).Scan(&id, &filename, &enc, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return expired
		}
		if err != nil {
			return fmt.Errorf("cases: load import: %w", err)
		}
		if s.Now().Sub(at) > importUploadTTL {
			return expired
		}
		plain, err := s.Cipher.Decrypt(enc)
		if err != nil {
			return fmt.Errorf("cases: decrypt import: %w", err)
		}
		sheet, err := keptSheet(plain)
		if err != nil {
			return err
		}
		good, checked, err := s.checkImport(ctx, tx, p, filename, sheet)
		if err != nil {
			return err
		}
		pv = checked
		if !pv.Clean() {
			return nil
		}
		if err := s.insertClients(ctx, tx, p, good); err != nil {
			return err
		}
		pv.Imported = len(good)
		if _, err := tx.ExecContext(ctx, `DELETE FROM client_import_uploads WHERE org_id = $1 AND id = $2`, p.OrgID, id); err != nil {
			return fmt.Errorf("cases: drop import: %w", err)
		}
		return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
			Action: "client.import", ObjectType: "client", ObjectID: "",
			Detail: "从Excel导入服务对象 " + strconv.Itoa(len(good)) + " 名"})
	})
	if err != nil {
		return nil, err
	}
	return pv, nil
}

// importChunk is how many blind indexes one duplicate query of an import
// binds, well within the bind variable limits of SQLite and PostgreSQL.
const importChunk = 500

// registeredDuplicates checks a file's clients against the register with
// one query per importChunk ID numbers and per importChunk phones, instead
// of one per row. It returns, for each client that clashes, the same
// reasons the form would give: an ID number already registered (then
// nothing more is said of that client), or else the registered clients with
// the same name and one of the same phones, at most ten, oldest first.
func (s *ClientService) registeredDuplicates(ctx context.Context, q db.Querier, orgID int64, data []*clientData) (map[*clientData][]string, error) {
	out := map[*clientData][]string{}
	// ID numbers.
	byID := map[string][]*clientData{}
	var idIdx []string
	for _, d := range data {
		if d.IDNumber == "" {
			continue
		}
		k := s.idIndex(d.IDNumber).String
		if _, seen := byID[k]; !seen {
			idIdx = append(idIdx, k)
		}
		byID[k] = append(byID[k], d)
	}
	err := s.clientsByIndex(ctx, q, orgID, "id_number_idx", "clients_id_number", idIdx, func(h registered, k string) {
		for _, d := range byID[k] {
			out[d] = []string{app.ErrorMessage(idConflict(h.name, h.id))}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("cases: duplicate id numbers: %w", err)
	}
	// Name and phone, for the clients whose ID number is not taken.
	byPhone := map[string][]*clientData{}
	var phIdx []string
	for _, d := range data {
		if _, taken := out[d]; taken || d.Name == "" {
			continue
		}
		for _, ph := range []string{d.Phone, d.Phone2} {
			if ph == "" {
				continue
			}
			k := s.phoneIndex(ph).String
			if _, seen := byPhone[k]; !seen {
				phIdx = append(phIdx, k)
			}
			if !slices.Contains(byPhone[k], d) {
				byPhone[k] = append(byPhone[k], d)
			}
		}
	}
	matches := map[*clientData][]registered{}
	// One query per phone column, each answered from its own index: SQLite
	// answers an OR of the two by reading the whole register.
	for _, column := range []struct{ name, index string }{{"phone_idx", "clients_phone"}, {"phone2_idx", "clients_phone2"}} {
		err = s.clientsByIndex(ctx, q, orgID, column.name, column.index, phIdx, func(h registered, k string) {
			for _, d := range byPhone[k] {
				if d.Name == h.name && !slices.Contains(matches[d], h) {
					matches[d] = append(matches[d], h)
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("cases: duplicate name and phone: %w", err)
		}
	}
	for d, hs := range matches {
		slices.SortFunc(hs, func(a, b registered) int { return cmp.Compare(a.id, b.id) })
		for _, h := range hs[:min(len(hs), 10)] {
			out[d] = append(out[d], fmt.Sprintf("与已登记的服务对象%s（编号%s）姓名和电话相同，可能重复", pii.MaskName(h.name), ClientCode(h.id)))
		}
	}
	return out, nil
}

// indexedBy makes SQLite look the values of an IN list up in the named
// index. Its planner otherwise weighs the list against the statistics of
// the last ANALYZE, which an import outgrows: with a few hundred clients
// counted it reads the whole register for every chunk instead.
func (s *ClientService) indexedBy(index string) string {
	if s.DB.Dialect == db.SQLite {
		return " INDEXED BY " + index
	}
	return ""
}

// inChunks calls fn for each run of at most importChunk values, with the
// placeholders $2, $3 … of the run (the query's $1 is the organization) and
// the values as arguments.
// registered is a client of the register that an imported row may
// duplicate.
type registered struct {
	id   int64
	name string
}

// clientsByIndex finds the organization's clients whose blind-index column
// holds one of keys, a chunk of keys per query, looked up in the named
// index (see indexedBy), and passes each with the key it matched.
func (s *ClientService) clientsByIndex(ctx context.Context, q db.Querier, orgID int64, column, index string, keys []string,
	each func(h registered, key string)) error {
	return inChunks(keys, func(_ []string, list string, args []any) error {
		rows, err := q.QueryContext(ctx, `SELECT id, name, `+column+` FROM clients`+s.indexedBy(index)+`
			WHERE org_id = $1 AND `+column+` IN (`+list+`)`, append([]any{orgID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h registered
			var k string
			if err := rows.Scan(&h.id, &h.name, &k); err != nil {
				return err
			}
			each(h, k)
		}
		return rows.Err()
	})
}

func inChunks(vals []string, fn func(chunk []string, list string, args []any) error) error {
	for start := 0; start < len(vals); start += importChunk {
		chunk := vals[start:min(start+importChunk, len(vals))]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk))
		for i, v := range chunk {
			ph[i] = "$" + strconv.Itoa(i+2)
			args[i] = v
		}
		if err := fn(chunk, strings.Join(ph, ", "), args); err != nil {
			return err
		}
	}
	return nil
}

// insertClients stores the checked clients of a file in tx, with the
// statements prepared once for the whole file.
func (s *ClientService) insertClients(ctx context.Context, tx *sql.Tx, p *authz.Principal, list []*clientData) error {
	// On SQLite a statement that may fail half-way writes a statement
	// journal to a temporary file, page by page, for every insert. RETURNING
	// (run as a trigger) and foreign keys checked after each statement make
	// an insert such a statement, so on SQLite the id is read from the
	// result instead, and foreign keys are checked at commit (SQLite
	// switches this off again at the end of the transaction); the
	// references were checked with the file.
	lite := s.DB.Dialect == db.SQLite
	query := sqlInsertClient
	if lite {
		if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return fmt.Errorf("cases: defer foreign keys: %w", err)
		}
		query = strings.TrimSuffix(strings.TrimSpace(query), "RETURNING id")
	}
	ins, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("cases: prepare insert client: %w", err)
	}
	defer ins.Close()
	link, err := tx.PrepareContext(ctx, `INSERT INTO client_category_links (org_id, client_id, category_id) VALUES ($1, $2, $3)`)
	if err != nil {
		return fmt.Errorf("cases: prepare link category: %w", err)
	}
	defer link.Close()
	now := s.Now().UTC()
	for _, d := range list {
		e, err := s.encrypt(d)
		if err != nil {
			return err
		}
		args := []any{p.OrgID, d.Name, d.Gender, d.BirthDate, e.id, s.idIndex(d.IDNumber),
			e.phone, s.phoneIndex(d.Phone), e.phone2, s.phoneIndex(d.Phone2), e.address, nullID(d.TownID), d.Community,
			d.GuardianName, d.GuardianRelation, e.guardianPhone, d.WorkerID, d.SiteID, d.Status, d.Note, nullID(p.UserID),
			now}
		var id int64
		if lite {
			var res sql.Result
			if res, err = ins.ExecContext(ctx, args...); err == nil {
				id, err = res.LastInsertId()
			}
		} else {
			err = ins.QueryRowContext(ctx, args...).Scan(&id)
		}
		if err != nil {
			if db.IsUniqueViolation(err) {
				return idConflictByIndex(ctx, tx, p.OrgID, s.idIndex(d.IDNumber))
			}
			return fmt.Errorf("cases: insert client: %w", err)
		}
		for _, c := range d.CategoryIDs {
			if _, err := link.ExecContext(ctx, p.OrgID, id, c); err != nil {
				return fmt.Errorf("cases: link category: %w", err)
			}
		}
	}
	return nil
}
