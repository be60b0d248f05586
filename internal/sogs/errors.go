package sogs

import (
	"errors"

	"github.com/session-go/session-go/internal/sogs/internal/dm"
)

var (
	// ErrNonceSize reports an X-SOGS-Nonce that is not 16 bytes.
	ErrNonceSize = errors.New("sogs: request nonce must be 16 bytes")
	// ErrKeyKind reports a [KeyKind] this package does not know.
	ErrKeyKind = errors.New("sogs: unknown request key kind")

	// ErrDecrypt reports a blinded message that cannot be decrypted or
	// authenticated: truncated, tampered with, of an unknown version, or
	// carrying a sender key that does not match its outer sender ID. It
	// says no more on purpose.
	ErrDecrypt = dm.ErrDecrypt
	// ErrNotParticipant reports a blinded message whose sender and
	// recipient are both someone other than the decrypting account.
	ErrNotParticipant = dm.ErrNotParticipant
	// ErrBlindedID reports a blinded message whose sender or recipient is
	// not a blinded ID (15 or 25), or whose two IDs are of different kinds.
	ErrBlindedID = dm.ErrBlindedID
)
