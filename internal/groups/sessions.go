package groups

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/authz"
	"shegong/internal/db"
	"shegong/internal/pii"
	"shegong/internal/tally"
)

// Member is a group member: a registered client or a named participant.
type Member struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	ClientID int64    `json:"client_id,omitempty"` // the client register's id, when registered
	Gender   string   `json:"gender"`
	Note     string   `json:"note"`
	JoinedOn app.Date `json:"joined_on"`
	LeftOn   app.Date `json:"left_on"`
	Attended int      `json:"attended"` // sessions attended
}

// KindName says whether the member is a registered client or a participant.
func (m Member) KindName() string {
	if m.ClientID != 0 {
		return "服务对象"
	}
	return "参与者"
}

// ActiveOn reports whether the member belonged to the group on day d.
func (m Member) ActiveOn(d app.Date) bool { return m.LeftOn.IsZero() || !m.LeftOn.Before(d) }

// MemberInput adds a member to a group.
type MemberInput struct {
	Name     string   `json:"name"`
	ClientID int64    `json:"client_id" doc:"已登记服务对象的编号；社区参与者为 0"`
	Gender   string   `json:"gender" doc:"男、女或空"`
	Note     string   `json:"note"`
	JoinedOn app.Date `json:"joined_on" doc:"入组日期，默认今天"`
}

// Stages of group work (MZ/T 095-2017), recorded per session, optional.
var Stages = []string{"preparation", "formation", "transition", "maturity", "ending"}

// StageName is the Chinese name of a stage.
func StageName(s string) string {
	switch s {
	case "preparation":
		return "筹备期"
	case "formation":
		return "形成期"
	case "transition":
		return "转折期"
	case "maturity":
		return "成熟期"
	case "ending":
		return "结束期"
	}
	return s
}

// Session is one session (节) of a group with its attendance.
type Session struct {
	ID        int64    `json:"id"`
	No        int      `json:"no"` // position by date: 第 No 节
	HeldOn    app.Date `json:"held_on"`
	StartTime string   `json:"start_time"`
	EndTime   string   `json:"end_time"`
	Place     string   `json:"place"`
	Topic     string   `json:"topic"`
	Content   string   `json:"content"`
	Stage     string   `json:"stage"`
	StageName string   `json:"stage_name"`
	Note      string   `json:"note"`
	// Present lists the ids of the members marked present; Absent those
	// marked absent. Person-times of the session = len(Present).
	Present []int64   `json:"present"`
	Absent  []int64   `json:"absent"`
	Version int64     `json:"version"`
	Updated time.Time `json:"updated_at"`
}

// IsPresent reports whether member id was marked present.
func (s Session) IsPresent(id int64) bool { return slices.Contains(s.Present, id) }

// SessionInput records or edits a session with its attendance: Present
// lists the members who came; every other member in the group on that day
// is marked absent.
type SessionInput struct {
	HeldOn    app.Date `json:"held_on"`
	StartTime string   `json:"start_time"`
	EndTime   string   `json:"end_time"`
	Place     string   `json:"place"`
	Topic     string   `json:"topic"`
	Content   string   `json:"content"`
	Stage     string   `json:"stage" doc:"小组阶段（可空）：preparation 筹备期、formation 形成期、transition 转折期、maturity 成熟期、ending 结束期"`
	Note      string   `json:"note"`
	Present   []int64  `json:"present" doc:"出席的组员编号；当天在组的其他组员记为缺席"`
	Version   int64    `json:"version,omitempty" doc:"修改时必填：读取到的本节版本号"`
}

// MaxMembers caps a group's membership.
const MaxMembers = 300

