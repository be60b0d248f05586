package snode

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/storagerpc"
)

// startSingleNode runs an in-process node that is the whole network.
func startSingleNode(b *testing.B) (url string, stop func()) {
	b.Helper()
	dir := b.TempDir()
	id, err := LoadOrCreateIdentity(dir)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	xpk := id.X25519PublicKey()
	nodes, _ := json.Marshal(netview.DirectoryFile{Nodes: []netview.Node{{
		IP: "127.0.0.1", StoragePort: port, Ed25519: hex.EncodeToString(id.Ed25519PublicKey()), X25519: hex.EncodeToString(xpk[:]),
	}}})
	netFile := filepath.Join(dir, "nodes.json")
	if err := os.WriteFile(netFile, nodes, 0o644); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := New(ctx, Config{DataDir: dir, Listen: "127.0.0.1:" + strconv.Itoa(port), Network: netFile,
		RateLimit: RateLimit{Burst: 1e9, PerSecond: 1e9}})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { n.Serve(ctx); close(done) }()
	url = "https://127.0.0.1:" + strconv.Itoa(port)
	for range 100 {
		if resp, err := benchClient.Post(url+pathPing, "", nil); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return url, func() { cancel(); <-done }
}

var benchClient = &http.Client{Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 64,
}}

func benchPost(b *testing.B, url string, body []byte) []byte {
	resp, err := benchClient.Post(url+pathStorageRPC, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("%d %s", resp.StatusCode, out)
	}
	return out
}

// BenchmarkNodeStore measures stores per second of one node over HTTPS
// (1 KiB messages, 8 concurrent clients, each store committed on its own).
func BenchmarkNodeStore(b *testing.B) {
	url, stop := startSingleNode(b)
	defer func() { b.StopTimer(); stop() }()
	var acct keys.ID
	acct.Prefix = keys.PrefixStandard
	rand.Read(acct.Key[:])
	var seq atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		data := make([]byte, 1024)
		for pb.Next() {
			copy(data, fmt.Sprint(seq.Add(1)))
			body, _ := storagerpc.EncodeBody(&storagerpc.Store{Auth: storagerpc.Auth{Pubkey: acct},
				Timestamp: time.Now().UnixMilli(), TTL: time.Hour.Milliseconds(), Data: data})
			benchPost(b, url, body)
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "stores/s")
}

// BenchmarkNodeRetrieve measures authenticated retrieves per second of one
// node over HTTPS, each returning a page of 20 messages of 1 KiB.
func BenchmarkNodeRetrieve(b *testing.B) {
	url, stop := startSingleNode(b)
	defer func() { b.StopTimer(); stop() }()
	seed := make([]byte, 16)
	rand.Read(seed)
	id, _ := keys.NewIdentity(seed)
	for i := range 20 {
		data := bytes.Repeat([]byte{byte(i)}, 1024)
		body, _ := storagerpc.EncodeBody(&storagerpc.Store{Auth: storagerpc.Auth{Pubkey: id.SessionID()},
			Timestamp: time.Now().UnixMilli(), TTL: time.Hour.Milliseconds(), Data: data})
		benchPost(b, url, body)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := &storagerpc.Retrieve{Timestamp: time.Now().UnixMilli()}
			storagerpc.Sign(r, id)
			body, _ := storagerpc.EncodeBody(r)
			if out := benchPost(b, url, body); !bytes.Contains(out, []byte(`"more":false`)) {
				b.Fatalf("unexpected reply %.100s", out)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "retrieves/s")
}

// catchUpFloor is the rate catch-up must at least keep up, checks included:
// ten times a busy swarm's sustained store rate (Session's busiest swarms
// see well under 100 stores a second), so that a member that was down
// catches up much faster than the swarm writes.
const catchUpFloor = 1000.0

// BenchmarkCatchUpSignedRecords measures how fast a node applies catch-up
// records of a namespace that needs the owner's signature (1 KiB each, in
// pages of syncBatch), with every check: hash recomputed, owner's signed
// store parsed and verified, swarm, quota and duplicate rules in the store.
func BenchmarkCatchUpSignedRecords(b *testing.B) {
	n := newFuzzNode(b)
	var owners []*keys.Identity
	var recs []syncRecord
	for i := range b.N {
		if i%10_000 == 0 { // stay under the per-namespace quota
			seed := make([]byte, 16)
			rand.Read(seed)
			id, _ := keys.NewIdentity(seed)
			owners = append(owners, id)
		}
		id := owners[len(owners)-1]
		data := make([]byte, 1024)
		rand.Read(data)
		s := &storagerpc.Store{Namespace: 2, Timestamp: time.Now().UnixMilli(), TTL: time.Hour.Milliseconds(), Data: data}
		storagerpc.Sign(s, id)
		recs = append(recs, syncRecord{Seq: int64(i + 1), Owner: id.SessionID().String(), Namespace: 2,
			Hash: storagerpc.MessageHash(id.SessionID(), 2, data), Timestamp: s.Timestamp, Expiry: s.ExpiryTime(),
			Data: data, Proof: storeProof(s)})
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for page := range slices.Chunk(recs, syncBatch) {
		var rej rejections
		if err := n.applySyncRecords(ctx, page, &rej); err != nil || rej.n != 0 {
			b.Fatalf("apply: %v, %d skipped (%s)", err, rej.n, rej.first)
		}
	}
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "records/s")
	b.ReportMetric(rate/catchUpFloor, "x-floor")
}
