// Package sogs implements the client side of Session's community server
// (SOGS) protocol: request authentication headers, unblinded and blinded, and
// blinded direct messages between community members.
package sogs

import (
	"strconv"

	"golang.org/x/crypto/blake2b"
)

// NonceSize is the size of the random X-SOGS-Nonce.
const NonceSize = 16

// SignedMessage returns the bytes a community request signs:
// server public key ‖ nonce ‖ decimal timestamp (seconds) ‖ method ‖ path,
// followed by BLAKE2b-512 of the body when there is a body.
func SignedMessage(serverPubkey, nonce []byte, timestamp int64, method, path string, body []byte) []byte {
	msg := make([]byte, 0, len(serverPubkey)+len(nonce)+20+len(method)+len(path)+blake2b.Size)
	msg = append(msg, serverPubkey...)
	msg = append(msg, nonce...)
	msg = strconv.AppendInt(msg, timestamp, 10)
	msg = append(msg, method...)
	msg = append(msg, path...)
	if len(body) > 0 {
		h := blake2b.Sum512(body)
		msg = append(msg, h[:]...)
	}
	return msg
}
