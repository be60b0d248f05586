package sogs

import (
	"crypto/rand"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/sogs/internal/dm"
)

// BlindedDMOverhead is how many bytes [EncryptBlindedDM] adds to a message:
// a version byte, the sender's Ed25519 public key, a 16-byte tag and a
// 24-byte nonce.
const BlindedDMOverhead = dm.Overhead

// EncryptBlindedDM encrypts a direct message from the account id to another
// member of the community server serverPub, known only by its blinded ID
// (15 or 25; the sender uses its own blinded key of the same kind).
//
// Neither side learns the other's Session ID from the IDs alone: the key is
// BLAKE2b-256 of the blinded Diffie-Hellman point and both blinded keys, and
// the sender's real Ed25519 key travels inside the ciphertext. msg is sent as
// given; padding it is up to the caller. The nonce comes from crypto/rand.
func EncryptBlindedDM(id *keys.Identity, serverPub []byte, recipient keys.ID, msg []byte) ([]byte, error) {
	return dm.Encrypt(rand.Reader, id, serverPub, recipient, msg)
}

// DecryptBlindedDM decrypts a direct message between the blinded IDs sender
// and recipient, as the community server reported them. The account id must
// be the recipient, or the sender reading back its own outgoing message. It
// returns the message and the sender's Session ID, which it trusts only
// after checking that the Ed25519 key inside the message blinds to sender.
//
// Any fault in data is reported as [ErrDecrypt] and nothing more.
func DecryptBlindedDM(id *keys.Identity, serverPub []byte, sender, recipient keys.ID, data []byte) (msg []byte, from keys.ID, err error) {
	return dm.Decrypt(id, serverPub, sender, recipient, data)
}
