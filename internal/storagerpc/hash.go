package storagerpc

import (
	"encoding/base64"

	"golang.org/x/crypto/blake2b"

	"github.com/session-go/session-go/internal/keys"
)

// MessageHash returns a stored message's ID: unpadded standard base64 of
// BLAKE2b-256(prefix ‖ key ‖ namespace ‖ data), where the namespace is empty
// for namespace 0 and decimal otherwise. It is always 43 characters, and is
// what last_hash, delete and expire refer to.
func MessageHash(account keys.ID, ns Namespace, data []byte) string {
	h, _ := blake2b.New256(nil) // only fails for an over-long key
	h.Write([]byte{byte(account.Prefix)})
	h.Write(account.Key[:])
	h.Write([]byte(ns.signed()))
	h.Write(data)
	return base64.RawStdEncoding.EncodeToString(h.Sum(nil))
}
