package resources

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Service is the resource service; the HTML pages and the JSON API both
// call it.
type Service struct {
	DB  *db.DB
	Now func() time.Time
}

// New returns the service.
func New(d *db.DB, now func() time.Time) *Service { return &Service{DB: d, Now: now} }

func (s *Service) today() app.Date { return app.Today(s.Now()) }

// Choice is a code with its Chinese label.
type Choice struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// Kinds of linked resources.
var Kinds = []Choice{
	{"money", "资金"}, {"goods", "物资"}, {"venue", "场地"}, {"people", "人力"}, {"professional", "专业服务"},
}

// Methods of purchaser communication.
var Methods = []Choice{
	{"visit", "面谈"}, {"phone", "电话"}, {"wechat", "微信"}, {"meeting", "会议"}, {"letter", "书面"},
}

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

// SiteChoice is a service point offered in filters and forms.
type SiteChoice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Sites lists the active service points p may use under perm.
func (s *Service) Sites(ctx context.Context, p *authz.Principal, perm *authz.Perm) ([]SiteChoice, error) {
	var args app.Args
	where := p.Scope(perm).SQL(authz.Cols{Org: "s.org_id", Site: "s.id"}, args.Add)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT s.id, s.name FROM sites s WHERE s.status = 'active' AND `+where+
		` ORDER BY s.name, s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("resources: sites: %w", err)
	}
	defer rows.Close()
	var out []SiteChoice
	for rows.Next() {
		var c SiteChoice
		if err := rows.Scan(&c.ID, &c.Name); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func siteObj(orgID, siteID int64) authz.Obj { return authz.Obj{OrgID: orgID, SiteIDs: []int64{siteID}} }

// checkSite validates a chosen service point against p's write scope.
func checkSite(ctx context.Context, q db.Querier, p *authz.Principal, siteID int64, v *app.Validation) (string, error) {
	if !v.Chosen("site_id", siteID, "服务点") {
		return "", nil
	}
	var name, status string
	err := q.QueryRowContext(ctx, `SELECT name, status FROM sites WHERE org_id = $1 AND id = $2`, p.OrgID, siteID).Scan(&name, &status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		// A failed read is the server's fault, not the user's choice.
		return "", fmt.Errorf("resources: check service point: %w", err)
	}
	if err != nil || status != "active" {
		v.Add("site_id", "请选择有效的服务点")
		return "", nil
	}
	if !p.Scope(PermWrite).Allows(siteObj(p.OrgID, siteID)) {
		v.Add("site_id", "您无权为该服务点登记")
		return "", nil
	}
	return name, nil
}

var monthRE = regexp.MustCompile(`^(\d{4})[-/.年](\d{1,2})月?$`)

// ParseMonth parses "2026-03" (also 2026/3, 2026年3月) into the month's
// first day.
func ParseMonth(s string) (app.Date, bool) {
	m := monthRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return app.Date{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	if y < 2000 || y > 2200 || mo < 1 || mo > 12 {
		return app.Date{}, false
	}
	return app.NewDate(y, time.Month(mo), 1), true
}

// MonthLabel formats a month's first day as 2026-03.
func MonthLabel(d app.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format("2006-01")
}

// MonthName formats a month as 2026年3月.
func MonthName(d app.Date) string { return fmt.Sprintf("%d年%d月", d.Year(), int(d.Month())) }

func (s *Service) writeAudit(ctx context.Context, tx db.Querier, p *authz.Principal, action, objType string, id int64, detail string) error {
	return audit.Write(ctx, tx, audit.Entry{OrgID: p.OrgID, At: s.Now(), UserID: p.UserID, Username: p.Username,
		Action: action, ObjectType: objType, ObjectID: strconv.FormatInt(id, 10), Detail: detail})
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return app.ErrNotFound(what)
	}
	return err
}
