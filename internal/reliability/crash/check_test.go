package crash

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"shegong/internal/db"
)

// checker looks at the database behind a (restarted) server and reports
// every way in which it does not hold what the server acknowledged.
type checker struct {
	d     *db.DB
	probs []string
}

func (c *checker) fail(format string, a ...any) {
	if len(c.probs) < 40 {
		c.probs = append(c.probs, fmt.Sprintf(format, a...))
	}
}

// ids runs a query returning one column of ids (or labels) and reports each
// as a problem named what.
func (c *checker) none(ctx context.Context, what, query string, args ...any) {
	rows, err := c.d.R.QueryContext(ctx, query, args...)
	if err != nil {
		c.fail("%s: query: %v", what, err)
		return
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			c.fail("%s: scan: %v", what, err)
			return
		}
		found = append(found, s.String)
	}
	if err := rows.Err(); err != nil {
		c.fail("%s: %v", what, err)
	}
	if len(found) > 0 {
		if len(found) > 10 {
			found = append(found[:10], "…")
		}
		c.fail("%s: %s", what, strings.Join(found, ", "))
	}
}

// checkDatabase runs every check and returns the problems found: the
// engine's own integrity check, the acknowledged writes, the audit rows of
// the written records and the state of every approval.
func checkDatabase(ctx context.Context, t testing.TB, d *db.DB, l *ledger) []string {
	c := &checker{d: d}
	var took []string
	step := func(name string, fn func(context.Context)) {
		t0 := time.Now()
		fn(ctx)
		took = append(took, fmt.Sprintf("%s %s", name, time.Since(t0).Round(time.Millisecond)))
	}
	step("integrity", c.integrity)
	l.mu.Lock()
	defer l.mu.Unlock()
	step("acknowledged", func(ctx context.Context) { c.acknowledged(ctx, l) })
	step("whole", c.whole)
	step("audited", c.audited)
	step("approvals", c.approvals)
	if os.Getenv("SHEGONG_CRASH_DEBUG") != "" {
		t.Logf("checks: %s", strings.Join(took, ", "))
	}
	return c.probs
}

// integrity: SQLite's integrity and foreign-key checks; on PostgreSQL the
// database answers and no constraint is left unvalidated.
func (c *checker) integrity(ctx context.Context) {
	if c.d.Dialect == db.SQLite {
		rows, err := c.d.R.QueryContext(ctx, `PRAGMA integrity_check`)
		if err != nil {
			c.fail("integrity_check: %v", err)
			return
		}
		var msgs []string
		for rows.Next() {
			var m string
			rows.Scan(&m)
			msgs = append(msgs, m)
		}
		rows.Close()
		if len(msgs) != 1 || msgs[0] != "ok" {
			c.fail("PRAGMA integrity_check: %s", strings.Join(msgs, "; "))
		}
		c.none(ctx, "PRAGMA foreign_key_check", `SELECT "table" || ' rowid ' || COALESCE(rowid, 0) || ' -> ' || parent FROM pragma_foreign_key_check`)
		return
	}
	var one int
	if err := c.d.R.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		c.fail("PostgreSQL does not answer: %v", err)
	}
	c.none(ctx, "constraints not validated", `SELECT conname FROM pg_constraint WHERE NOT convalidated`)
}

// markers returns marker -> ids for the rows whose column col starts with
// the harness's marker.
func (c *checker) markers(ctx context.Context, table, col string) map[string][]int64 {
	out := map[string][]int64{}
	rows, err := c.d.R.QueryContext(ctx, fmt.Sprintf(`SELECT id, %s FROM %s WHERE %s LIKE 'crash-%%'`, col, table, col))
	if err != nil {
		c.fail("%s: %v", table, err)
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m string
		if err := rows.Scan(&id, &m); err != nil {
			c.fail("%s: %v", table, err)
			return out
		}
		out[m] = append(out[m], id)
	}
	return out
}

func oneID(ids []int64, want int64) bool { return len(ids) == 1 && ids[0] == want }