func (s *Service) members(ctx context.Context, q db.Querier, orgID, groupID int64, mask bool) ([]Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.id, m.name, COALESCE(m.client_id, 0), m.gender, m.note, m.joined_on, m.left_on,
		(SELECT COUNT(*) FROM group_attendance a WHERE a.org_id = m.org_id AND a.member_id = m.id AND a.present)
		FROM group_members m WHERE m.org_id = $1 AND m.group_id = $2 ORDER BY m.id`, orgID, groupID)
	if err != nil {
		return nil, fmt.Errorf("groups: list members: %w", err)
	}
	defer rows.Close()
	out := []Member{}
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.Name, &m.ClientID, &m.Gender, &m.Note, &m.JoinedOn, &m.LeftOn, &m.Attended); err != nil {
			return nil, err
		}
		if mask {
			m.Name = pii.MaskName(m.Name)
			m.Note = ""
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Service) sessions(ctx context.Context, q db.Querier, orgID, groupID int64) ([]Session, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, held_on, start_time, end_time, place, topic, content, stage, note, version, updated_at
		FROM group_sessions WHERE org_id = $1 AND group_id = $2 ORDER BY held_on, id`, orgID, groupID)
	if err != nil {
		return nil, fmt.Errorf("groups: list sessions: %w", err)
	}
	out := []Session{}
	idx := map[int64]int{}
	for rows.Next() {
		var se Session
		if err := rows.Scan(&se.ID, &se.HeldOn, &se.StartTime, &se.EndTime, &se.Place, &se.Topic, &se.Content,
			&se.Stage, &se.Note, &se.Version, &se.Updated); err != nil {
			rows.Close()
			return nil, err
		}
		se.No = len(out) + 1
		se.StageName = StageName(se.Stage)
		se.Present, se.Absent = []int64{}, []int64{}
		idx[se.ID] = len(out)
		out = append(out, se)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	marks, err := q.QueryContext(ctx, `SELECT a.session_id, a.member_id, a.present FROM group_attendance a
		JOIN group_sessions s ON s.org_id = a.org_id AND s.id = a.session_id
		WHERE s.org_id = $1 AND s.group_id = $2 ORDER BY a.session_id, a.member_id`, orgID, groupID)
	if err != nil {
		return nil, fmt.Errorf("groups: list attendance: %w", err)
	}
	defer marks.Close()
	for marks.Next() {
		var sid, mid int64
		var present bool
		if err := marks.Scan(&sid, &mid, &present); err != nil {
			return nil, err
		}
		i, ok := idx[sid]
		if !ok {
			continue
		}
		if present {
			out[i].Present = append(out[i].Present, mid)
		} else {
			out[i].Absent = append(out[i].Absent, mid)
		}
	}
	return out, marks.Err()
}

// Sessions returns the sessions of a group in p's scope, with attendance.
func (s *Service) Sessions(ctx context.Context, p *authz.Principal, groupID int64) ([]Session, error) {
	if _, err := s.GetGroup(ctx, p, groupID); err != nil {
		return nil, err
	}
	return s.sessions(ctx, s.DB.R, p.OrgID, groupID)
}

// Members returns the members of a group in p's scope; names are masked
// for readers who may not record for the group.
func (s *Service) Members(ctx context.Context, p *authz.Principal, groupID int64) ([]Member, error) {
	g, err := s.GetGroup(ctx, p, groupID)
	if err != nil {
		return nil, err
	}
	return s.members(ctx, s.DB.R, p.OrgID, groupID, !CanWriteGroup(p, g))
}

