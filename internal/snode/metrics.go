package snode

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
)

// metrics are the node's counters, exposed in Prometheus text format on the
// admin listener.
type metrics struct {
	mu       sync.Mutex // guards byMethod
	byMethod map[string]int64

	stored, retrieved, misdirected, rateLimited  atomic.Int64
	forwardFailures, caughtUp, deletionsCaughtUp atomic.Int64
	onionRequests, onionRelayed, onionProxied    atomic.Int64
	onionFailures, longPollsRefused, replays     atomic.Int64

	// Peer authentication and record checks (catch-up).
	peerTLSRefused, syncRejected atomic.Int64

	// Records catch-up fetched whole after a summary showed them missing.
	syncFetched atomic.Int64

	// Requests refused for a revoked subaccount token.
	revokedRefused atomic.Int64
}

func newMetrics() *metrics { return &metrics{byMethod: map[string]int64{}} }

func (m *metrics) request(method string) {
	m.mu.Lock()
	m.byMethod[method]++
	m.mu.Unlock()
}

func (n *Node) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", n.handleMetrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeText(w, http.StatusOK, "ok\n") })
	return mux
}

func (n *Node) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	m := n.metrics
	counter := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v int64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	fmt.Fprintf(w, "# HELP snode_rpc_requests_total Storage RPC requests by method.\n# TYPE snode_rpc_requests_total counter\n")
	m.mu.Lock()
	methods := make([]string, 0, len(m.byMethod))
	for k := range m.byMethod {
		methods = append(methods, k)
	}
	sort.Strings(methods)
	for _, k := range methods {
		fmt.Fprintf(w, "snode_rpc_requests_total{method=%q} %d\n", k, m.byMethod[k])
	}
	m.mu.Unlock()
	counter("snode_messages_stored_total", "New messages stored through the RPC.", m.stored.Load())
	counter("snode_messages_retrieved_total", "Messages returned by retrieve.", m.retrieved.Load())
	counter("snode_messages_caught_up_total", "Messages pulled from swarm peers by catch-up.", m.caughtUp.Load())
	counter("snode_sync_fetched_total", "Records catch-up fetched whole from swarm peers after their summary showed them missing here.", m.syncFetched.Load())
	counter("snode_deletions_caught_up_total", "Messages deleted by catch-up on tombstones from swarm peers.", m.deletionsCaughtUp.Load())
	counter("snode_misdirected_total", "Requests answered 421 (wrong swarm).", m.misdirected.Load())
	counter("snode_rate_limited_total", "Requests answered 429.", m.rateLimited.Load())
	counter("snode_forward_failures_total", "Failed pushes to swarm peers.", m.forwardFailures.Load())
	counter("snode_onion_requests_total", "Onion requests received.", m.onionRequests.Load())
	counter("snode_onion_relayed_total", "Onion requests relayed to the next node.", m.onionRelayed.Load())
	counter("snode_onion_proxied_total", "Onion requests proxied to HTTP servers.", m.onionProxied.Load())
	counter("snode_onion_failures_total", "Onion requests that could not be decrypted or relayed.", m.onionFailures.Load())
	counter("snode_replays_total", "Destructive requests seen again and run as no-ops.", m.replays.Load())
	counter("snode_long_polls_refused_total", "Long polls answered at once because too many were held.", m.longPollsRefused.Load())
	gauge("snode_long_polls_held", "Long polls held open.", int64(n.polls.held()))
	gauge("snode_onion_relays_in_flight", "Onion requests being relayed or proxied.", int64(n.relays.held()))
	counter("snode_peer_tls_refused_total", "Connections or answers refused because the server did not prove the node identity the directory lists at its address.", m.peerTLSRefused.Load())
	counter("snode_revoked_subaccount_refused_total", "Requests refused because their subaccount token was revoked.", m.revokedRefused.Load())
	counter("snode_sync_rejected_total", "Records and tombstones from swarm peers skipped by catch-up (bad hash, bad or missing owner signature, conflict, quota).", m.syncRejected.Load())
	if st, err := n.db.Stats(r.Context()); err == nil {
		gauge("snode_stored_messages", "Messages currently stored.", st.Messages)
		gauge("snode_stored_bytes", "Bytes of message data currently stored.", st.DataBytes)
		gauge("snode_database_bytes", "Size of the database files.", st.FileBytes)
		gauge("snode_accounts", "Accounts with stored messages.", st.Owners)
		counter("snode_inbox_evicted_total", "Messages evicted from public inboxes to keep them within their limits (a flood under way), or because the database was full.", st.Evicted)
	}
	gauge("snode_directory_nodes", "Service nodes in the network directory.", int64(n.dir.Load().Len()))
}
