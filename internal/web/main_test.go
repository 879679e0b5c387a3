package web_test

import (
	"fmt"
	"os"
	"testing"

	"shegong/internal/testenv"
)

// TestMain prints what the leak scans read over the package's tests.
func TestMain(m *testing.M) {
	code := m.Run()
	fmt.Println(testenv.LeakSummary())
	os.Exit(code)
}
