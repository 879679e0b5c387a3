package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"shegong/internal/app"
	"shegong/internal/audit"
	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/testenv"
)

func TestPurgeKeepsRetentionAndChainVerifies(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		clock := testenv.NewClock(time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC))
		write := func(org int64, action string) {
			t.Helper()
			if err := audit.Append(ctx, d, audit.Entry{OrgID: org, At: clock.Now(), Username: "admin",
				Action: action, ObjectType: "client", ObjectID: "1"}); err != nil {
				t.Fatal(err)
			}
		}
		// Three years of activity, a row every ten days in two organizations.
		for clock.Now().Before(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)) {
			write(2, "client.update")
			write(3, "client.view")
			clock.Advance(10 * 24 * time.Hour)
		}
		// One late-written row with an old time stays, and with it every
		// younger row before it: only a prefix of old rows goes.
		var all int64
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&all)

		// Less than six months is refused with a Chinese message.
		_, err := audit.Purge(ctx, d, clock.Now(), 5, false)
		if app.ErrorCode(err) != app.EInvalid || !strings.Contains(err.Error(), "至少保留 6 个月") {
			t.Fatalf("5 months: %v", err)
		}

		now := clock.Now()
		cutoff := audit.Cutoff(now, 12)
		var olderBefore, youngerBefore int64
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE at < $1`, cutoff).Scan(&olderBefore)
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE at >= $1`, cutoff).Scan(&youngerBefore)

		dry, err := audit.Purge(ctx, d, now, 12, true)
		if err != nil || len(dry) != 2 {
			t.Fatalf("dry run: %+v %v", dry, err)
		}
		var after int64
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log`).Scan(&after)
		if after != all {
			t.Fatalf("dry run deleted rows: %d → %d", all, after)
		}

		got, err := audit.Purge(ctx, d, now, 12, false)
		if err != nil || len(got) != 2 {
			t.Fatalf("purge: %+v %v", got, err)
		}
		var deleted int64
		for _, r := range got {
			deleted += r.Deleted
		}
		if deleted != olderBefore {
			t.Fatalf("deleted %d rows, %d were older than %s", deleted, olderBefore, cutoff)
		}
		var older, younger int64
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE at < $1`, cutoff).Scan(&older)
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE at >= $1 AND action <> $2`, cutoff, audit.ActionPurge).Scan(&younger)
		if older != 0 || younger != youngerBefore {
			t.Fatalf("after purge: %d older rows left, %d younger (had %d)", older, younger, youngerBefore)
		}
		res, err := audit.Verify(ctx, d)
		if err != nil || len(res.Problems) != 0 || res.Purged != olderBefore || res.Orgs != 2 {
			t.Fatalf("verify after purge: %+v %v", res, err)
		}
		// The purge is in the chain it shortened.
		entries, _, err := audit.List(ctx, d, audit.Filter{OrgID: 2, Action: audit.ActionPurge})
		if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Detail, "keep_months=12") {
			t.Fatalf("purge row: %+v %v", entries, err)
		}

		// Nothing more to do at the same time.
		if again, err := audit.Purge(ctx, d, now, 12, false); err != nil || len(again) != 0 {
			t.Fatalf("second purge: %+v %v", again, err)
		}

		// The triggers still refuse every other change: a younger row, an
		// edit, the anchor moved back, onto a made-up hash, or deleted.
		refused := func(what, stmt string, args ...any) {
			t.Helper()
			if _, err := d.W.Exec(stmt, args...); err == nil {
				t.Errorf("%s was allowed", what)
			}
		}
		var anchorSeq int64
		d.R.QueryRow(`SELECT through_seq FROM audit_anchors WHERE org_id = 2`).Scan(&anchorSeq)
		refused("delete above the anchor", `DELETE FROM audit_log WHERE org_id = 2 AND seq = $1`, anchorSeq+1)
		refused("delete of the whole log", `DELETE FROM audit_log`)
		refused("update", `UPDATE audit_log SET detail = 'x' WHERE org_id = 2 AND seq = $1`, anchorSeq+1)
		refused("anchor moved back", `UPDATE audit_anchors SET through_seq = 1 WHERE org_id = 2`)
		refused("anchor onto a wrong hash", `UPDATE audit_anchors SET through_seq = $1, through_hash = 'x' WHERE org_id = 2`, anchorSeq+5)
		refused("anchor deleted", `DELETE FROM audit_anchors WHERE org_id = 2`)
		refused("anchor for a chain that has none", `INSERT INTO audit_anchors (org_id, through_seq, through_hash, through_at, purged_at)
			VALUES (9, 1, 'x', $1, $1)`, now)
		var headSeq int64
		var headHash string
		d.R.QueryRow(`SELECT seq, hash FROM audit_heads WHERE org_id = 3`).Scan(&headSeq, &headHash)
		refused("anchor at the head", `UPDATE audit_anchors SET through_seq = $1, through_hash = $2 WHERE org_id = 3`, headSeq, headHash)

		// A year later the first purge row is itself old; the next purge
		// removes it and records the new anchor, and the chain still verifies.
		clock.Advance(400 * 24 * time.Hour)
		write(2, "client.update")
		got, err = audit.Purge(ctx, d, clock.Now(), 12, false)
		if err != nil || len(got) == 0 {
			t.Fatalf("later purge: %+v %v", got, err)
		}
		res, err = audit.Verify(ctx, d)
		if err != nil || len(res.Problems) != 0 {
			t.Fatalf("verify after second purge: %+v %v", res, err)
		}
		for _, org := range []int64{2, 3} {
			if r, err := audit.VerifyOrg(ctx, d, org); err != nil || len(r.Problems) != 0 || r.Rows == 0 {
				t.Fatalf("verify org %d: %+v %v", org, r, err)
			}
		}

		// An anchor moved forward behind the triggers' back (rows deleted
		// by someone with the database owner's rights) is reported.
		for range 5 {
			write(2, "client.update")
		}
		var next int64
		var nextHash string
		d.R.QueryRow(`SELECT through_seq FROM audit_anchors WHERE org_id = 2`).Scan(&anchorSeq)
		if err := d.R.QueryRow(`SELECT seq, hash FROM audit_log WHERE org_id = 2 AND seq = $1`, anchorSeq+3).Scan(&next, &nextHash); err != nil {
			t.Fatal(err)
		}
		moveAnchor := fmt.Sprintf(`UPDATE audit_anchors SET through_seq = %d, through_hash = '%s' WHERE org_id = 2`, next, nextHash)
		if d.Dialect == db.Postgres {
			_, err = d.W.Exec(`ALTER TABLE audit_anchors DISABLE TRIGGER audit_anchors_guard; ` + moveAnchor)
		} else {
			_, err = d.W.Exec(`DROP TRIGGER audit_anchors_update; ` + moveAnchor)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.Exec(`DELETE FROM audit_log WHERE org_id = 2 AND seq <= $1`, next); err != nil {
			t.Fatal(err)
		}
		res, _ = audit.Verify(ctx, d)
		if kinds(res) != "anchor" || res.Problems[0].OrgID != 2 {
			t.Fatalf("anchor moved: %+v", res.Problems)
		}
	})
}

func TestPurgeKeepsOldRowsAfterAYoungOne(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		for _, at := range []time.Time{now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0), now.AddDate(0, -1, 0), now.AddDate(-3, 0, 0)} {
			if err := audit.Append(ctx, d, audit.Entry{OrgID: 5, At: at, Action: "x.y"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := audit.Purge(ctx, d, now, 6, false)
		if err != nil || len(got) != 1 || got[0].ThroughSeq != 2 || got[0].Deleted != 2 {
			t.Fatalf("purge: %+v %v", got, err)
		}
		// Rows 3 (young) and 4 (old, after a young one) and the purge row stay.
		var n int64
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE org_id = 5`).Scan(&n)
		if n != 3 {
			t.Fatalf("rows left: %d", n)
		}
		if res, err := audit.Verify(ctx, d); err != nil || len(res.Problems) != 0 {
			t.Fatalf("verify: %+v %v", res, err)
		}
	})
}
