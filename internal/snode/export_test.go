package snode

import (
	"net/http"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// SignPeerRequest signs req as the node whose identity is id, exactly as a
// node signs its requests to other nodes, so that tests can forge what a
// node (or a thief of its key) could send. Set the onion hop header first.
func SignPeerRequest(id *keys.Identity, req *http.Request, path string, body []byte) {
	signPeer(id, time.Now(), req, path, body)
}
