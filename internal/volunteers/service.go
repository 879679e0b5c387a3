package volunteers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
	"shegong/internal/seqno"
)

// Service is the volunteer service; the HTML pages and the JSON API both
// call it.
type Service struct {
	DB     *db.DB
	Now    func() time.Time
	Cipher *pii.Cipher
}

// New returns the service. The cipher encrypts ID numbers, phones and
// addresses at rest.
func New(d *db.DB, now func() time.Time, c *pii.Cipher) *Service {
	return &Service{DB: d, Now: now, Cipher: c}
}

// today is the calendar date of the injected clock.
func (s *Service) today() app.Date { return app.Today(s.Now()) }

// SiteChoice is a service point as the volunteer pages offer it.
type SiteChoice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

const sqlSites = `SELECT s.id, s.name FROM sites s WHERE s.status = 'active' AND %s ORDER BY s.name, s.id`

// Sites lists the active service points p may use under perm, for filters
// and choices.
func (s *Service) Sites(ctx context.Context, p *authz.Principal, perm *authz.Perm) ([]SiteChoice, error) {
	var args app.Args
	where := p.Scope(perm).SQL(authz.Cols{Org: "s.org_id", Site: "s.id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, fmt.Sprintf(sqlSites, where), args...)
	if err != nil {
		return nil, fmt.Errorf("volunteers: sites: %w", err)
	}
	defer rows.Close()
	var out []SiteChoice
	for rows.Next() {
		var st SiteChoice
		if err := rows.Scan(&st.ID, &st.Name); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// checkSite validates that siteID is an active service point of p's
// organization within p's scope for perm; field names the form field.
// A failing database is an error, never "请选择有效的服务点": the user's
// choice was not wrong.
func checkSite(ctx context.Context, q db.Querier, p *authz.Principal, perm *authz.Perm, siteID int64, field string, v *app.Validation) (string, error) {
	if !v.Chosen(field, siteID, "服务点") {
		return "", nil
	}
	var name, status string
	err := q.QueryRowContext(ctx, `SELECT name, status FROM sites WHERE org_id = $1 AND id = $2`, p.OrgID, siteID).Scan(&name, &status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("volunteers: check service point: %w", err)
	}
	if err != nil || status != "active" {
		v.Add(field, "请选择有效的服务点")
		return "", nil
	}
	if !p.Scope(perm).Allows(siteObj(p.OrgID, siteID)) {
		v.Add(field, "您无权在该服务点登记")
		return "", nil
	}
	return name, nil
}

// siteObj is the scope facts of a record that belongs to one service point.
func siteObj(orgID, siteID int64) authz.Obj {
	return authz.Obj{OrgID: orgID, SiteIDs: []int64{siteID}}
}

// nextNumber takes the next gap-free number of kind for year inside tx.
func nextNumber(ctx context.Context, tx *sql.Tx, orgID int64, kind string, year int) (int, error) {
	return seqno.Next(ctx, tx, seqno.Key{OrgID: orgID, Kind: kind, Year: year})
}

// writeAudit records an action of p in tx.
func (s *Service) writeAudit(ctx context.Context, tx db.Querier, p *authz.Principal, action, objType string, id int64, detail string) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
		Action: action, ObjectType: objType, ObjectID: strconv.FormatInt(id, 10), Detail: detail})
}

// notFound turns a missing row into the usual not-found error.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return app.ErrNotFound(what)
	}
	return err
}

// conflictField is an EConflict error pointing at one form field.
func conflictField(field, format string, args ...any) error {
	e := app.Errorf(app.EConflict, format, args...)
	e.Fields = map[string]string{field: e.Message}
	return e
}

// invalidField is an EInvalid error pointing at one form field.
func invalidField(field, format string, args ...any) error {
	e := app.Errorf(app.EInvalid, format, args...)
	e.Fields = map[string]string{field: e.Message}
	return e
}

// clean trims s and collapses nothing else; text fields are kept as typed.
func clean(s string) string { return strings.TrimSpace(s) }

// Minutes is an amount of service time. Hours are derived from the exact
// sum of minutes, never from rounded per-record hours.
type Minutes int64

// Hours returns the time in hours (minutes / 60).
func (m Minutes) Hours() float64 { return float64(m) / 60 }

// String formats as hours with up to two decimals, rounded half up from
// the exact minutes: 90 → "1.5", 100 → "1.67", 120 → "2".
func (m Minutes) String() string {
	n := int64(m)
	neg := n < 0
	if neg {
		n = -n
	}
	// Hundredths of an hour, rounded half up: n*100/60.
	h := (n*100*2 + 60) / 120
	s := strconv.FormatInt(h/100, 10)
	if c := h % 100; c != 0 {
		if c%10 == 0 {
			s += "." + strconv.FormatInt(c/10, 10)
		} else {
			s += fmt.Sprintf(".%02d", c)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}

// WholeHours reports whether the time is a whole number of hours.
func (m Minutes) WholeHours() bool { return m%60 == 0 }

// HM formats as 3小时20分.
func (m Minutes) HM() string {
	n := int64(m)
	switch {
	case n%60 == 0:
		return fmt.Sprintf("%d小时", n/60)
	case n < 60:
		return fmt.Sprintf("%d分钟", n)
	}
	return fmt.Sprintf("%d小时%d分", n/60, n%60)
}
