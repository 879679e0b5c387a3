package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shegong/internal/app"
)

// The write load: four kinds of everyday writes by signed-in demo users
// through the JSON API, each carrying a unique marker so that the checks can
// find it in the database.
//
//   - follow-ups on the worker's open cases (with progress on every goal),
//   - general requests by the worker and the centre head's decisions on them,
//   - group sessions with their attendance,
//   - volunteer service hours.

const markerPrefix = "crash-"

// Acknowledged writes: the server answered 2xx with the record's id.
type (
	ackFollowup struct {
		ID, CaseID int64
		Marker     string
	}
	ackRequest struct {
		ID, ApprovalID int64
		Marker         string
	}
	ackDecision struct {
		ApprovalID int64
		Status     string // approved or rejected
	}
	ackSession struct {
		ID, GroupID int64
		Marker      string
		Present     []int64
	}
	ackService struct {
		ID     int64
		Marker string
	}
	// unknownWrite was sent but no answer came back: the server was killed
	// while it was in flight. It must be wholly present or wholly absent.
	unknownWrite struct {
		Kind   string
		Marker string
	}
)

// ledger records what the server acknowledged, across every cycle.
type ledger struct {
	mu        sync.Mutex
	followups []ackFollowup
	requests  []ackRequest
	decisions map[int64]string
	sessions  []ackSession
	services  []ackService
	unknown   []unknownWrite
	refused   map[string]int // unexpected non-2xx answers by "kind status"
	acked     int
	sent      int
}

func newLedger() *ledger {
	return &ledger{decisions: map[int64]string{}, refused: map[string]int{}}
}

func (l *ledger) add(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked++
	fn()
}

