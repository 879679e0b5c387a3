package bench

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"
)

// PeakMemory samples the Go heap while work runs and reports how far it
// rose above where it started (after a collection), and the most memory the
// Go runtime held from the system at any sample.
type PeakMemory struct {
	stop     chan struct{}
	done     sync.WaitGroup
	base     uint64
	peakHeap uint64
	peakAll  uint64
}

var memSamples = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}

// StartPeakMemory begins sampling every millisecond.
func StartPeakMemory() *PeakMemory {
	runtime.GC()
	p := &PeakMemory{stop: make(chan struct{})}
	s := make([]metrics.Sample, len(memSamples))
	copy(s, memSamples)
	metrics.Read(s)
	p.base = s[0].Value.Uint64()
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.peakHeap = max(p.peakHeap, s[0].Value.Uint64())
			p.peakAll = max(p.peakAll, s[1].Value.Uint64())
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// Stop ends sampling and returns the heap's rise above the start and the
// runtime's peak total, in MiB.
func (p *PeakMemory) Stop() (heapRiseMB, totalMB float64) {
	close(p.stop)
	p.done.Wait()
	rise := float64(0)
	if p.peakHeap > p.base {
		rise = float64(p.peakHeap - p.base)
	}
	return rise / (1 << 20), float64(p.peakAll) / (1 << 20)
}

// CPUTime is the CPU time this process has used (user and system): on a
// machine shared with other work it shows the cost of an operation better
// than the wall clock, which includes waiting for a core.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
