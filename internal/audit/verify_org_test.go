package audit_test

import (
	"context"
	"testing"
	"time"

	"shegong/internal/audit"
	"shegong/internal/db"
	"shegong/internal/dbtest"
)

func TestVerifyOrgAndFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
		write := func(org int64, action, outcome string, i int) {
			t.Helper()
			if err := audit.Append(ctx, d, audit.Entry{OrgID: org, At: at.Add(time.Duration(i) * time.Hour),
				Username: "admin", Action: action, ObjectType: "client", ObjectID: "9", Outcome: outcome}); err != nil {
				t.Fatal(err)
			}
		}
		for i, a := range []string{"client.reveal", "client.update", "staff.reveal", "auth.login", "client_x.reveal"} {
			write(1, a, audit.OK, i)
			write(2, a, audit.Denied, i)
		}
		for _, org := range []int64{1, 2} {
			res, err := audit.VerifyOrg(ctx, d, org)
			if err != nil || res.Rows != 5 || res.Orgs != 1 || len(res.Problems) != 0 {
				t.Fatalf("org %d: %+v %v", org, res, err)
			}
		}
		if res, err := audit.VerifyOrg(ctx, d, 99); err != nil || res.Rows != 0 || len(res.Problems) != 0 {
			t.Fatalf("org without rows: %+v %v", res, err)
		}

		// Breaking organization 2's chain leaves organization 1's intact.
		tamper(t, d, `UPDATE audit_log SET detail = '改过' WHERE org_id = 2 AND seq = 2`)
		if res, _ := audit.VerifyOrg(ctx, d, 1); len(res.Problems) != 0 {
			t.Fatalf("org 1 after org 2 was edited: %v", res.Problems)
		}
		res, _ := audit.VerifyOrg(ctx, d, 2)
		if len(res.Problems) != 1 || res.Problems[0].Seq != 2 || res.Problems[0].Kind != audit.BreakHash || res.Problems[0].OrgID != 2 {
			t.Fatalf("org 2: %+v", res.Problems)
		}
		tamper(t, d, `DELETE FROM audit_log WHERE org_id = 2 AND seq = 5`)
		res, _ = audit.VerifyOrg(ctx, d, 2)
		if kinds(res) != "hash head" {
			t.Fatalf("deleted tail: %+v", res.Problems)
		}
		tamper(t, d, `DELETE FROM audit_heads WHERE org_id = 2`)
		res, _ = audit.VerifyOrg(ctx, d, 2)
		if kinds(res) != "orphan" {
			t.Fatalf("missing head: %+v", res.Problems)
		}

		// Suffix and prefix matches take "_" and "%" literally.
		list := func(f audit.Filter) []string {
			t.Helper()
			f.OrgID = 1
			rows, total, err := audit.List(ctx, d, f)
			if err != nil || total != len(rows) {
				t.Fatalf("list %+v: %v total=%d", f, err, total)
			}
			var out []string
			for _, r := range rows {
				out = append(out, r.Action)
			}
			return out
		}
		if got := list(audit.Filter{ActionSuffix: ".reveal"}); len(got) != 3 {
			t.Fatalf("reveals: %v", got)
		}
		if got := list(audit.Filter{Action: "client_"}); len(got) != 1 || got[0] != "client_x.reveal" {
			t.Fatalf("prefix with underscore: %v", got)
		}
		if got := list(audit.Filter{Action: "client.", ActionSuffix: ".reveal"}); len(got) != 1 {
			t.Fatalf("prefix and suffix: %v", got)
		}
		if got := list(audit.Filter{From: at.Add(time.Hour), To: at.Add(3 * time.Hour)}); len(got) != 2 ||
			got[0] != "staff.reveal" || got[1] != "client.update" {
			t.Fatalf("period: %v", got)
		}
		if got := list(audit.Filter{Outcome: audit.Denied}); len(got) != 0 {
			t.Fatalf("outcome: %v", got)
		}
		types, err := audit.ObjectTypes(ctx, d, 1)
		if err != nil || len(types) != 1 || types[0] != "client" {
			t.Fatalf("object types: %v %v", types, err)
		}
	})
}

func kinds(res audit.VerifyResult) string {
	s := ""
	for i, p := range res.Problems {
		if i > 0 {
			s += " "
		}
		s += p.Kind
	}
	return s
}
