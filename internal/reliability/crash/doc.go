// Package crash holds the reliability harnesses that run the real shegong
// binary as child processes: the crash-durability harness (a write load
// through the JSON API, SIGKILL at a random moment, restart, checks), the
// two-instances test on one PostgreSQL schema and the backup-and-restore
// drill under write load. Everything is in the tests; see
// docs/RELIABILITY.md for what each proves and how to run the full sizes.
package crash
