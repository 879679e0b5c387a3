// Package concurrency holds the concurrency suite (its tests): 16 writers
// and 32 readers drive the real server handlers on SQLite and PostgreSQL
// and check that no update is lost, that two approvers on one step make
// exactly one decision, that no database lock or serialization error
// reaches a user, and that numbered records stay gap-free and unique.
//
// The suite runs for a few seconds per database in every `go test ./...`;
// the full run is
//
//	SHEGONG_CONC_SECONDS=60 go test -race -count=1 -timeout 30m -run Concurrency ./internal/reliability/...
//
// with SHEGONG_TEST_PG_DSN set for the PostgreSQL half.
package concurrency