// Session returns one session of a group in p's scope: what Sessions
// gives for it (its number among the group's sessions included), read on
// its own.
func (s *Service) Session(ctx context.Context, p *authz.Principal, groupID, sessionID int64) (*Session, error) {
	if _, err := s.GetGroup(ctx, p, groupID); err != nil {
		return nil, err
	}
	q := s.DB.R
	var se Session
	err := q.QueryRowContext(ctx, `SELECT id, held_on, start_time, end_time, place, topic, content, stage, note, version, updated_at
		FROM group_sessions WHERE org_id = $1 AND group_id = $2 AND id = $3`, p.OrgID, groupID, sessionID).Scan(
		&se.ID, &se.HeldOn, &se.StartTime, &se.EndTime, &se.Place, &se.Topic, &se.Content,
		&se.Stage, &se.Note, &se.Version, &se.Updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("节次")
	}
	if err != nil {
		return nil, fmt.Errorf("groups: session: %w", err)
	}
	// Its number: the sessions before it in the list's order (date, id).
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM group_sessions WHERE org_id = $1 AND group_id = $2
		AND (held_on < $3 OR (held_on = $3 AND id < $4))`, p.OrgID, groupID, se.HeldOn, se.ID).Scan(&se.No); err != nil {
		return nil, fmt.Errorf("groups: session number: %w", err)
	}
	se.No++
	se.StageName = StageName(se.Stage)
	se.Present, se.Absent = []int64{}, []int64{}
	marks, err := q.QueryContext(ctx, `SELECT member_id, present FROM group_attendance
		WHERE org_id = $1 AND session_id = $2 ORDER BY member_id`, p.OrgID, se.ID)
	if err != nil {
		return nil, fmt.Errorf("groups: session attendance: %w", err)
	}
	defer marks.Close()
	for marks.Next() {
		var mid int64
		var present bool
		if err := marks.Scan(&mid, &present); err != nil {
			return nil, err
		}
		if present {
			se.Present = append(se.Present, mid)
		} else {
			se.Absent = append(se.Absent, mid)
		}
	}
	return &se, marks.Err()
}

// AddMember adds a member to a group that has not finished.
func (s *Service) AddMember(ctx context.Context, p *authz.Principal, groupID int64, in MemberInput) (int64, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Gender = strings.TrimSpace(in.Gender)
	in.Note = strings.TrimSpace(in.Note)
	now := s.Now().UTC()
	today := app.Today(s.Now())
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.writableGroup(ctx, tx, p, groupID)
		if err != nil {
			return err
		}
		var v app.Validation
		if v.Required("name", in.Name, "姓名") {
			v.MaxLen("name", in.Name, "姓名", 30)
		}
		if in.ClientID < 0 {
			v.Add("client_id", "服务对象编号不正确")
		}
		if in.Gender != "" {
			v.OneOf("gender", in.Gender, "性别", "男", "女")
		}
		v.MaxLen("note", in.Note, "备注", 200)
		if in.JoinedOn.IsZero() {
			in.JoinedOn = today
		}
		checkDate(&v, "joined_on", in.JoinedOn, "入组日期", today, true)
		if err := v.Err(); err != nil {
			return err
		}
		if g.Status == StatusFinished {
			return app.Errorf(app.EConflict, "小组已提交报告并结束，不能再新增组员")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM group_members WHERE org_id = $1 AND group_id = $2`,
			p.OrgID, groupID).Scan(&n); err != nil {
			return fmt.Errorf("groups: count members: %w", err)
		}
		if n >= MaxMembers {
			return app.Errorf(app.EConflict, "一个小组最多登记 %d 名组员", MaxMembers)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO group_members (org_id, group_id, name, client_id, gender, note, joined_on, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, p.OrgID, groupID, in.Name, nullID(in.ClientID),
			in.Gender, in.Note, in.JoinedOn, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert member: %w", err)
		}
		kind := "参与者"
		if in.ClientID != 0 {
			kind = fmt.Sprintf("服务对象 #%d", in.ClientID)
		}
		return audit.Write(ctx, tx, entry(p, now, "group.member.add", "group", groupID,
			fmt.Sprintf("%s（%s）", pii.MaskName(in.Name), kind)))
	})
	return id, err
}

