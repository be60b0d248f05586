package snode

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/store"
)

// The sender of a store into a public inbox (store.Message.Sender) is the
// key of its share of the owner's inbox: a stranger flooding an inbox churns
// through its own share, not through everyone's. It is the address the node
// sees the store come from, the same key as the rate limit's and the long
// poll caps' (pollSender), which is not always the author:
//
//   - a store sent straight to the node's storage RPC, or in an onion request
//     whose first hop is this node, comes from the client's IP address
//     ("addr:192.0.2.1"); IPv6 addresses count by /64, since one host
//     commonly holds a whole /64 (clientKey);
//   - a store in an onion request relayed by another node comes, as far as
//     this node can tell, from that node ("peer:<Ed25519 hex>"), once its
//     signature has verified: the client's own address is hidden by design,
//     and the node's identity is steadier than its address.
//
// A client address is not recorded as such: the message keeps, and the swarm
// learns, only a hash of it keyed with a random key this node draws at start
// (inboxSender), the same for every store of that address while the node
// runs, which is all a share needs. Relays are public nodes, recorded as they
// are. A stranger who sends straight to several members of a swarm gets a
// share at each, at most the swarm's size of them, still within the inbox.
//
// So behind onion routing a share belongs to a relay, and a stranger who
// spreads a flood across many relays gets many shares; what bounds that flood
// is the inbox's own budget, where the oldest message goes first, so that the
// newest messages are always there and the owner's signed namespaces (their
// configs, which sync their devices) are never touched.
//
// The node that receives a store from outside decides its sender, and passes
// it to the rest of the swarm with the forwarded request (headerStoreSender)
// and in catch-up records, so that every member counts the message in the same
// share and evicts the same messages. A peer could name another sender; that
// only moves the message between shares of the same inbox, which a peer able
// to forward stores could fill anyway.

// headerStoreSender carries the sender of a store forwarded to a swarm peer.
const headerStoreSender = "X-Snode-Store-Sender"

type senderCtxKey struct{}

// withSender returns ctx carrying the sender of the requests run with it.
func withSender(ctx context.Context, sender string) context.Context {
	return context.WithValue(ctx, senderCtxKey{}, sender)
}

// senderOf returns the sender carried by ctx, or "" (unknown).
func senderOf(ctx context.Context) string {
	s, _ := ctx.Value(senderCtxKey{}).(string)
	return s
}

// forwardedSender returns the sender a swarm peer passed with a forwarded
// store; one that could not have come from an honest peer is unknown.
func forwardedSender(h http.Header) string {
	s := h.Get(headerStoreSender)
	if len(s) > store.MaxSenderLength {
		return ""
	}
	return s
}

// newSenderKey draws the key of inboxSender's hashes.
func newSenderKey() [32]byte {
	var k [32]byte
	rand.Read(k[:]) // never fails (crypto/rand)
	return k
}

// inboxSender returns the sender recorded with the inbox stores of a request
// whose sender key (pollSender.key) is key: a client address ("addr:…") as
// a keyed hash, a relaying node as it is.
func (n *Node) inboxSender(key string) string {
	addr, ok := strings.CutPrefix(key, "addr:")
	if !ok {
		if len(key) > store.MaxSenderLength {
			return ""
		}
		return key
	}
	h, _ := blake2b.New(16, n.senderKey[:]) // a 32-byte key is valid
	h.Write([]byte(addr))
	return "addr:" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
