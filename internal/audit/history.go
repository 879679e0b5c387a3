package audit

import (
	"context"
	"strings"
	"time"

	"shegong/internal/db"
)

// Change is one entry of a record's timeline, read from the audit log.
type Change struct {
	At         time.Time `json:"at"`
	Username   string    `json:"username"`
	Action     string    `json:"action"`
	ActionName string    `json:"action_name"`
	Detail     string    `json:"detail"`
}

// History reads the timeline of one record (newest first). names gives the
// Chinese name of each action; an unnamed action shows its code.
func History(ctx context.Context, d *db.DB, orgID int64, objectType, objectID string, names map[string]string) ([]Change, error) {
	entries, _, err := List(ctx, d, Filter{OrgID: orgID, ObjectType: objectType, ObjectID: objectID, Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]Change, 0, len(entries))
	for _, e := range entries {
		c := Change{At: e.At, Username: e.Username, Action: e.Action, ActionName: names[e.Action], Detail: e.Detail}
		if c.ActionName == "" {
			c.ActionName = e.Action
		}
		out = append(out, c)
	}
	return out, nil
}

// Diff collects "label: old → new" for the fields an edit changed, as the
// audit detail of the edit.
type Diff []string

// Add records a changed field with its old and new values.
func (c *Diff) Add(label, old, new string) {
	if old == new {
		return
	}
	if old == "" {
		old = "（空）"
	}
	if new == "" {
		new = "（空）"
	}
	*c = append(*c, label+"："+old+" → "+new)
}

// Note records that a field changed without writing its values (long texts,
// and contact data that must stay out of the log).
func (c *Diff) Note(label string, changed bool) {
	if changed {
		*c = append(*c, label+"已修改")
	}
}

func (c Diff) String() string {
	if len(c) == 0 {
		return "未修改任何内容"
	}
	return strings.Join(c, "；")
}