// RemoveMember takes a member off a group. A member who never attended is
// deleted (entered by mistake); one who attended is marked as having left
// today, so that the person-times already counted stay. It reports whether
// the member was deleted.
func (s *Service) RemoveMember(ctx context.Context, p *authz.Principal, groupID, memberID int64) (bool, error) {
	now := s.Now().UTC()
	today := app.Today(s.Now())
	deleted := false
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.writableGroup(ctx, tx, p, groupID)
		if err != nil {
			return err
		}
		var name string
		var left app.Date
		var attended int
		err = tx.QueryRowContext(ctx, `SELECT m.name, m.left_on,
			(SELECT COUNT(*) FROM group_attendance a WHERE a.org_id = m.org_id AND a.member_id = m.id AND a.present)
			FROM group_members m WHERE m.org_id = $1 AND m.group_id = $2 AND m.id = $3`, p.OrgID, groupID, memberID).Scan(&name, &left, &attended)
		if errors.Is(err, sql.ErrNoRows) {
			return app.ErrNotFound("组员")
		}
		if err != nil {
			return fmt.Errorf("groups: get member: %w", err)
		}
		if g.Status == StatusFinished {
			return app.Errorf(app.EConflict, "小组已提交报告并结束，组员名单不能再修改")
		}
		if attended == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE org_id = $1 AND id = $2`, p.OrgID, memberID); err != nil {
				return fmt.Errorf("groups: delete member: %w", err)
			}
			deleted = true
			return audit.Write(ctx, tx, entry(p, now, "group.member.remove", "group", groupID, pii.MaskName(name)))
		}
		if !left.IsZero() {
			return app.Errorf(app.EConflict, "该组员已于 %s 退出小组", left)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_members SET left_on = $3 WHERE org_id = $1 AND id = $2`,
			p.OrgID, memberID, today); err != nil {
			return fmt.Errorf("groups: member leaves: %w", err)
		}
		return audit.Write(ctx, tx, entry(p, now, "group.member.leave", "group", groupID,
			fmt.Sprintf("%s，已出席 %d 节", pii.MaskName(name), attended)))
	})
	return deleted, err
}

func (in *SessionInput) normalize() {
	in.Place = strings.TrimSpace(in.Place)
	in.Topic = strings.TrimSpace(in.Topic)
	in.Content = strings.TrimSpace(in.Content)
	in.Stage = strings.TrimSpace(in.Stage)
	in.Note = strings.TrimSpace(in.Note)
	var present []int64
	for _, id := range in.Present {
		if !slices.Contains(present, id) {
			present = append(present, id)
		}
	}
	in.Present = present
}

func (in *SessionInput) check(v *app.Validation, today app.Date) {
	if in.HeldOn.IsZero() {
		v.Add("held_on", "日期不能为空")
	}
	checkDate(v, "held_on", in.HeldOn, "日期", today, true)
	checkTimes(v, &in.StartTime, &in.EndTime)
	v.MaxLen("place", in.Place, "地点", 60)
	if v.Required("topic", in.Topic, "本节主题") {
		v.MaxLen("topic", in.Topic, "本节主题", 60)
	}
	v.MaxLen("content", in.Content, "内容与过程", 4000)
	if in.Stage != "" {
		v.OneOf("stage", in.Stage, "小组阶段", Stages...)
	}
	v.MaxLen("note", in.Note, "备注", 500)
}

// writeAttendance replaces the marks of a session: every member in the
// group on the session's day gets a mark, present when listed. A listed id
// that is not such a member is a field error.
func (s *Service) writeAttendance(ctx context.Context, tx *sql.Tx, orgID, groupID, sessionID int64, held app.Date,
	present []int64, v *app.Validation) (int, int, error) {
	// The members' ids and leaving dates: who may be marked on the day.
	rows, err := tx.QueryContext(ctx, `SELECT id, left_on FROM group_members WHERE org_id = $1 AND group_id = $2 ORDER BY id`,
		orgID, groupID)
	if err != nil {
		return 0, 0, fmt.Errorf("groups: members to mark: %w", err)
	}
	var members []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.LeftOn); err != nil {
			rows.Close()
			return 0, 0, err
		}
		members = append(members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	eligible := map[int64]bool{}
	for _, m := range members {
		if m.ActiveOn(held) {
			eligible[m.ID] = true
		}
	}
	for _, id := range present {
		if !eligible[id] {
			v.Add("present", "出席名单中有不属于本小组（或当天已退出）的组员")
			return 0, 0, v.Err()
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM group_attendance WHERE org_id = $1 AND session_id = $2`, orgID, sessionID); err != nil {
		return 0, 0, fmt.Errorf("groups: clear attendance: %w", err)
	}
	came, absent := 0, 0
	for _, m := range members {
		if !eligible[m.ID] {
			continue
		}
		here := slices.Contains(present, m.ID)
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_attendance (org_id, session_id, member_id, present) VALUES ($1, $2, $3, $4)`,
			orgID, sessionID, m.ID, here); err != nil {
			return 0, 0, fmt.Errorf("groups: mark attendance: %w", err)
		}
		if here {
			came++
		} else {
			absent++
		}
	}
	return came, absent, nil
}