// acknowledged: every acknowledged write is there under its id, nothing is
// there twice, and each decision has the outcome the server answered.
func (c *checker) acknowledged(ctx context.Context, l *ledger) {
	kinds := []struct {
		kind, table, col string
	}{
		{"followup", "case_followups", "content"},
		{"request", "general_requests", "title"},
		{"session", "group_sessions", "topic"},
		{"service", "volunteer_services", "activity_name"},
	}
	found := map[string]map[string][]int64{}
	for _, k := range kinds {
		found[k.kind] = c.markers(ctx, k.table, k.col)
		for m, ids := range found[k.kind] {
			if len(ids) > 1 {
				c.fail("%s %s stored %d times: %v", k.kind, m, len(ids), ids)
			}
		}
	}
	for _, a := range l.followups {
		if !oneID(found["followup"][a.Marker], a.ID) {
			c.fail("acknowledged follow-up %d (%s) missing: found %v", a.ID, a.Marker, found["followup"][a.Marker])
		}
	}
	for _, a := range l.requests {
		if !oneID(found["request"][a.Marker], a.ID) {
			c.fail("acknowledged general request %d (%s) missing: found %v", a.ID, a.Marker, found["request"][a.Marker])
		}
	}
	for _, a := range l.sessions {
		if !oneID(found["session"][a.Marker], a.ID) {
			c.fail("acknowledged group session %d (%s) missing: found %v", a.ID, a.Marker, found["session"][a.Marker])
			continue
		}
		rows, err := c.d.R.QueryContext(ctx, `SELECT member_id FROM group_attendance WHERE org_id = (SELECT org_id FROM group_sessions WHERE id = $1)
			AND session_id = $1 AND present ORDER BY member_id`, a.ID)
		if err != nil {
			c.fail("attendance of %d: %v", a.ID, err)
			continue
		}
		var got []int64
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			got = append(got, id)
		}
		rows.Close()
		if !slices.Equal(got, a.Present) && !(len(got) == 0 && len(a.Present) == 0) {
			c.fail("session %d: present %v, acknowledged %v", a.ID, got, a.Present)
		}
	}
	for _, a := range l.services {
		if !oneID(found["service"][a.Marker], a.ID) {
			c.fail("acknowledged volunteer service %d (%s) missing: found %v", a.ID, a.Marker, found["service"][a.Marker])
		}
	}
	for id, want := range l.decisions {
		var st string
		if err := c.d.R.QueryRowContext(ctx, `SELECT status FROM approvals WHERE id = $1`, id).Scan(&st); err != nil {
			c.fail("acknowledged decision on approval %d: %v", id, err)
		} else if st != want {
			c.fail("approval %d is %s, the decision acknowledged %s", id, st, want)
		}
	}
}

// whole: every record the load wrote, acknowledged or not, is complete: a
// follow-up has progress on each goal of its case (and the figures kept on
// every case equal its follow-ups), a session has attendance
// for the group's members, a general request is linked to its approval.
func (c *checker) whole(ctx context.Context) {
	c.none(ctx, "follow-ups without progress on every goal", `SELECT CAST(f.id AS TEXT) FROM case_followups f
		WHERE f.content LIKE 'crash-%'
		AND (SELECT COUNT(*) FROM case_goal_progress p WHERE p.org_id = f.org_id AND p.followup_id = f.id)
		 <> (SELECT COUNT(*) FROM case_goals g WHERE g.org_id = f.org_id AND g.case_id = f.case_id)`)
	c.none(ctx, "cases whose kept follow-up figures differ from their records", `SELECT CAST(c.id AS TEXT) FROM cases c
		WHERE COALESCE(c.last_followup_on, '1900-01-01') <> COALESCE((SELECT MAX(f.held_on) FROM case_followups f
			WHERE f.org_id = c.org_id AND f.case_id = c.id AND f.kind = 'service'), '1900-01-01')
		OR c.last_followup_month_count <> (SELECT COUNT(*) FROM case_followups f
			WHERE f.org_id = c.org_id AND f.case_id = c.id AND f.kind = 'service'
			AND substr(CAST(f.held_on AS TEXT), 1, 7) = substr(CAST(c.last_followup_on AS TEXT), 1, 7))`)
	c.none(ctx, "sessions without attendance", `SELECT CAST(s.id AS TEXT) FROM group_sessions s
		WHERE s.topic LIKE 'crash-%'
		AND NOT EXISTS (SELECT 1 FROM group_attendance a WHERE a.org_id = s.org_id AND a.session_id = s.id)`)
	c.none(ctx, "general requests without their approval", `SELECT CAST(r.id AS TEXT) FROM general_requests r
		WHERE r.title LIKE 'crash-%' AND NOT EXISTS (SELECT 1 FROM approvals a
		WHERE a.org_id = r.org_id AND a.id = r.approval_id AND a.kind = 'general' AND a.subject_id = r.id)`)
}

