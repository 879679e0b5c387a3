package org_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"shegong/internal/db"
	"shegong/internal/dbtest"
	"shegong/internal/org"
)

// Several instances may start together on an empty PostgreSQL database:
// each creates the first platform operator unless one exists. Exactly one
// must create it (and print its password) and none may fail.
func TestBootstrapPlatformConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		now := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
		const n = 4
		var wg sync.WaitGroup
		pws := make([]string, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			// One service per instance, as in separate processes.
			s := org.New(d, now)
			wg.Go(func() {
				<-start
				_, pws[i], errs[i] = s.BootstrapPlatform(context.Background(), "platform")
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Errorf("instance %d: %v", i, errs[i])
			}
			if pws[i] != "" {
				created++
			}
		}
		if created != 1 {
			t.Errorf("%d instances created the platform operator, want exactly 1", created)
		}
		var users int
		d.R.QueryRow(`SELECT COUNT(*) FROM users WHERE username = 'platform'`).Scan(&users)
		if users != 1 {
			t.Errorf("%d platform users, want 1", users)
		}
	})
}
