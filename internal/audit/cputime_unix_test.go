//go:build unix

package audit_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, user and system; with the
// wall time it tells a slow machine from a busy one.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
