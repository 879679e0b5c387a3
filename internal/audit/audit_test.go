package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"shegong/internal/audit"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

func TestChainVerifiesAndDetectsTampering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)
		for i := range 5 {
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				return audit.Write(ctx, tx, audit.Entry{OrgID: 1, At: at.Add(time.Duration(i) * time.Second),
					UserID: 7, Username: "admin", Action: "site.create", ObjectType: "site",
					ObjectID: fmt.Sprint(i), Detail: "新建服务点 北岸"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		res, err := audit.Verify(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 5 || len(res.Problems) != 0 {
			t.Fatalf("clean chain: rows=%d problems=%v", res.Rows, res.Problems)
		}
		entries, total, err := audit.List(ctx, d, audit.Filter{OrgID: 1, Action: "site."})
		if err != nil || total != 5 || len(entries) != 5 || entries[0].Seq != 5 {
			t.Fatalf("list: %v total=%d n=%d", err, total, len(entries))
		}

		// The table refuses edits through SQL...
		if _, err := d.W.Exec(`UPDATE audit_log SET detail = 'x' WHERE org_id = 1 AND seq = 3`); err == nil {
			t.Fatal("update of audit_log was allowed")
		}
		// ...and an edit that bypasses the trigger is found by Verify.
		tamper(t, d, `UPDATE audit_log SET detail = '改过' WHERE org_id = 1 AND seq = 3`)
		res, _ = audit.Verify(ctx, d)
		if len(res.Problems) == 0 {
			t.Fatal("edited row not detected")
		}
		tamper(t, d, `DELETE FROM audit_log WHERE org_id = 1 AND seq = 5`)
		res, _ = audit.Verify(ctx, d)
		found := false
		for _, p := range res.Problems {
			if p.Seq == 5 || p.Seq == 4 {
				found = true
			}
		}
		if !found {
			t.Fatalf("deleted tail not detected: %v", res.Problems)
		}
	})
}

// tamper runs stmt with the append-only guard switched off, as an attacker
// with direct database access could.
func tamper(t *testing.T, d *db.DB, stmt string) {
	t.Helper()
	var err error
	if d.Dialect == db.Postgres {
		_, err = d.W.Exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; ` + stmt + `; ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`)
	} else {
		for _, s := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, stmt} {
			if _, err = d.W.Exec(s); err != nil {
				break
			}
		}
		d.W.Exec(`CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`)
		d.W.Exec(`CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
			WHEN OLD.seq > COALESCE((SELECT through_seq FROM audit_anchors WHERE org_id = OLD.org_id), 0)
			BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`)
	}
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

// A long detail in Chinese is cut to 4,000 bytes between characters: the
// write succeeds on PostgreSQL (which refuses text that is not UTF-8) and
// the chain still verifies.
func TestLongDetailCutBetweenCharacters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		long := "ab" + strings.Repeat("服务对象地址由“北岸”改为“南岸”；", 300) // 3-byte characters, off by one
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			return audit.Write(ctx, tx, audit.Entry{OrgID: 1, At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
				UserID: 7, Username: "admin", Action: "client.update", ObjectType: "client", ObjectID: "1", Detail: long})
		})
		if err != nil {
			t.Fatal(err)
		}
		entries, _, err := audit.List(ctx, d, audit.Filter{OrgID: 1})
		if err != nil || len(entries) != 1 {
			t.Fatalf("list: %v, %d entries", err, len(entries))
		}
		got := entries[0].Detail
		if len(got) > 4000 || len(got) < 3997 || !utf8.ValidString(got) || !strings.HasPrefix(long, got) {
			t.Fatalf("detail kept %d bytes, valid UTF-8 %v, a prefix %v", len(got), utf8.ValidString(got), strings.HasPrefix(long, got))
		}
		if res, err := audit.Verify(ctx, d); err != nil || len(res.Problems) != 0 {
			t.Fatalf("verify: %v %v", err, res.Problems)
		}
	})
}
