package concurrency_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"shegong/internal/authz"
	"shegong/internal/dbtest"
	"shegong/internal/testenv"
)

// TestEditCommittedInBetween pins the race the suite found on PostgreSQL:
// a service read a record's version, checked it, and then updated the row
// without the version in its WHERE clause. Under READ COMMITTED another edit
// committing between the read and the update was silently overwritten.
//
// Each write here starts while another transaction holds the row with a
// newer version not yet committed: the request reads the old version,
// passes the check and queues on the row; once the other transaction
// commits, the request must answer 409 instead of overwriting it.
// SQLite cannot interleave like this (one writer, BEGIN IMMEDIATE), so
// the test runs on PostgreSQL only.
func TestEditCommittedInBetween(t *testing.T) {
	e := testenv.New(t, dbtest.PostgresDSN(t))
	o := e.Org("lvye", "绿叶社工")
	north := o.Site("黄江镇北岸社区综合服务中心", "centre")
	spare := o.Site("备用项目点", "project")
	worker := o.User("wang", true, authz.RoleWorker).Assign(north, "worker")
	leaver := o.User("li", true, authz.RoleWorker).Assign(north, "worker")
	w := &world{t: t, e: e, tr: &http.Transport{}, north: north}
	api, admin, hr := w.apiAs(worker), w.apiAs(o.User("admin", false, authz.RoleOrgAdmin)), w.apiAs(o.User("hr", false, authz.RoleHR))

	vol := w.newVolunteer(api, "13900000001")
	rec := id(t, "service record", api.json("POST", "/api/v1/volunteers/services", map[string]any{"volunteer_id": vol,
		"activity_name": "长者探访", "service_date": "2026-02-10", "start_time": "09:00", "end_time": "12:00"}))
	group := id(t, "group", api.json("POST", "/api/v1/groups", map[string]any{"name": "长者小组", "kind": "education",
		"site_id": north, "leader_id": worker.StaffID, "planned_sessions": 4, "plan_start": "2026-03-01"}))
	member := id(t, "member", api.json("POST", fmt.Sprintf("/api/v1/groups/%d/members", group), map[string]any{"name": "陈伯"}))
	session := id(t, "session", api.json("POST", fmt.Sprintf("/api/v1/groups/%d/sessions", group),
		map[string]any{"held_on": "2026-03-02", "topic": "认识高血压", "present": []int64{}}))

	for _, c := range []struct {
		name, table string
		id          int64
		write       func(version int64) response
	}{
		{"volunteer", "volunteers", vol, func(v int64) response {
			return api.json("PUT", fmt.Sprintf("/api/v1/volunteers/%d", vol), map[string]any{"site_id": north, "name": "陈志愿",
				"status": "active", "joined_on": "2026-03-02", "note": "改一改", "version": v})
		}},
		{"service record", "volunteer_services", rec, func(v int64) response {
			return api.json("PUT", fmt.Sprintf("/api/v1/volunteers/services/%d", rec), map[string]any{"volunteer_id": vol,
				"activity_name": "长者探访（改）", "service_date": "2026-02-10", "start_time": "09:00", "end_time": "11:00",
				"version": v})
		}},
		{"attendance", "group_sessions", session, func(v int64) response {
			return api.json("PUT", fmt.Sprintf("/api/v1/groups/%d/sessions/%d/attendance", group, session),
				map[string]any{"present": []int64{member}, "version": v})
		}},
		{"staff leaves", "staff", leaver.StaffID, func(int64) response {
			return hr.json("POST", fmt.Sprintf("/api/v1/staff/%d/status", leaver.StaffID),
				map[string]any{"status": "left", "leave_date": "2026-03-02"})
		}},
		{"site deactivated", "sites", spare, func(int64) response {
			return admin.json("POST", fmt.Sprintf("/api/v1/sites/%d/deactivate", spare), map[string]any{})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v int64
			if err := e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT version FROM `+c.table+` WHERE id = $1`, c.id).Scan(&v); err != nil {
				t.Fatal(err)
			}
			other, err := e.Sys.DB.W.BeginTx(e.Ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Rollback()
			var pid int
			if err := other.QueryRowContext(e.Ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
				t.Fatal(err)
			}
			if _, err := other.ExecContext(e.Ctx, `UPDATE `+c.table+` SET version = version + 1 WHERE id = $1`, c.id); err != nil {
				t.Fatal(err)
			}
			done := make(chan response, 1)
			go func() { done <- c.write(v) }()
			waitBlockedBy(t, e.Sys.DB.R, pid, done)
			if err := other.Commit(); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.status != http.StatusConflict || !strings.Contains(r.body, "已被他人修改") {
				t.Fatalf("write over a change committed meanwhile: %d %.300s", r.status, r.body)
			}
			var after int64
			e.Sys.DB.R.QueryRowContext(e.Ctx, `SELECT version FROM `+c.table+` WHERE id = $1`, c.id).Scan(&after)
			if after != v+1 {
				t.Fatalf("version %d after the refused write, want %d (the other transaction's)", after, v+1)
			}
		})
	}
}

// waitBlockedBy waits until some backend waits for a lock held by pid, or
// the request finished without waiting (then the test fails: it would not
// show the interleaving).
func waitBlockedBy(t *testing.T, q *sql.DB, pid int, done chan response) {
	t.Helper()
	for {
		select {
		case r := <-done:
			done <- r
			t.Fatalf("the write finished without waiting for the other transaction: %d %.300s", r.status, r.body)
		default:
		}
		var n int
		if err := q.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
