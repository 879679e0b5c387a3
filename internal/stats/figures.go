package stats

import (
	"context"
	"fmt"

	"shegong/internal/app"
	"shegong/internal/cases"
	"shegong/internal/db"
	"shegong/internal/groups"
	"shegong/internal/volunteers"
)

// Scope is what a figure covers: one organization and, optionally, one
// service point, one project and one worker. A zero id means "all".
type Scope struct {
	OrgID     int64 `json:"-"`
	SiteID    int64 `json:"site_id"`
	ProjectID int64 `json:"project_id"`
	StaffID   int64 `json:"staff_id"`
}

func (s Scope) groups() groups.CountFilter {
	return groups.CountFilter{OrgID: s.OrgID, SiteID: s.SiteID, ProjectID: s.ProjectID, StaffID: s.StaffID}
}

// Record is one record behind a figure, with what it adds to the figure.
type Record struct {
	ID     int64    `json:"id"`
	Date   app.Date `json:"date"`
	Title  string   `json:"title"`
	Detail string   `json:"detail"`
	SiteID int64    `json:"site_id"`
	Site   string   `json:"site"`
	Staff  string   `json:"staff"`
	Value  int64    `json:"value" doc:"该记录计入的数量；时数类为分钟"`
	Href   string   `json:"href" doc:"记录页面的地址"`
}

// Figure is one entry of the registry: a figure of the seed's service
// statistics. Count and Records belong to the business area that owns the
// records; Definition is the text next to that area's query.
type Figure struct {
	Key        string
	Label      string
	Unit       string // 个, 节, 人次, 人, 份, 小时
	Definition string
	ValueLabel string // the drill-down column of what each record adds
	// Minutes marks a figure counted in minutes and shown in hours.
	Minutes bool
	// NoProject marks a figure whose records belong to no project: with a
	// project scope it does not apply.
	NoProject bool
	Count     func(ctx context.Context, q db.Querier, s Scope, from, to app.Date) (int64, error)
	Records   func(ctx context.Context, q db.Querier, s Scope, from, to app.Date, lq app.ListQuery) ([]Record, int, error)
}

// Applies reports whether the figure can be counted in scope s.
func (f *Figure) Applies(s Scope) bool { return !(f.NoProject && s.ProjectID != 0) }

// Format shows a raw value: a count with thousands separators, minutes as
// hours with up to two decimals.
func (f *Figure) Format(raw int64) string {
	if f.Minutes {
		return formatHours(raw)
	}
	return groupDigits(raw)
}

// Number is the raw value in the figure's unit, for JSON: hours are
// rounded to two decimals.
func (f *Figure) Number(raw int64) float64 {
	if f.Minutes {
		return float64((raw*100*2+60)/120) / 100
	}
	return float64(raw)
}

// Figures is the registry, in the order of the seed's 服务数据统计.
var Figures = []*Figure{
	{Key: "cases_opened", Label: "个案", Unit: "个", Definition: cases.DefCasesOpened, ValueLabel: "计数", NoProject: true,
		Count: caseCount, Records: caseRecords},
	{Key: "groups_opened", Label: "开启小组", Unit: "个", Definition: groups.DefGroupsOpened, ValueLabel: "计数",
		Count: groupCount(groups.GroupsOpened), Records: groupRecords(groups.GroupsOpenedRecords, groupHref)},
	{Key: "group_sessions", Label: "小组节数", Unit: "节", Definition: groups.DefGroupSessions, ValueLabel: "计数",
		Count: groupCount(groups.GroupSessions), Records: groupRecords(groups.GroupSessionRecords, sessionHref)},
	{Key: "group_person_times", Label: "小组人次", Unit: "人次", Definition: groups.DefGroupPersonTimes, ValueLabel: "出席人次",
		Count: groupCount(groups.GroupPersonTimes), Records: groupRecords(groups.GroupPersonTimeRecords, sessionHref)},
	{Key: "activities", Label: "社区活动", Unit: "次", Definition: groups.DefActivities, ValueLabel: "计数",
		Count: groupCount(groups.Activities), Records: groupRecords(groups.ActivityRecords, activityHref)},
	{Key: "activity_participants", Label: "活动参与人数", Unit: "人", Definition: groups.DefActivityParticipants, ValueLabel: "参与人数",
		Count: groupCount(groups.ActivityParticipants), Records: groupRecords(groups.ParticipantRecords, activityHref)},
	{Key: "volunteer_person_times", Label: "义工人次", Unit: "人次", Definition: volunteers.DefVolunteerPersonTimes, ValueLabel: "计数",
		Count: volunteerCount(false), Records: volunteerRecords(false)},
	{Key: "volunteer_hours", Label: "义工服务时数", Unit: "小时", Definition: volunteers.DefVolunteerHours, ValueLabel: "服务时长（分钟）",
		Minutes: true, Count: volunteerCount(true), Records: volunteerRecords(true)},
	{Key: "publicity_materials", Label: "宣传品", Unit: "份", Definition: groups.DefPublicityMaterials, ValueLabel: "海报与单张",
		Count: groupCount(groups.PublicityMaterials), Records: groupRecords(groups.PublicityRecords, activityHref)},
}

// FigureByKey returns the registry entry for key.
func FigureByKey(key string) (*Figure, bool) {
	for _, f := range Figures {
		if f.Key == key {
			return f, true
		}
	}
	return nil, false
}