// CreateSession records a held session of a group with its attendance. The
// first session moves the group from planning to running.
func (s *Service) CreateSession(ctx context.Context, p *authz.Principal, groupID int64, in SessionInput) (int64, error) {
	in.normalize()
	now := s.Now().UTC()
	today := app.Today(s.Now())
	var id int64
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.writableGroup(ctx, tx, p, groupID)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v, today)
		if err := v.Err(); err != nil {
			return err
		}
		if g.Status == StatusFinished {
			return app.Errorf(app.EConflict, "小组已提交报告并结束，不能再记录新的节次")
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Opening(groupID))
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO group_sessions (org_id, group_id, held_on, start_time, end_time, place,
			topic, content, stage, note, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, 1) RETURNING id`, p.OrgID, groupID, in.HeldOn,
			in.StartTime, in.EndTime, in.Place, in.Topic, in.Content, in.Stage, in.Note, now).Scan(&id); err != nil {
			return fmt.Errorf("groups: insert session: %w", err)
		}
		came, absent, err := s.writeAttendance(ctx, tx, p.OrgID, groupID, id, in.HeldOn, in.Present, &v)
		if err != nil {
			return err
		}
		tr.Add(tally.Session(id))
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		if g.Status == StatusPlanning {
			if err := setGroupStatus(ctx, tx, p.OrgID, groupID, StatusRunning, now); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, entry(p, now, "group.session.create", "group", groupID,
			fmt.Sprintf("%s「%s」，出席 %d 人，缺席 %d 人", in.HeldOn, in.Topic, came, absent)))
	})
	return id, err
}

func setGroupStatus(ctx context.Context, tx *sql.Tx, orgID, groupID int64, status string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE groups SET status = $3, updated_at = $4 WHERE org_id = $1 AND id = $2`,
		orgID, groupID, status, now); err != nil {
		return fmt.Errorf("groups: set status: %w", err)
	}
	return nil
}

type storedSession struct {
	heldOn  app.Date
	topic   string
	version int64
}

func getSession(ctx context.Context, tx *sql.Tx, orgID, groupID, sessionID int64) (*storedSession, error) {
	var ss storedSession
	err := tx.QueryRowContext(ctx, `SELECT held_on, topic, version FROM group_sessions WHERE org_id = $1 AND group_id = $2 AND id = $3`,
		orgID, groupID, sessionID).Scan(&ss.heldOn, &ss.topic, &ss.version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.ErrNotFound("节次")
	}
	if err != nil {
		return nil, fmt.Errorf("groups: get session: %w", err)
	}
	return &ss, nil
}

