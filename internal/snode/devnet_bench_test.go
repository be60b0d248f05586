package snode_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// BenchmarkDevnetStore measures stores on this package's devnet (14 real
// snode processes, two swarms of 7): the latency of a store at one member
// (stored there, pushed to the swarm, answered), with a retrieve at the
// same member as its floor, and the devnet's CPU time per store, taken from
// /proc for every node process, catch-up included: after the stores the
// benchmark waits two catch-up rounds, and the CPU of an idle window as
// long is subtracted. Run it once:
//
//	go test -run '^$' -bench DevnetStore -benchtime 1x ./internal/snode
func BenchmarkDevnetStore(b *testing.B) {
	if testNet == nil {
		b.Skip("needs a devnet (skipped with -short)")
	}
	const stores = 300
	seed := make([]byte, 16)
	rand.Read(seed)
	id, err := keys.NewIdentity(seed)
	if err != nil {
		b.Fatal(err)
	}
	d, err := (&netview.FileSource{Path: testNet.DirectoryFile}).Load(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	_, members := d.SwarmFor(id.SessionID())
	var entry *devnet.Node
	for _, n := range testNet.Nodes {
		if slices.ContainsFunc(members, func(m netview.Node) bool { return m.Ed25519 == n.Ed25519 }) {
			entry = n
			break
		}
	}
	if entry == nil {
		b.Fatal("the account has no swarm")
	}
	post := func(req storagerpc.Request) {
		body, err := storagerpc.EncodeBody(req)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := httpClient.Post(entry.URL()+"/storage_rpc/v1", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%d %s", resp.StatusCode, out)
		}
	}
	store := func(i int) {
		post(&storagerpc.Store{Auth: storagerpc.Auth{Pubkey: id.SessionID()}, Timestamp: time.Now().UnixMilli(),
			TTL: time.Hour.Milliseconds(), Data: fmt.Appendf(nil, "devnet store %d %x", i, seed)})
	}
	retrieve := func() {
		r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli(), MaxCount: 1}
		storagerpc.Sign(r, id)
		post(r)
	}
	store(-1) // connections up
	retrieve()
	settle := 2*2*time.Second + time.Second // two catch-up rounds (CatchUpInterval 2 s) and a margin

	var storeTime, retrieveTime time.Duration
	var cpuStores, cpuIdle time.Duration
	rounds := 0
	for b.Loop() {
		idle0 := devnetCPU(b)
		time.Sleep(settle)
		cpuIdle += devnetCPU(b) - idle0

		cpu0 := devnetCPU(b)
		start := time.Now()
		for i := range stores {
			store(rounds*stores + i)
		}
		storeTime += time.Since(start)
		time.Sleep(settle)
		cpuStores += devnetCPU(b) - cpu0

		start = time.Now()
		for range stores {
			retrieve()
		}
		retrieveTime += time.Since(start)
		rounds++
	}
	n := float64(rounds * stores)
	storeMS := ms(storeTime) / n
	retrieveMS := ms(retrieveTime) / n
	cpuPerStore := ms(cpuStores-cpuIdle) / n
	b.ReportMetric(storeMS, "store-ms")
	b.ReportMetric(retrieveMS, "retrieve-ms")
	b.ReportMetric(storeMS/retrieveMS, "store/retrieve")
	b.ReportMetric(cpuPerStore, "cpu-ms/store")
	b.Logf("store %.2f ms, retrieve %.2f ms (ratio %.1f); devnet CPU per store %.2f ms (catch-up included, idle subtracted)",
		storeMS, retrieveMS, storeMS/retrieveMS, cpuPerStore)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// devnetCPU is the CPU time (user and system) all devnet node processes
// have used so far, from /proc/PID/stat (in clock ticks of 10 ms).
func devnetCPU(b *testing.B) time.Duration {
	var total time.Duration
	for _, n := range testNet.Nodes {
		raw, err := os.ReadFile("/proc/" + strconv.Itoa(n.PID()) + "/stat")
		if err != nil {
			b.Skipf("no /proc: %v", err)
		}
		// The command name (field 2) may hold spaces; fields count from
		// after its closing parenthesis.
		f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
		utime, _ := strconv.ParseInt(f[11], 10, 64)
		stime, _ := strconv.ParseInt(f[12], 10, 64)
		total += time.Duration(utime+stime) * 10 * time.Millisecond
	}
	return total
}
