// Package reminder is the one mechanism that computes what is due, overdue
// or missing for a user from the records and the injected clock. Business
// areas contribute rules; the home page shows the result.
package reminder

import (
	"context"
	"fmt"
	"sort"
	"time"

	"shegong/internal/app"
	"shegong/internal/authz"
	"shegong/internal/db"
)

// Item is one reminder shown to a user.
type Item struct {
	Rule    string   `json:"rule"`   // rule name, e.g. "contract_year_ending"
	Kind    string   `json:"kind"`   // Chinese label of the rule, e.g. "合同年到期"
	Title   string   `json:"title"`  // what it is about, e.g. "北岸中心 2026合同年"
	Detail  string   `json:"detail"` // e.g. "还有 12 天到期"
	Href    string   `json:"href"`   // link to the record
	Due     app.Date `json:"due"`    // when it is (or was) due
	Overdue bool     `json:"overdue"`
}

// Rule computes the reminders of one kind for a principal as of today.
type Rule interface {
	Name() string
	Label() string
	Items(ctx context.Context, q db.Querier, p *authz.Principal, today app.Date) ([]Item, error)
}

// Engine runs every registered rule.
type Engine struct {
	DB    *db.DB
	Now   func() time.Time
	rules []Rule
}

// New returns an engine with the given rules.
func New(d *db.DB, now func() time.Time, rules ...Rule) *Engine {
	return &Engine{DB: d, Now: now, rules: rules}
}

// Register adds a rule.
func (e *Engine) Register(r Rule) { e.rules = append(e.rules, r) }

// Rules returns the registered rules.
func (e *Engine) Rules() []Rule { return append([]Rule(nil), e.rules...) }

// For returns p's reminders: overdue first, then by due date.
func (e *Engine) For(ctx context.Context, p *authz.Principal) ([]Item, error) {
	if p == nil || p.IsPlatform() {
		return nil, nil
	}
	today := app.Today(e.Now())
	var out []Item
	for _, r := range e.rules {
		items, err := r.Items(ctx, e.DB.R, p, today)
		if err != nil {
			return nil, fmt.Errorf("reminder %s: %w", r.Name(), err)
		}
		for i := range items {
			items[i].Rule = r.Name()
			if items[i].Kind == "" {
				items[i].Kind = r.Label()
			}
		}
		out = append(out, items...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Overdue != out[j].Overdue {
			return out[i].Overdue
		}
		return out[i].Due.Before(out[j].Due)
	})
	return out, nil
}

// Summary counts items per rule label, for the home page.
type Summary struct {
	Kind    string
	Total   int
	Overdue int
}

// Summarize groups items by kind in first-seen order.
func Summarize(items []Item) []Summary {
	idx := map[string]int{}
	var out []Summary
	for _, it := range items {
		i, ok := idx[it.Kind]
		if !ok {
			i = len(out)
			idx[it.Kind] = i
			out = append(out, Summary{Kind: it.Kind})
		}
		out[i].Total++
		if it.Overdue {
			out[i].Overdue++
		}
	}
	return out
}
