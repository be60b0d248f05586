package fileserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/session-go/session-go/internal/onion"
)

// keyFile is the server's X25519 secret key in its folder.
const keyFile = "onion.key"

// LoadOrCreateKey returns the onion key kept in dir, creating it (32
// random bytes, mode 0600) on first use.
func LoadOrCreateKey(dir string) (*onion.NodeKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	path := filepath.Join(dir, keyFile)
	sk, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		sk = make([]byte, 32)
		if _, err := rand.Read(sk); err != nil {
			return nil, err
		}
		tmp := path + ".tmp"
		if err := writeSynced(tmp, sk); err != nil {
			os.Remove(tmp)
			return nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	if len(sk) != 32 {
		return nil, fmt.Errorf("%w: %s holds %d bytes, want 32", ErrStorage, path, len(sk))
	}
	k, err := onion.NewNodeKey(sk)
	clear(sk)
	return k, err
}

// Run serves cfg on listen (plain HTTP: every request and reply is
// encrypted end to end with the onion key) and sweeps expired files every
// minute, until ctx ends. ready, if not nil, is called with the bound
// address once the server accepts connections.
func Run(ctx context.Context, cfg Config, listen string, ready func(addr string)) error {
	s, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a 10 MiB body over a slow path
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go s.RunSweeper(sctx, time.Minute)
	pub := s.PublicKey()
	s.log.Info("file server listening", "addr", ln.Addr().String(), "pubkey_x25519", fmt.Sprintf("%x", pub[:]))
	if ready != nil {
		ready(ln.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	return srv.Shutdown(shut)
}
