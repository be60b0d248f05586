package store

import (
	"sync"

	"github.com/session-go/session-go/internal/keys"
)

// Writer hints. A store used to ask the database, every time, for its
// owner's row id and for the owner's usage (the quota of the signed
// namespaces, the public inbox's limits): three or four statements for
// answers that almost never change the outcome. The writer now keeps, in
// memory:
//
//   - the row id of owners it has seen committed, and
//   - an upper bound on each owner's usage: the last total read from the
//     database plus everything inserted since.
//
// A bound needs no correction when messages go (deletions, evictions,
// sweeps, a rolled-back insert only make the real figure smaller), so it
// stays an upper bound whatever happens, and a store whose owner's bound is
// within every limit cannot be over one: the database would have answered
// "within", and the store skips the question. Only an owner near a limit
// costs the query, which also tightens the bound. So the quotas and the
// inbox's eviction decide exactly as before.
//
// Owner ids are different: a cached id must name the owner's row, or a
// message would go to another account. An id learnt inside a transaction is
// kept aside until that transaction commits (a rolled-back transaction or
// savepoint may have created the row), and every id is forgotten when owner
// rows are deleted (the sweeper) or when another connection committed to
// the file (PRAGMA data_version, read at the start of each write).
//
// Both maps are capped; a full map is emptied, which costs queries, never
// correctness. Only the writer connection's transactions touch the hints,
// and they run one at a time; the mutex is for the race detector's sake and
// for the rare caller outside them.
type hints struct {
	mu      sync.Mutex
	owners  map[keys.ID]int64 // committed owner rows
	staged  map[keys.ID]int64 // learnt in the open transaction
	inbox   map[int64]usage   // owner row → public-inbox namespaces, together
	signed  map[int64]usage   // owner row → signed namespaces, together
	ns      map[ownerNS]usage // (owner row, signed namespace)
	version int64             // PRAGMA data_version after our last write
}

// usage is a message count and a byte count.
type usage struct{ count, bytes int64 }

type ownerNS struct {
	owner int64
	ns    int16
}

// maxHints caps each map of hints.
const maxHints = 1 << 16

func newHints() *hints {
	h := &hints{}
	h.reset()
	return h
}

// reset forgets everything.
func (h *hints) reset() {
	h.owners = make(map[keys.ID]int64)
	h.staged = make(map[keys.ID]int64)
	h.inbox = make(map[int64]usage)
	h.signed = make(map[int64]usage)
	h.ns = make(map[ownerNS]usage)
}

// begin is called at the start of every write transaction with the
// connection's data_version: if it moved since our last write, another
// connection wrote to the file and nothing here can be trusted.
func (h *hints) begin(version int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if version != h.version {
		h.reset()
		h.version = version
	}
	clear(h.staged)
}

// end is called once a write transaction is over: committed makes the
// owner ids learnt in it usable by later transactions; a transaction that
// did not commit is undone.
func (h *hints) end(committed bool) {
	if !committed {
		h.undo()
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.owners)+len(h.staged) > maxHints {
		clear(h.owners)
	}
	for k, v := range h.staged {
		h.owners[k] = v
	}
	clear(h.staged)
}

// undo is called when a transaction or a savepoint rolled back. It forgets
// the owner ids learnt in the transaction (the rollback may have removed
// the row), and the usage bounds: one read after a deletion that the
// rollback brought back is no bound any more.
func (h *hints) undo() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.staged)
	clear(h.inbox)
	clear(h.signed)
	clear(h.ns)
}

// ownersDeleted forgets every owner id and bound: rows went, and a row id
// can be handed out again.
func (h *hints) ownersDeleted() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reset()
}

// owner returns the cached row id of id.
func (h *hints) owner(id keys.ID) (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v, ok := h.owners[id]; ok {
		return v, true
	}
	v, ok := h.staged[id]
	return v, ok
}

// learnOwner records the row id read or created in the open transaction.
func (h *hints) learnOwner(id keys.ID, row int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.staged[id] = row
}

// inboxWithin reports whether the owner's public inbox, with everything
// stored so far in it, is surely within every inbox and sender limit of l.
func (h *hints) inboxWithin(owner int64, l limits) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.inbox[owner]
	// A sender's share is part of the inbox, so the inbox's bound bounds
	// every sender's.
	return ok && !over(u.count, l.senderMessages) && !over(u.bytes, l.senderBytes) &&
		!over(u.count, l.inboxMessages) && !over(u.bytes, l.inboxBytes)
}

// signedWithin reports whether one more message of n bytes in signed
// namespace ns surely keeps the owner within the quotas of l.
func (h *hints) signedWithin(owner int64, ns int16, n int, l limits) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	u, ok := h.signed[owner]
	v, nok := h.ns[ownerNS{owner, ns}]
	return ok && nok &&
		!over(u.count+1, l.ownerMessages) && !over(u.bytes+int64(n), l.ownerBytes) &&
		!over(v.count+1, l.nsMessages) && !over(v.bytes+int64(n), l.nsBytes)
}

// setInbox records the owner's inbox totals as just read.
func (h *hints) setInbox(owner int64, u usage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.inbox) >= maxHints {
		clear(h.inbox)
	}
	h.inbox[owner] = u
}

// setSigned records the owner's signed totals and those of namespace ns as
// just read.
func (h *hints) setSigned(owner int64, ns int16, all, one usage) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.signed) >= maxHints || len(h.ns) >= maxHints {
		clear(h.signed)
		clear(h.ns)
	}
	h.signed[owner] = all
	h.ns[ownerNS{owner, ns}] = one
}

// inserted adds a message of n bytes, just inserted, to the bounds that
// cover it. Every insert into messages comes here, so that no bound falls
// below the real figure.
func (h *hints) inserted(owner int64, ns int16, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if isPublicInbox(ns) {
		if u, ok := h.inbox[owner]; ok {
			h.inbox[owner] = usage{u.count + 1, u.bytes + int64(n)}
		}
		return
	}
	if u, ok := h.signed[owner]; ok {
		h.signed[owner] = usage{u.count + 1, u.bytes + int64(n)}
	}
	k := ownerNS{owner, ns}
	if u, ok := h.ns[k]; ok {
		h.ns[k] = usage{u.count + 1, u.bytes + int64(n)}
	}
}
