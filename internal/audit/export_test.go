package audit

// HashOf exposes a row's hash to the external tests that build chains in bulk.
func HashOf(e Entry) string { return e.computeHash() }

// SetVerifyRun makes Verify cut chains into runs of n seqs, until the
// returned function restores the default.
func SetVerifyRun(n int64) func() {
	old := verifyRun
	verifyRun = n
	return func() { verifyRun = old }
}