// UpdateSession edits a session and its attendance. in.Version must be the
// session's version the editor loaded.
func (s *Service) UpdateSession(ctx context.Context, p *authz.Principal, groupID, sessionID int64, in SessionInput) error {
	in.normalize()
	now := s.Now().UTC()
	today := app.Today(s.Now())
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableGroup(ctx, tx, p, groupID); err != nil {
			return err
		}
		old, err := getSession(ctx, tx, p.OrgID, groupID, sessionID)
		if err != nil {
			return err
		}
		var v app.Validation
		in.check(&v, today)
		if in.Version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
		}
		if err := v.Err(); err != nil {
			return err
		}
		if old.version != in.Version {
			return ErrEditedElsewhere()
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Session(sessionID))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE group_sessions SET held_on = $4, start_time = $5, end_time = $6, place = $7,
			topic = $8, content = $9, stage = $10, note = $11, updated_at = $12, version = version + 1
			WHERE org_id = $1 AND group_id = $2 AND id = $3 AND version = $13`, p.OrgID, groupID, sessionID, in.HeldOn,
			in.StartTime, in.EndTime, in.Place, in.Topic, in.Content, in.Stage, in.Note, now, in.Version)
		if err != nil {
			return fmt.Errorf("groups: update session: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrEditedElsewhere()
		}
		came, absent, err := s.writeAttendance(ctx, tx, p.OrgID, groupID, sessionID, in.HeldOn, in.Present, &v)
		if err != nil {
			return err
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		var d changes
		d.Add("日期", old.heldOn.String(), in.HeldOn.String())
		d.Add("主题", old.topic, in.Topic)
		return audit.Write(ctx, tx, entry(p, now, "group.session.update", "group", groupID,
			fmt.Sprintf("%s「%s」：%s；出席 %d 人，缺席 %d 人", in.HeldOn, in.Topic, d, came, absent)))
	})
}

// SetAttendance replaces a session's attendance marks only (the quick
// check-list on a phone). version is the session's version.
func (s *Service) SetAttendance(ctx context.Context, p *authz.Principal, groupID, sessionID int64, present []int64, version int64) error {
	now := s.Now().UTC()
	in := SessionInput{Present: present}
	in.normalize()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.writableGroup(ctx, tx, p, groupID); err != nil {
			return err
		}
		old, err := getSession(ctx, tx, p.OrgID, groupID, sessionID)
		if err != nil {
			return err
		}
		var v app.Validation
		if version <= 0 {
			v.Add("version", "缺少版本号，请先读取记录再修改")
			return v.Err()
		}
		if old.version != version {
			return ErrEditedElsewhere()
		}
		// The bump is guarded too: on PostgreSQL another edit may commit
		// between the read above and this update.
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Session(sessionID))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE group_sessions SET updated_at = $4, version = version + 1
			WHERE org_id = $1 AND group_id = $2 AND id = $3 AND version = $5`, p.OrgID, groupID, sessionID, now, version)
		if err != nil {
			return fmt.Errorf("groups: touch session: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("groups: touch session: %w", err)
		} else if n != 1 {
			return ErrEditedElsewhere()
		}
		came, absent, err := s.writeAttendance(ctx, tx, p.OrgID, groupID, sessionID, old.heldOn, in.Present, &v)
		if err != nil {
			return err
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		return audit.Write(ctx, tx, entry(p, now, "group.attendance", "group", groupID,
			fmt.Sprintf("%s「%s」出席 %d 人，缺席 %d 人", old.heldOn, old.topic, came, absent)))
	})
}

// DeleteSession removes a session recorded by mistake, with its marks. A
// group left without sessions goes back to planning. Sessions of a
// finished group stay.
func (s *Service) DeleteSession(ctx context.Context, p *authz.Principal, groupID, sessionID int64) error {
	now := s.Now().UTC()
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		g, err := s.writableGroup(ctx, tx, p, groupID)
		if err != nil {
			return err
		}
		old, err := getSession(ctx, tx, p.OrgID, groupID, sessionID)
		if err != nil {
			return err
		}
		if g.Status == StatusFinished {
			return app.Errorf(app.EConflict, "小组已提交报告并结束，节次不能删除")
		}
		tr, err := tally.Begin(ctx, tx, p.OrgID, tally.Session(sessionID))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_sessions WHERE org_id = $1 AND group_id = $2 AND id = $3`,
			p.OrgID, groupID, sessionID); err != nil {
			return fmt.Errorf("groups: delete session: %w", err)
		}
		if err := tr.Commit(ctx, tx); err != nil {
			return err
		}
		if g.Sessions <= 1 {
			if err := setGroupStatus(ctx, tx, p.OrgID, groupID, StatusPlanning, now); err != nil {
				return err
			}
		}
		return audit.Write(ctx, tx, entry(p, now, "group.session.delete", "group", groupID,
			fmt.Sprintf("%s「%s」", old.heldOn, old.topic)))
	})
}