// groupCount adapts a count of the groups area.
func groupCount(count func(context.Context, db.Querier, groups.CountFilter, app.Date, app.Date) (int, error)) func(context.Context, db.Querier, Scope, app.Date, app.Date) (int64, error) {
	return func(ctx context.Context, q db.Querier, s Scope, from, to app.Date) (int64, error) {
		n, err := count(ctx, q, s.groups(), from, to)
		return int64(n), err
	}
}

// groupRecords adapts the records behind a count of the groups area.
func groupRecords(list func(context.Context, db.Querier, groups.CountFilter, app.Date, app.Date, app.ListQuery) ([]groups.CountedRecord, int, error),
	href func(groups.CountedRecord) string) func(context.Context, db.Querier, Scope, app.Date, app.Date, app.ListQuery) ([]Record, int, error) {
	return func(ctx context.Context, q db.Querier, s Scope, from, to app.Date, lq app.ListQuery) ([]Record, int, error) {
		rows, total, err := list(ctx, q, s.groups(), from, to, lq)
		if err != nil {
			return nil, 0, err
		}
		out := make([]Record, len(rows))
		for i, r := range rows {
			out[i] = Record{ID: r.ID, Date: r.Date, Title: r.Title, Detail: r.Detail, SiteID: r.SiteID, Site: r.SiteName,
				Staff: r.Staff, Value: int64(r.Value), Href: href(r)}
		}
		return out, total, nil
	}
}

func (s Scope) cases() cases.CountFilter {
	return cases.CountFilter{OrgID: s.OrgID, SiteID: s.SiteID, StaffID: s.StaffID}
}

func caseCount(ctx context.Context, q db.Querier, s Scope, from, to app.Date) (int64, error) {
	n, err := cases.CasesOpened(ctx, q, s.cases(), from, to)
	return int64(n), err
}

// caseRecords lists the cases opened, by number and state: the client is
// not named in statistics.
func caseRecords(ctx context.Context, q db.Querier, s Scope, from, to app.Date, lq app.ListQuery) ([]Record, int, error) {
	rows, total, err := cases.OpenedRecords(ctx, q, s.cases(), from, to, lq)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = Record{ID: r.ID, Date: r.OpenedOn, Title: "个案 " + r.Number, Detail: "目前：" + cases.StateLabel(r.State),
			SiteID: r.SiteID, Site: r.SiteName, Staff: r.Worker, Value: 1, Href: fmt.Sprintf("/cases/%d", r.ID)}
	}
	return out, total, nil
}

func (s Scope) volunteers() volunteers.CountFilter {
	return volunteers.CountFilter{OrgID: s.OrgID, SiteID: s.SiteID, ProjectID: s.ProjectID, StaffID: s.StaffID}
}

// volunteerCount counts person-times, or minutes when minutes is set.
func volunteerCount(minutes bool) func(context.Context, db.Querier, Scope, app.Date, app.Date) (int64, error) {
	return func(ctx context.Context, q db.Querier, s Scope, from, to app.Date) (int64, error) {
		if minutes {
			m, err := volunteers.HoursFor(ctx, q, s.volunteers(), from, to)
			return int64(m), err
		}
		n, err := volunteers.PersonTimesFor(ctx, q, s.volunteers(), from, to)
		return int64(n), err
	}
}

// volunteerRecords lists the service records; each adds one person-time,
// or its minutes when minutes is set.
func volunteerRecords(minutes bool) func(context.Context, db.Querier, Scope, app.Date, app.Date, app.ListQuery) ([]Record, int, error) {
	return func(ctx context.Context, q db.Querier, s Scope, from, to app.Date, lq app.ListQuery) ([]Record, int, error) {
		rows, total, err := volunteers.CountedRecords(ctx, q, s.volunteers(), from, to, lq)
		if err != nil {
			return nil, 0, err
		}
		out := make([]Record, len(rows))
		for i, r := range rows {
			detail := r.Name
			if r.Team != "" {
				detail += " · " + r.Team
			}
			out[i] = Record{ID: r.ID, Date: r.Date, Title: r.Activity, Detail: detail, SiteID: r.SiteID, Site: r.SiteName,
				Staff: r.Recorder, Value: 1, Href: fmt.Sprintf("/volunteer-services/%d", r.ID)}
			if minutes {
				out[i].Value = int64(r.Minutes)
			}
		}
		return out, total, nil
	}
}

func groupHref(r groups.CountedRecord) string { return fmt.Sprintf("/groups/%d", r.ID) }
func sessionHref(r groups.CountedRecord) string {
	return fmt.Sprintf("/groups/%d/sessions/%d", r.GroupID, r.ID)
}
func activityHref(r groups.CountedRecord) string { return fmt.Sprintf("/activities/%d", r.ID) }

func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var b []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// formatHours shows minutes as hours with up to two decimals, rounded half
// up from the exact minutes: 90 → 1.5, 100 → 1.67, 192300 → 3,205.
func formatHours(minutes int64) string {
	neg := minutes < 0
	if neg {
		minutes = -minutes
	}
	h := (minutes*100*2 + 60) / 120 // hundredths of an hour
	s := groupDigits(h / 100)
	if c := h % 100; c != 0 {
		if c%10 == 0 {
			s += fmt.Sprintf(".%d", c/10)
		} else {
			s += fmt.Sprintf(".%02d", c)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}
