// Package sogstest exposes the deterministic core of package sogs for
// known-answer tests: the same code, with a caller-chosen random source. It
// must only be used by tests that replay recorded randomness; anything else
// should call package sogs, which draws from crypto/rand.
package sogstest

import (
	"io"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/sogs/internal/dm"
)

// EncryptBlindedDM is
// [github.com/session-go/session-go/internal/sogs.EncryptBlindedDM] with the
// 24-byte nonce read from rand in a single read.
func EncryptBlindedDM(rand io.Reader, id *keys.Identity, serverPub []byte, recipient keys.ID, msg []byte) ([]byte, error) {
	return dm.Encrypt(rand, id, serverPub, recipient, msg)
}
