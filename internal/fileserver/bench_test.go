package fileserver_test

import (
	"bytes"
	"crypto/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/fileclient"
)

// rssMB reads the resident set of process pid from /proc, in MB.
func rssMB(pid int) (float64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb / 1024, err == nil
			}
		}
	}
	return 0, false
}

// BenchmarkParallelDownloadsRSS measures the devnet's `snode fileserver`
// process while it serves 8 parallel downloads of a 10 MB file through
// onion paths: the peak resident memory sampled during the downloads, and
// its ratio to the 64 MB goal (x-64MB-goal below 1 meets it). Downloads
// are encrypted while read from disk, so the file is never held whole.
//
//	go test -run '^$' -bench ParallelDownloadsRSS -benchtime 1x ./internal/fileserver
func BenchmarkParallelDownloadsRSS(b *testing.B) {
	dn := shared.Net(b)
	pid := dn.FileServer.PID()
	if _, ok := rssMB(pid); !ok {
		b.Skip("no /proc on this system")
	}
	c, srv := devnetClientTB(b, dn)
	ctx := b.Context()
	blob := make([]byte, 10_000_000)
	rand.Read(blob)
	id, _, err := fileclient.Upload(ctx, c, srv, blob, 0)
	if err != nil {
		b.Fatal(err)
	}
	var peak atomic.Int64 // KB
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			if mb, ok := rssMB(pid); ok && int64(mb*1024) > peak.Load() {
				peak.Store(int64(mb * 1024))
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				got, err := fileclient.Download(ctx, c, srv, id, 11<<20)
				if err == nil && !bytes.Equal(got, blob) {
					err = os.ErrInvalid
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	close(stop)
	sampler.Wait()
	mb := float64(peak.Load()) / 1024
	b.ReportMetric(mb, "peak-RSS-MB")
	b.ReportMetric(mb/64, "x-64MB-goal")
}
