package web_test

import (
	"testing"

	"shegong/internal/dbtest"
)

func pgDSN(t *testing.T) string { return dbtest.PostgresMigratedDSN(t) }