// audited: each record the load wrote has the audit row written in its
// transaction (same object, same moment).
func (c *checker) audited(ctx context.Context) {
	c.matchAudit(ctx, "follow-ups", `SELECT f.id, f.case_id, f.created_at FROM case_followups f WHERE f.content LIKE 'crash-%'`,
		"case.followup", "case")
	c.matchAudit(ctx, "group sessions", `SELECT s.id, s.group_id, s.created_at FROM group_sessions s WHERE s.topic LIKE 'crash-%'`,
		"group.session.create", "group")
	c.none(ctx, "volunteer services without their audit row", `SELECT CAST(s.id AS TEXT) FROM volunteer_services s
		WHERE s.activity_name LIKE 'crash-%' AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.org_id = s.org_id
		AND a.action = 'volunteer_service.create' AND a.object_type = 'volunteer_service' AND a.object_id = CAST(s.id AS TEXT))`)
	c.none(ctx, "general requests without their audit row", `SELECT CAST(r.id AS TEXT) FROM general_requests r
		WHERE r.title LIKE 'crash-%' AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.org_id = r.org_id
		AND a.action = 'general.create' AND a.object_type = 'general_request' AND a.object_id = CAST(r.id AS TEXT))`)
	// Each approval event (submit, approve, reject, …) has exactly one audit
	// row of the same action on the request, and no audit row lacks its event.
	for _, act := range []string{"submit", "approve", "reject", "resubmit", "withdraw"} {
		c.none(ctx, "approval "+act+" events and audit rows that do not match", `SELECT CAST(a.id AS TEXT) FROM approvals a
			WHERE (SELECT COUNT(*) FROM approval_events e WHERE e.org_id = a.org_id AND e.approval_id = a.id AND e.action = $1)
			  <> (SELECT COUNT(*) FROM audit_log l WHERE l.org_id = a.org_id AND l.object_type = 'approval'
			      AND l.object_id = CAST(a.id AS TEXT) AND l.action = $2)`, act, "approval."+act)
	}
}

// matchAudit pairs each record (id, audited object id, created_at) with an
// audit row of the action on that object written at the same moment (the
// audit log keeps microseconds), one row per record.
func (c *checker) matchAudit(ctx context.Context, what, records, action, objectType string) {
	type key struct {
		obj string
		at  int64
	}
	rows, err := c.d.R.QueryContext(ctx, records)
	if err != nil {
		c.fail("%s: %v", what, err)
		return
	}
	type rec struct {
		id int64
		k  key
	}
	var recs []rec
	var from time.Time
	for rows.Next() {
		var id, obj int64
		var at time.Time
		if err := rows.Scan(&id, &obj, &at); err != nil {
			rows.Close()
			c.fail("%s: %v", what, err)
			return
		}
		at = at.UTC().Truncate(time.Microsecond)
		if from.IsZero() || at.Before(from) {
			from = at
		}
		recs = append(recs, rec{id, key{strconv.FormatInt(obj, 10), at.UnixMicro()}})
	}
	rows.Close()
	if len(recs) == 0 {
		return
	}
	audits := map[key]int{}
	rows, err = c.d.R.QueryContext(ctx, `SELECT object_id, at FROM audit_log WHERE action = $1 AND object_type = $2 AND at >= $3`,
		action, objectType, from.Add(-time.Second))
	if err != nil {
		c.fail("%s: audit rows: %v", what, err)
		return
	}
	for rows.Next() {
		var obj string
		var at time.Time
		if err := rows.Scan(&obj, &at); err != nil {
			rows.Close()
			c.fail("%s: audit rows: %v", what, err)
			return
		}
		audits[key{obj, at.UTC().UnixMicro()}]++
	}
	rows.Close()
	var missing []string
	for _, r := range recs {
		if audits[r.k] > 0 {
			audits[r.k]--
			continue
		}
		missing = append(missing, strconv.FormatInt(r.id, 10))
	}
	if len(missing) > 0 {
		if len(missing) > 10 {
			missing = append(missing[:10], "…")
		}
		c.fail("%s without their %s audit row: %s", what, action, strings.Join(missing, ", "))
	}
}

