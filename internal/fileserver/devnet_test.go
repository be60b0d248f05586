package fileserver_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/attachment"
	"github.com/session-go/session-go/internal/devnet"
	"github.com/session-go/session-go/internal/devnet/devnettest"
	"github.com/session-go/session-go/internal/fileclient"
	"github.com/session-go/session-go/internal/fileserver"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/onionreq"
)

// The devnet tests share one network of real snode processes and its real
// `snode fileserver` process, started on first use.
var shared = devnettest.Lazy{Nodes: 6}

func TestMain(m *testing.M) { os.Exit(shared.Main(m)) }

func devnetClient(t *testing.T, dn *devnet.Net) (*onionreq.Client, fileclient.Server) {
	return devnetClientTB(t, dn)
}

func devnetClientTB(t testing.TB, dn *devnet.Net) (*onionreq.Client, fileclient.Server) {
	t.Helper()
	tr := onionreq.NewHTTPTransport(onionreq.HTTPConfig{})
	t.Cleanup(tr.CloseIdleConnections)
	src, err := netview.OpenFile(dn.NetworkFile, tr.Client())
	if err != nil {
		t.Fatal(err)
	}
	c, err := onionreq.New(onionreq.Config{Source: src, Transport: tr, MinPoolSize: 6, Paths: 2,
		RequestTimeout: 60 * time.Second, GuardTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fsInfo, err := netview.ReadFileServer(dn.NetworkFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fileclient.FromNetwork(fsInfo)
	if err != nil {
		t.Fatalf("network.json names no usable file server: %v", err)
	}
	return c, srv
}

// A 5 MiB attachment goes up through a 3-hop onion path to the devnet's
// file server and comes back byte-identical; the server's disk holds only
// ciphertext; a byte flipped on the server's disk is caught by the
// receiver's decryption with a clear error.
func TestDevnetUploadDownloadTamper(t *testing.T) {
	dn := shared.Net(t)
	c, srv := devnetClient(t, dn)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	plain := bytes.Repeat([]byte("PLAINTEXT-MARKER "), 5<<20/17)
	seed := make([]byte, 32)
	rand.Read(seed)
	blob, key, err := attachment.Encrypt(seed, attachment.DomainAttachment, plain, false)
	if err != nil {
		t.Fatal(err)
	}
	id, exp, err := fileclient.Upload(ctx, c, srv, blob, 0)
	if err != nil {
		t.Fatal(err)
	}
	if id != fileserver.FileID(blob) || exp.Before(time.Now().Add(24*time.Hour)) {
		t.Fatalf("upload: id %q expires %v", id, exp)
	}
	got, err := fileclient.Download(ctx, c, srv, id, 11<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, blob) {
		t.Fatalf("downloaded %d bytes, not the %d uploaded", len(got), len(blob))
	}
	back, err := attachment.Decrypt(got, key[:])
	if err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("decrypt: %v", err)
	}

	// Only ciphertext on the server's disk.
	onDisk := filepath.Join(dn.FileServer.DataDir, "files", id)
	stored, err := os.ReadFile(onDisk)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(stored, []byte("PLAINTEXT-MARKER")) {
		t.Fatal("plaintext on the file server's disk")
	}
	db, _ := os.ReadFile(filepath.Join(dn.FileServer.DataDir, "fileserver.db"))
	if bytes.Contains(db, []byte("PLAINTEXT-MARKER")) {
		t.Fatal("plaintext in the file server's database")
	}

	// Flip one byte on the server's disk: the download arrives, the
	// decryption refuses it.
	stored[len(stored)/2] ^= 0x01
	if err := os.WriteFile(onDisk, stored, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err = fileclient.Download(ctx, c, srv, id, 11<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attachment.Decrypt(got, key[:]); !errors.Is(err, attachment.ErrAuth) {
		t.Fatalf("tampered blob: %v, want attachment.ErrAuth", err)
	}
	if _, err := fileclient.Download(ctx, c, srv, fileserver.FileID([]byte("never uploaded")), 1<<20); !errors.Is(err, fileclient.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
}

// kill -9 of the file server while uploads are in flight leaves a store
// that opens, holds only whole files under their ids, and takes the upload
// again after a restart.
func TestDevnetFileServerSurvivesKill(t *testing.T) {
	dn := shared.Net(t)
	c, srv := devnetClient(t, dn)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	blob := make([]byte, 8<<20)
	rand.Read(blob)
	done := make(chan error, 1)
	go func() {
		_, _, err := fileclient.Upload(ctx, c, srv, blob, 0)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := dn.FileServer.Kill(); err != nil {
		t.Fatal(err)
	}
	<-done // it may have finished or failed: both are fine
	if err := dn.FileServer.Start(); err != nil {
		t.Fatal(err)
	}
	if err := dn.FileServer.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	id, _, err := fileclient.Upload(ctx, c, srv, blob, 0)
	if err != nil {
		t.Fatalf("upload after the restart: %v", err)
	}
	got, err := fileclient.Download(ctx, c, srv, id, 11<<20)
	if err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("download after the restart: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dn.FileServer.DataDir, "files", id)); err != nil || fileserver.FileID(b) != id {
		t.Errorf("files/%s does not hold the content of its id", id)
	}
	// Whatever the kill left half-written was cleaned at the restart.
	if tmp, _ := os.ReadDir(filepath.Join(dn.FileServer.DataDir, "tmp")); len(tmp) != 0 {
		t.Errorf("%d half-written uploads left in tmp/", len(tmp))
	}
}