func (l *ledger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

func (l *ledger) lost(kind, marker string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unknown = append(l.unknown, unknownWrite{kind, marker})
}

func (l *ledger) refuse(kind string, status int, body []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := fmt.Sprintf("%s %d %.200s", kind, status, body)
	l.refused[k]++
}

// world is the demo data the load writes to, found once through the API.
type world struct {
	Worker, Head *client // beian_sg1 and beian_head
	OrgID        int64
	SiteID       int64
	Cases        []worldCase
	GroupID      int64
	Members      []int64
	Volunteers   []int64
}

type worldCase struct {
	ID    int64
	Goals []int64
}

// discover signs the demo users in and picks the records the load uses.
func discover(t testing.TB, base string) *world {
	t.Helper()
	w := &world{Worker: signIn(t, base, "beian_sg1"), Head: signIn(t, base, "beian_head")}
	var me struct {
		OrgID int64 `json:"org_id"`
	}
	w.Worker.mustCall(t, "GET", "/api/v1/me", nil, &me, http.StatusOK)
	w.OrgID = me.OrgID
	var cases struct {
		Items []struct {
			ID     int64 `json:"id"`
			SiteID int64 `json:"site_id"`
		} `json:"items"`
	}
	w.Worker.mustCall(t, "GET", "/api/v1/cases?state=open&size=50", nil, &cases, http.StatusOK)
	for _, c := range cases.Items {
		var file struct {
			Case struct {
				Goals []struct {
					ID int64 `json:"id"`
				} `json:"goals"`
			} `json:"case"`
		}
		w.Worker.mustCall(t, "GET", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10), nil, &file, http.StatusOK)
		wc := worldCase{ID: c.ID}
		for _, g := range file.Case.Goals {
			wc.Goals = append(wc.Goals, g.ID)
		}
		w.Cases = append(w.Cases, wc)
		w.SiteID = c.SiteID
	}
	if len(w.Cases) == 0 || w.SiteID == 0 {
		t.Fatal("the demo worker beian_sg1 has no open case")
	}
	var groups struct {
		Items []struct {
			ID     int64  `json:"id"`
			SiteID int64  `json:"site_id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	w.Worker.mustCall(t, "GET", "/api/v1/groups?size=100", nil, &groups, http.StatusOK)
	for _, g := range groups.Items {
		if g.Status != "running" || g.SiteID != w.SiteID {
			continue
		}
		var members []struct {
			ID     int64  `json:"id"`
			LeftOn string `json:"left_on"`
		}
		w.Worker.mustCall(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", g.ID), nil, &members, http.StatusOK)
		for _, m := range members {
			if m.LeftOn == "" {
				w.Members = append(w.Members, m.ID)
			}
		}
		if len(w.Members) > 0 {
			w.GroupID = g.ID
			break
		}
	}
	if w.GroupID == 0 {
		t.Fatal("no running demo group with members at the worker's service point")
	}
	var vols struct {
		Items []struct {
			ID     int64  `json:"id"`
			SiteID int64  `json:"site_id"`
			Status string `json:"status"`
		} `json:"items"`
	}
	w.Worker.mustCall(t, "GET", "/api/v1/volunteers?size=100", nil, &vols, http.StatusOK)
	for _, v := range vols.Items {
		if v.SiteID == w.SiteID && v.Status == "active" && len(w.Volunteers) < 4 {
			w.Volunteers = append(w.Volunteers, v.ID)
		}
	}
	if len(w.Volunteers) == 0 {
		t.Fatal("no active demo volunteer at the worker's service point")
	}
	return w
}

// load drives the writes. Its counters live across cycles, so that markers
// stay unique and volunteer time slots never repeat.
type load struct {
	w      *world
	l      *ledger
	seq    atomic.Int64
	slot   atomic.Int64
	today  app.Date
	mu     sync.Mutex
	decide []pendingDecision // submitted requests waiting for the head
	// strict: any unexpected refusal fails the run (not while the database
	// itself is restarted underneath the server).
	strict bool
	// gone is set at the first write that got no answer: the server was
	// killed, and the writers stop instead of counting refused connections.
	gone atomic.Bool
}

type pendingDecision struct {
	ApprovalID int64
	Version    int64
}

func newLoad(w *world, l *ledger) *load {
	return &load{w: w, l: l, today: app.Today(time.Now()), strict: true}
}

func (ld *load) marker(kind string) string {
	return fmt.Sprintf("%s%s-%d", markerPrefix, kind, ld.seq.Add(1))
}

// on points the load's users at another server (after a restart on a new
// port).
func (ld *load) on(base string) {
	ld.w.Worker = ld.w.Worker.on(base)
	ld.w.Head = ld.w.Head.on(base)
}

// run writes until ctx ends, with `each` concurrent writers per kind.
func (ld *load) run(ctx context.Context, each int) {
	var wg sync.WaitGroup
	ld.gone.Store(false)
	loop := func(fn func(ctx context.Context)) {
		for range each {
			wg.Go(func() {
				for ctx.Err() == nil && !ld.gone.Load() {
					fn(ctx)
				}
			})
		}
	}
	loop(ld.followup)
	loop(ld.request)
	loop(ld.decision)
	loop(ld.session)
	loop(ld.service)
	wg.Wait()
}

// outcome sorts an answer: ok (acknowledged), unknown (no answer), or an
// unexpected refusal.
func (ld *load) outcome(ctx context.Context, kind, marker string, status int, body []byte, err error) bool {
	ld.l.mu.Lock()
	ld.l.sent++
	ld.l.mu.Unlock()
	switch {
	case err != nil && errors.Is(err, errTransport):
		ld.l.lost(kind, marker)
		ld.gone.Store(true)
		return false
	case err != nil:
		ld.l.refuse(kind+" "+err.Error(), status, body)
		return false
	case status/100 == 2:
		return true
	}
	ld.l.refuse(kind, status, body)
	if !ld.strict {
		// The database is away: do not spin.
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

func (ld *load) followup(ctx context.Context) {
	c := ld.w.Cases[rand.IntN(len(ld.w.Cases))]
	m := ld.marker("followup")
	var progress []map[string]any
	for _, g := range c.Goals {
		progress = append(progress, map[string]any{"goal_id": g, "progress": "some", "note": m})
	}
	in := map[string]any{"held_on": ld.today.String(), "method": "phone", "duration_min": 20 + rand.IntN(40),
		"content": m, "next_step": "继续跟进", "progress": progress}
	var out struct {
		ID int64 `json:"id"`
	}
	st, b, err := ld.w.Worker.call(ctx, "POST", fmt.Sprintf("/api/v1/cases/%d/followups", c.ID), in, &out)
	if ld.outcome(ctx, "followup", m, st, b, err) {
		ld.l.add(func() { ld.l.followups = append(ld.l.followups, ackFollowup{out.ID, c.ID, m}) })
	}
}

func (ld *load) request(ctx context.Context) {
	m := ld.marker("request")
	in := map[string]any{"site_id": ld.w.SiteID, "title": m, "content": "可靠性测试的通用事项申请",
		"amount": strconv.Itoa(10 + rand.IntN(900))}
	var out struct {
		ID       int64 `json:"id"`
		Approval struct {
			ID      int64 `json:"id"`
			Version int64 `json:"version"`
		} `json:"approval"`
	}
	st, b, err := ld.w.Worker.call(ctx, "POST", "/api/v1/general-requests", in, &out)
	if ld.outcome(ctx, "request", m, st, b, err) {
		ld.l.add(func() { ld.l.requests = append(ld.l.requests, ackRequest{out.ID, out.Approval.ID, m}) })
		ld.mu.Lock()
		ld.decide = append(ld.decide, pendingDecision{out.Approval.ID, out.Approval.Version})
		ld.mu.Unlock()
	}
}

// decision has the centre head decide the oldest waiting request: approve
// two in three, reject the rest.
func (ld *load) decision(ctx context.Context) {
	ld.mu.Lock()
	if len(ld.decide) == 0 {
		ld.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Millisecond):
		}
		return
	}
	p := ld.decide[0]
	ld.decide = ld.decide[1:]
	ld.mu.Unlock()
	decision, comment, want := "approve", "同意", "approved"
	if rand.IntN(3) == 0 {
		decision, comment, want = "reject", "请补充说明", "rejected"
	}
	in := map[string]any{"version": p.Version, "decision": decision, "comment": comment}
	var out struct {
		Status string `json:"status"`
	}
	path := fmt.Sprintf("/api/v1/approvals/%d/decision", p.ApprovalID)
	st, b, err := ld.w.Head.call(ctx, "POST", path, in, &out)
	ld.l.mu.Lock()
	ld.l.sent++
	ld.l.mu.Unlock()
	switch {
	case err == nil && st/100 == 2:
		if out.Status != want {
			ld.l.refuse(fmt.Sprintf("decision answered status %q, want %q", out.Status, want), st, b)
			return
		}
		ld.l.add(func() { ld.l.decisions[p.ApprovalID] = want })
	case err == nil && st == http.StatusConflict:
		// The version moved: a decision sent before a kill went through.
		// Look again and decide again if it is still waiting.
		ld.requeue(ctx, p.ApprovalID)
	case err != nil && errors.Is(err, errTransport):
		ld.l.lost("decision", strconv.FormatInt(p.ApprovalID, 10))
		ld.gone.Store(true)
		ld.requeueLater(p.ApprovalID)
	default:
		ld.l.refuse("decision", st, b)
		ld.requeueLater(p.ApprovalID)
	}
}

// requeueLater puts a request whose decision's fate is unknown back to be
// looked at again (after a restart, its version tells).
func (ld *load) requeueLater(id int64) {
	ld.mu.Lock()
	ld.decide = append(ld.decide, pendingDecision{ApprovalID: id, Version: -1})
	ld.mu.Unlock()
}

// requeue reads the request again; a pending one goes back in the queue with
// its current version.
func (ld *load) requeue(ctx context.Context, id int64) {
	var a struct {
		Status  string `json:"status"`
		Version int64  `json:"version"`
	}
	st, _, err := ld.w.Head.call(ctx, "GET", fmt.Sprintf("/api/v1/approvals/%d", id), nil, &a)
	if err != nil || st != http.StatusOK {
		ld.requeueLater(id)
		return
	}
	if a.Status == "pending" {
		ld.mu.Lock()
		ld.decide = append(ld.decide, pendingDecision{id, a.Version})
		ld.mu.Unlock()
	}
}

func (ld *load) session(ctx context.Context) {
	m := ld.marker("session")
	var present []int64
	for _, id := range ld.w.Members {
		if rand.IntN(3) > 0 {
			present = append(present, id)
		}
	}
	slices.Sort(present)
	in := map[string]any{"held_on": ld.today.String(), "start_time": "19:00", "end_time": "20:30", "place": "活动室",
		"topic": m, "content": "可靠性测试的节次", "present": present}
	var out struct {
		ID int64 `json:"id"`
	}
	st, b, err := ld.w.Worker.call(ctx, "POST", fmt.Sprintf("/api/v1/groups/%d/sessions", ld.w.GroupID), in, &out)
	if ld.outcome(ctx, "session", m, st, b, err) {
		ld.l.add(func() { ld.l.sessions = append(ld.l.sessions, ackSession{out.ID, ld.w.GroupID, m, present}) })
	}
}

// service records volunteer hours in slots that never overlap: twelve
// 20-minute slots between midnight and six each day, going back a day when
// a day is full, spread over a few volunteers.
func (ld *load) service(ctx context.Context) {
	k := ld.slot.Add(1) - 1
	vol := ld.w.Volunteers[int(k)%len(ld.w.Volunteers)]
	n := k / int64(len(ld.w.Volunteers))
	day := ld.today.AddDays(-int(n / 12))
	start := int(n%12) * 30
	m := ld.marker("service")
	in := map[string]any{"volunteer_id": vol, "activity_name": m, "service_date": day.String(),
		"start_time": clock(start), "end_time": clock(start + 20), "content": "可靠性测试的服务时数", "people_served": 3}
	var out struct {
		ID int64 `json:"id"`
	}
	st, b, err := ld.w.Worker.call(ctx, "POST", "/api/v1/volunteers/services", in, &out)
	if ld.outcome(ctx, "service", m, st, b, err) {
		ld.l.add(func() { ld.l.services = append(ld.l.services, ackService{out.ID, m}) })
	}
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }
