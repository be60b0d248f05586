package client

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/fileclient"
)

// BenchmarkFileSendToSaved measures a 10 MB file from Alice's SendFile to
// the file written by Bob's SaveAttachments on this package's devnet:
// encrypt, upload through a 3-hop onion path to the file server, the
// message through the swarm, Bob's retrieve, download through the onion,
// checks, decrypt, write. The floor is the onion transfer alone: the same
// blob uploaded and downloaded with fileclient over the same network
// (x-onion-transfer; the rest is crypto, messaging and disk).
//
//	go test -run '^$' -bench FileSendToSaved -benchtime 1x ./client
func BenchmarkFileSendToSaved(b *testing.B) {
	benchNet(b)
	ctx := b.Context()
	alice := benchAccount(b, b.TempDir(), "Alice")
	bob := benchAccount(b, b.TempDir(), "Bob")
	defer alice.Close()
	defer bob.Close()
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, MaxFileSize)
	rand.Read(data)
	path := filepath.Join(b.TempDir(), "ten.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		data[0] = byte(i) // a new file each round: no dedup on the server
		os.WriteFile(path, data, 0o600)
		start := time.Now()
		m, err := alice.SendFile(ctx, bob.SessionID(), "", path)
		if err != nil || m.Status != "sent" {
			b.Fatalf("send: %v", err)
		}
		var id int64
		for id == 0 {
			ms, err := bob.Receive(ctx)
			if err != nil {
				b.Logf("receive: %v", err)
			}
			for _, m := range ms {
				if len(m.Attachments) > 0 {
					id = m.ID
				}
			}
		}
		dir := b.TempDir()
		paths, err := bob.SaveAttachments(ctx, id, dir)
		if err != nil || len(paths) != 1 {
			b.Fatalf("save: %v", err)
		}
		total += time.Since(start)
		got, _ := os.ReadFile(paths[0])
		if !bytes.Equal(got, data) {
			b.Fatal("saved file differs")
		}
	}
	per := total / time.Duration(b.N)
	b.ReportMetric(per.Seconds(), "s/10MB")

	// The floor: the onion transfer of a blob of the same size.
	net, err := alice.network()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := alice.fileServer()
	if err != nil {
		b.Fatal(err)
	}
	blob := make([]byte, 10_223_616)
	rand.Read(blob)
	start := time.Now()
	id, _, err := fileclient.Upload(ctx, net, srv, blob, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := fileclient.Download(ctx, net, srv, id, maxBlobSize); err != nil {
		b.Fatal(err)
	}
	floor := time.Since(start)
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(float64(per)/float64(floor), "x-onion-transfer")
}
