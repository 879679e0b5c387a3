package resources

import (
	"context"
	"fmt"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/reminder"
)

// Monthly registrations are reminders for the centre head (their service
// points) and the administration head (every service point), over calendar
// months of the injected clock.

// LinkDeadlineDay is the day of the month by which the previous month's
// resource links are registered.
const LinkDeadlineDay = 5

// CommDueDay is the day of the month from which a month without purchaser
// communication is shown as due; it is overdue once the month has ended.
const CommDueDay = 25

// localStart is the instant a calendar date begins in the agencies' zone.
func localStart(d app.Date) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, app.Local).UTC()
}

// sitesMissing lists the active service points in p's reminder scope that
// existed before `existed` and for which missing(s) holds.
func sitesMissing(ctx context.Context, q db.Querier, p *authz.Principal, existed app.Date, missing string, args app.Args) ([][2]any, error) {
	where := p.Scope(PermRemind).SQL(authz.Cols{Org: "s.org_id", Site: "s.id"}, args.Add)
	before := args.Add(localStart(existed))
	rows, err := q.QueryContext(ctx, `SELECT s.id, s.name FROM sites s WHERE s.status = 'active' AND s.created_at < `+before+
		` AND `+where+` AND `+missing+` ORDER BY s.name, s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]any
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out = append(out, [2]any{id, name})
	}
	return out, rows.Err()
}

// LinkRule reminds of service points that have not registered last
// month's resource links (or reported none) after the 5th of this month.
type LinkRule struct{}

func (LinkRule) Name() string  { return "resource_link_missing" }
func (LinkRule) Label() string { return "资源链接未登记" }

// Items lists the service points missing last month's registration.
func (LinkRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	if !p.Scope(PermRemind).Any() || today.Day() <= LinkDeadlineDay {
		return nil, nil
	}
	month := today.MonthStart().AddMonths(-1)
	var args app.Args
	m := args.Add(month)
	missing := `NOT EXISTS (SELECT 1 FROM resource_links l WHERE l.org_id = s.org_id AND l.site_id = s.id AND l.month = ` + m + `)
		AND NOT EXISTS (SELECT 1 FROM resource_nil_reports n WHERE n.org_id = s.org_id AND n.site_id = s.id AND n.month = ` + m + `)`
	sites, err := sitesMissing(ctx, q, p, today.MonthStart(), missing, args)
	if err != nil {
		return nil, err
	}
	due := today.MonthStart().AddDays(LinkDeadlineDay - 1)
	var out []reminder.Item
	for _, s := range sites {
		out = append(out, reminder.Item{
			Title:   fmt.Sprintf("%s · %s资源链接", s[1], MonthName(month)),
			Detail:  fmt.Sprintf("应于 %s 前登记上月资源链接（没有资源也须报告），已逾期 %d 天", due, due.DaysUntil(today)),
			Href:    fmt.Sprintf("/resources/status?month=%s", MonthLabel(month)),
			Due:     due,
			Overdue: true,
		})
	}
	return out, nil
}

// CommRule reminds of service points without a purchaser communication in
// the current month from the 25th on, and, overdue, of those that had
// none in the month just ended.
type CommRule struct{}

func (CommRule) Name() string  { return "purchaser_comm_missing" }
func (CommRule) Label() string { return "用人单位沟通未记录" }

// Items lists the service points missing this or last month's communication.
func (CommRule) Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]reminder.Item, error) {
	if !p.Scope(PermRemind).Any() {
		return nil, nil
	}
	var out []reminder.Item
	check := func(month app.Date, overdue bool) error {
		var args app.Args
		from, to := args.Add(month), args.Add(month.MonthEnd())
		missing := `NOT EXISTS (SELECT 1 FROM purchaser_comms c WHERE c.org_id = s.org_id AND c.site_id = s.id
			AND c.comm_date >= ` + from + ` AND c.comm_date <= ` + to + `)`
		existed := month.MonthEnd().AddDays(1)
		if !overdue {
			existed = today.AddDays(1)
		}
		sites, err := sitesMissing(ctx, q, p, existed, missing, args)
		if err != nil {
			return err
		}
		due := month.MonthEnd()
		for _, s := range sites {
			it := reminder.Item{
				Title: fmt.Sprintf("%s · %s用人单位沟通", s[1], MonthName(month)),
				Href:  fmt.Sprintf("/purchaser-comms/new?site_id=%d", s[0]),
				Due:   due, Overdue: overdue,
			}
			if overdue {
				it.Detail = fmt.Sprintf("%s 没有与用人单位沟通的记录，已逾期 %d 天", MonthName(month), due.DaysUntil(today))
			} else {
				it.Detail = fmt.Sprintf("本月尚未记录与用人单位的沟通，请于 %s 前完成", due)
			}
			out = append(out, it)
		}
		return nil
	}
	if err := check(today.MonthStart().AddMonths(-1), true); err != nil {
		return nil, err
	}
	if today.Day() >= CommDueDay {
		if err := check(today.MonthStart(), false); err != nil {
			return nil, err
		}
	}
	return out, nil
}