// approvals: no approval is half-made. A pending request has exactly one
// pending step, the one it names as current; a decided one has no open
// step; each decided step has its decider and its event and each decision
// event its step; a case waiting for approval has its pending request and a
// pending case request its waiting case.
func (c *checker) approvals(ctx context.Context) {
	c.none(ctx, "pending approvals without exactly one pending step", `SELECT CAST(a.id AS TEXT) FROM approvals a
		WHERE a.status = 'pending' AND (SELECT COUNT(*) FROM approval_steps s WHERE s.org_id = a.org_id
		AND s.approval_id = a.id AND s.round = a.round AND s.status = 'pending') <> 1`)
	c.none(ctx, "pending approvals whose current step is not the pending one", `SELECT CAST(a.id AS TEXT) FROM approvals a
		JOIN approval_steps s ON s.org_id = a.org_id AND s.approval_id = a.id AND s.round = a.round AND s.status = 'pending'
		WHERE a.status = 'pending' AND s.seq <> a.current_step`)
	c.none(ctx, "pending steps nobody can decide", `SELECT CAST(s.id AS TEXT) FROM approval_steps s
		WHERE s.status = 'pending' AND NOT EXISTS (SELECT 1 FROM approval_step_assignees x
		WHERE x.org_id = s.org_id AND x.step_id = s.id)`)
	c.none(ctx, "decided approvals with an open step", `SELECT CAST(a.id AS TEXT) FROM approvals a
		WHERE a.status <> 'pending' AND EXISTS (SELECT 1 FROM approval_steps s WHERE s.org_id = a.org_id
		AND s.approval_id = a.id AND s.round = a.round AND s.status IN ('waiting', 'pending'))`)
	c.none(ctx, "approved requests with a step neither approved nor skipped", `SELECT CAST(a.id AS TEXT) FROM approvals a
		WHERE a.status = 'approved' AND EXISTS (SELECT 1 FROM approval_steps s WHERE s.org_id = a.org_id
		AND s.approval_id = a.id AND s.round = a.round AND s.status NOT IN ('approved', 'skipped'))`)
	c.none(ctx, "rejected requests without a rejected step", `SELECT CAST(a.id AS TEXT) FROM approvals a
		WHERE a.status = 'rejected' AND NOT EXISTS (SELECT 1 FROM approval_steps s WHERE s.org_id = a.org_id
		AND s.approval_id = a.id AND s.round = a.round AND s.status = 'rejected')`)
	c.none(ctx, "decided requests without a decision time", `SELECT CAST(id AS TEXT) FROM approvals
		WHERE status IN ('approved', 'rejected') AND decided_at IS NULL`)
	c.none(ctx, "decided steps without decider or event", `SELECT CAST(s.id AS TEXT) FROM approval_steps s
		WHERE s.status IN ('approved', 'rejected') AND (s.decided_by IS NULL OR s.decided_at IS NULL
		OR NOT EXISTS (SELECT 1 FROM approval_events e WHERE e.org_id = s.org_id AND e.step_id = s.id
		AND e.action = CASE s.status WHEN 'approved' THEN 'approve' ELSE 'reject' END))`)
	c.none(ctx, "decision events whose step is not decided that way", `SELECT CAST(e.id AS TEXT) FROM approval_events e
		JOIN approval_steps s ON s.org_id = e.org_id AND s.id = e.step_id
		WHERE e.action IN ('approve', 'reject')
		AND s.status <> CASE e.action WHEN 'approve' THEN 'approved' ELSE 'rejected' END`)
	for _, k := range []struct{ state, kind string }{{"pending_open", "case_open"}, {"pending_close", "case_close"}} {
		c.none(ctx, "cases "+k.state+" without a pending "+k.kind+" request", `SELECT c.number FROM cases c
			WHERE c.state = $1 AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.org_id = c.org_id
			AND a.subject_type = 'case' AND a.subject_id = c.id AND a.kind = $2 AND a.status = 'pending')`, k.state, k.kind)
		c.none(ctx, "pending "+k.kind+" requests whose case is not "+k.state, `SELECT CAST(a.id AS TEXT) FROM approvals a
			JOIN cases c ON c.org_id = a.org_id AND c.id = a.subject_id
			WHERE a.kind = $2 AND a.status = 'pending' AND a.subject_type = 'case' AND c.state <> $1`, k.state, k.kind)
	}
}

// auditVerify runs `shegong audit verify` on the target and returns its
// answer; the command exits 1 on any broken link.
func auditVerify(t testing.TB, g target) (string, error) {
	out, err := runCmd(t, append([]string{"audit", "verify"}, g.args()...)...)
	if err == nil && !strings.Contains(out, "audit log intact") {
		err = fmt.Errorf("unexpected answer")
	}
	return strings.TrimSpace(out), err
}

// counts summarizes the ledger for the log and the report.
func (l *ledger) counts() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return "acknowledged " + strconv.Itoa(l.acked) + " of " + strconv.Itoa(l.sent) + " writes sent (" +
		strconv.Itoa(len(l.followups)) + " follow-ups, " + strconv.Itoa(len(l.requests)) + " general requests, " +
		strconv.Itoa(len(l.decisions)) + " decisions, " + strconv.Itoa(len(l.sessions)) + " group sessions, " +
		strconv.Itoa(len(l.services)) + " volunteer services); " + strconv.Itoa(len(l.unknown)) + " in flight at a kill"
}
