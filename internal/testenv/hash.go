package testenv

import "shegong/internal/auth"

// Fixture accounts use a cheap hash so that the many sign-ins of a test run
// stay fast; the cost of real accounts is unaffected.
func hashPassword(pw string) (string, error) { return auth.HashPasswordWith(pw, 1024, 1) }
