package directory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/session-go/session-go/internal/netview"
)

// HTTP paths of a member's API.
const (
	SubmitPath = "/directory/v1/submit"
	EpochPath  = "/directory/v1/epoch"
	// JSONRPCPath answers Session's get_n_service_nodes and get_epoch.
	JSONRPCPath = "/json_rpc"
)

// Limits of the API.
const (
	maxRequest  = 8 << 10
	maxLongPoll = 20 * time.Second
)

// ServiceNodesAnswer is a member's answer to get_n_service_nodes: Session's
// field names, plus the epoch the list belongs to.
type ServiceNodesAnswer struct {
	Result struct {
		ServiceNodeStates []netview.Node `json:"service_node_states"`
		Epoch             uint64         `json:"epoch"`
		EpochHash         string         `json:"epoch_hash"`
	} `json:"result"`
}

// Handler returns the member's HTTPS API: submit (registrations,
// heartbeats, leaves), epoch (long poll with ?after=N) and JSON-RPC.
// Every answer about the network is signed by the member's key.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+SubmitPath, s.handleSubmit)
	mux.HandleFunc("GET "+EpochPath, s.handleEpoch)
	mux.HandleFunc("POST "+JSONRPCPath, s.handleRPC)
	return mux
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		http.Error(w, "request too large or unreadable", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return b, true
}

func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var reg Registration
	if err := json.Unmarshal(b, &reg); err != nil {
		http.Error(w, fmt.Sprintf("%v: %v", ErrBadRegistration, err), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	n, err := s.Submit(ctx, &reg)
	switch {
	case errors.Is(err, ErrBadRegistration):
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case errors.Is(err, ErrNotLeader):
		w.Header().Set("X-Directory-Leader", s.Leader())
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	case err != nil:
		s.log.Warn("directory: submit", "err", err)
		http.Error(w, "commit failed", http.StatusServiceUnavailable)
		return
	}
	s.writeSigned(w, map[string]uint64{"epoch": n})
}

func (s *Server) handleEpoch(w http.ResponseWriter, r *http.Request) {
	var after uint64
	if a := r.URL.Query().Get("after"); a != "" {
		v, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			http.Error(w, fmt.Sprintf("after=%q is not a number", a), http.StatusBadRequest)
			return
		}
		after = v
	}
	timer := time.NewTimer(maxLongPoll)
	defer timer.Stop()
	for {
		e, changed := s.Epoch()
		if e != nil && e.Number > after {
			s.writeSigned(w, e)
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			if e == nil {
				http.Error(w, "no epoch yet", http.StatusServiceUnavailable)
				return
			}
			s.writeSigned(w, e)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) handleRPC(w http.ResponseWriter, r *http.Request) {
	b, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		Method string `json:"method"`
	}
	if err := json.Unmarshal(b, &req); err != nil {
		http.Error(w, "bad JSON-RPC request", http.StatusBadRequest)
		return
	}
	e, _ := s.Epoch()
	if e == nil {
		http.Error(w, "no epoch yet", http.StatusServiceUnavailable)
		return
	}
	switch req.Method {
	case "get_n_service_nodes":
		var a ServiceNodesAnswer
		a.Result.ServiceNodeStates = e.ServiceNodes()
		a.Result.Epoch, a.Result.EpochHash = e.Number, e.Hash
		s.writeSigned(w, a)
	case "get_epoch":
		s.writeSigned(w, struct {
			Result *Epoch `json:"result"`
		}{e})
	default:
		http.Error(w, fmt.Sprintf("unknown method %q", req.Method), http.StatusBadRequest)
	}
}

// writeSigned writes v as JSON, signed (netview's seed-answer headers)
// by the member's key at the member's clock.
func (s *Server) writeSigned(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	netview.SignSeedAnswer(w.Header(), s.cfg.Key, s.cfg.Now(), body)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.Copy(w, bytes.NewReader(body))
}

// AdminHandler returns the operator's API, to be served on a loopback
// address only: join (body {"raft_addr": "KEY@host:port"}), leave (body
// {"id": "KEY"}), snapshot, and status.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/join", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			RaftAddr string `json:"raft_addr"`
		}
		if !s.adminRequest(w, r, &req) {
			return
		}
		s.adminResult(w, s.Join(r.Context(), req.RaftAddr))
	})
	mux.HandleFunc("POST /admin/leave", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID string `json:"id"`
		}
		if !s.adminRequest(w, r, &req) {
			return
		}
		s.adminResult(w, s.Leave(r.Context(), req.ID))
	})
	mux.HandleFunc("POST /admin/snapshot", func(w http.ResponseWriter, r *http.Request) {
		s.adminResult(w, s.Snapshot())
	})
	mux.HandleFunc("GET /admin/status", func(w http.ResponseWriter, r *http.Request) {
		members, _ := s.Members()
		var n uint64
		if e, _ := s.Epoch(); e != nil {
			n = e.Number
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": s.id, "raft_addr": s.RaftAddr(), "leader": s.Leader(), "members": members, "epoch": n,
		})
	})
	return mux
}

func (s *Server) adminRequest(w http.ResponseWriter, r *http.Request, v any) bool {
	b, ok := readBody(w, r)
	if !ok {
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func (s *Server) adminResult(w http.ResponseWriter, err error) {
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrNotLeader) {
			code = http.StatusConflict
		}
		http.Error(w, err.Error(), code)
		return
	}
	_, _ = io.WriteString(w, "ok\n")
}
