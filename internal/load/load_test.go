package load

import (
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"shegong/internal/app"
)

func testTargeter(t *testing.T) *targeter {
	t.Helper()
	u := &user{Username: "w", Cookie: "shegong_session=x", CaseID: 7, Group: 9,
		Open: []cases{{ID: 7, Goals: []int64{1, 2}}}, Groups: []group{{ID: 9, Members: []int64{3, 4}}}, Vols: []int64{5, 6}}
	tg := &targeter{base: "http://127.0.0.1:1", users: []*user{u}, today: app.NewDate(2026, 11, 27), marker: "压测x"}
	if err := tg.init(); err != nil {
		t.Fatal(err)
	}
	return tg
}

// The mix is 80% reads and 20% writes, every request is classified as
// the kind it was made for, and volunteer slots never repeat.
func TestTargeterMix(t *testing.T) {
	tg := testTargeter(t)
	counts := map[string]int{}
	writes := 0
	slots := map[string]bool{}
	for range len(tg.deck) * 10 {
		var tgt vegeta.Target
		if err := tg.next(&tgt); err != nil {
			t.Fatal(err)
		}
		kind := tg.kindOf(tgt.Method, tgt.URL)
		if kind == "other" {
			t.Fatalf("unclassified %s %s", tgt.Method, tgt.URL)
		}
		counts[kind]++
		if tgt.Method == "POST" {
			writes++
			if !strings.Contains(string(tgt.Body), "压测x") {
				t.Errorf("%s without the run's mark: %s", kind, tgt.Body)
			}
		}
		if kind == "volunteer_hours" {
			if slots[string(tgt.Body)] {
				t.Errorf("volunteer slot handed out twice: %s", tgt.Body)
			}
			slots[string(tgt.Body)] = true
		}
		if tgt.Header.Get("Cookie") == "" {
			t.Errorf("%s without the session", kind)
		}
	}
	total := len(tg.deck) * 10
	if writes*5 != total {
		t.Errorf("writes %d of %d, want 20%%", writes, total)
	}
	for _, m := range mix {
		if counts[m.kind] != m.weight*10 {
			t.Errorf("%s: %d requests, want %d", m.kind, counts[m.kind], m.weight*10)
		}
	}
}

// Check fails a run with errors or with acknowledged writes missing.
func TestReportCheck(t *testing.T) {
	ok := &Report{Mixed: Stats{Requests: 10}, Acked: map[string]int{"followup": 2}, Durable: map[string]int{"followup": 2}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	lost := &Report{Mixed: Stats{Requests: 10}, Acked: map[string]int{"followup": 3}, Durable: map[string]int{"followup": 2}}
	if err := lost.Check(); err == nil || !strings.Contains(err.Error(), "followup") {
		t.Fatalf("lost write not reported: %v", err)
	}
	failed := &Report{Mixed: Stats{Requests: 10, Errors: 1}}
	if err := failed.Check(); err == nil {
		t.Fatal("failed request not reported")
	}
}
