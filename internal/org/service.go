package org

import (
	"time"

	"shegong/internal/db"
)

// Service is the organization-structure service. HTML and JSON handlers
// both call it.
type Service struct {
	DB  *db.DB
	Now func() time.Time
}

// New returns the service.
func New(d *db.DB, now func() time.Time) *Service { return &Service{DB: d, Now: now} }
