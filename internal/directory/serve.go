package directory

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/session-go/session-go/internal/nodecert"
)

// Serve serves the member's HTTPS API on api (with a certificate bound to
// its key) and, if admin is not empty, the operator's plain-HTTP API on
// admin, until ctx ends; it then stops both and the member.
func (s *Server) Serve(ctx context.Context, api, admin string) error {
	cert, err := nodecert.New(s.cfg.Key, s.cfg.Now())
	if err != nil {
		return err
	}
	apiLn, err := net.Listen("tcp", api)
	if err != nil {
		return fmt.Errorf("directory: listen: %w", err)
	}
	servers := []*http.Server{{
		Handler:           s.Handler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       20 * time.Second,
		WriteTimeout:      maxLongPoll + 20*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}}
	lns := []net.Listener{tls.NewListener(apiLn, servers[0].TLSConfig)}
	if admin != "" {
		adminLn, err := net.Listen("tcp", admin)
		if err != nil {
			apiLn.Close()
			return fmt.Errorf("directory: admin listen: %w", err)
		}
		servers = append(servers, &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 20 * time.Second, WriteTimeout: time.Minute})
		lns = append(lns, adminLn)
	}
	s.log.Info("directory member serving", "id", s.id, "raft_addr", s.RaftAddr(), "api", "https://"+apiLn.Addr().String(), "admin", admin)
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	for _, srv := range servers {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
	}
	if cerr := s.Close(); err == nil || errors.Is(err, http.ErrServerClosed) {
		err = cerr
	}
	return err
}
