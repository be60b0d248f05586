package onion

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/chacha20poly1305"
)

// Sizes used by the layer ciphers.
const (
	// KeySize is the size of X25519 public and secret keys and of layer keys.
	KeySize = 32

	gcmIVSize  = 12
	xNonceSize = chacha20poly1305.NonceSizeX
	tagSize    = 16
	cbcIVSize  = aes.BlockSize
	cbcBlock   = aes.BlockSize
)

// gcmSalt keys the HMAC that turns an X25519 shared secret into an AES-GCM key.
const gcmSalt = "LOKI"

// layerKey is the symmetric key both ends of one layer derive. The same key
// serves the request and its reply.
type layerKey struct {
	enc EncType
	k   [KeySize]byte
}

// deriveLayerKey turns the X25519 shared secret of a layer into its key.
// clientPub is the public half of the ephemeral key the request side chose,
// and nodePub the receiving side's key; only xchacha20 mixes them in, always
// in that order whichever end is computing.
func deriveLayerKey(enc EncType, shared []byte, clientPub, nodePub *[KeySize]byte) (*layerKey, error) {
	lk := &layerKey{enc: enc}
	switch enc {
	case AESGCM:
		mac := hmac.New(sha256.New, []byte(gcmSalt))
		mac.Write(shared)
		mac.Sum(lk.k[:0])
	case XChaCha20:
		h, err := blake2b.New256(nil)
		if err != nil {
			return nil, err
		}
		h.Write(shared)
		h.Write(clientPub[:])
		h.Write(nodePub[:])
		h.Sum(lk.k[:0])
	case AESCBC:
		copy(lk.k[:], shared)
	default:
		return nil, fmt.Errorf("%w %v", ErrEncType, enc)
	}
	return lk, nil
}

// x25519 computes the shared secret of priv and the public key pub. It fails,
// as libsodium's crypto_scalarmult does, when pub is a low-order point.
func x25519(priv *ecdh.PrivateKey, pub *[KeySize]byte) ([]byte, error) {
	p, err := ecdh.X25519().NewPublicKey(pub[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	shared, err := priv.ECDH(p)
	if err != nil {
		return nil, fmt.Errorf("%w: public key %x gives no shared secret", ErrInvalidKey, pub[:])
	}
	return shared, nil
}

// newX25519 makes an X25519 private key from 32 secret bytes. The bytes are
// used unclamped, as libsodium stores them; the scalar multiplication clamps.
func newX25519(secret []byte) (*ecdh.PrivateKey, error) {
	if len(secret) != KeySize {
		return nil, fmt.Errorf("%w: X25519 secret key must be %d bytes, got %d", ErrInvalidKey, KeySize, len(secret))
	}
	return ecdh.X25519().NewPrivateKey(secret)
}

// generateX25519 draws a 32-byte ephemeral secret key with exactly one read,
// as libsodium's crypto_box_keypair does, so that a recorded tape replays.
// It does not use ecdh.GenerateKey, which may ignore rand or read extra bytes.
func generateX25519(rand io.Reader) (*ecdh.PrivateKey, error) {
	var sk [KeySize]byte
	if _, err := io.ReadFull(rand, sk[:]); err != nil {
		return nil, fmt.Errorf("onion: reading randomness: %w", err)
	}
	return newX25519(sk[:])
}

// randReader returns r, or crypto/rand.Reader when r is nil.
func randReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// seal encrypts plaintext, drawing the IV or nonce with a single read from
// rand, and returns IV/nonce ‖ ciphertext (‖ tag).
func (lk *layerKey) seal(plaintext []byte, rand io.Reader) ([]byte, error) {
	rand = randReader(rand)
	switch lk.enc {
	case AESGCM:
		g, err := newGCM(lk.k[:])
		if err != nil {
			return nil, err
		}
		var iv [gcmIVSize]byte
		if _, err := io.ReadFull(rand, iv[:]); err != nil {
			return nil, fmt.Errorf("onion: reading randomness: %w", err)
		}
		out := make([]byte, gcmIVSize, gcmIVSize+len(plaintext)+tagSize)
		copy(out, iv[:])
		return g.Seal(out, iv[:], plaintext, nil), nil
	case XChaCha20:
		a, err := chacha20poly1305.NewX(lk.k[:])
		if err != nil {
			return nil, err
		}
		var nonce [xNonceSize]byte
		if _, err := io.ReadFull(rand, nonce[:]); err != nil {
			return nil, fmt.Errorf("onion: reading randomness: %w", err)
		}
		out := make([]byte, xNonceSize, xNonceSize+len(plaintext)+tagSize)
		copy(out, nonce[:])
		return a.Seal(out, nonce[:], plaintext, nil), nil
	case AESCBC:
		b, err := aes.NewCipher(lk.k[:])
		if err != nil {
			return nil, err
		}
		pad := cbcBlock - len(plaintext)%cbcBlock
		out := make([]byte, cbcIVSize+len(plaintext)+pad)
		if _, err := io.ReadFull(rand, out[:cbcIVSize]); err != nil {
			return nil, fmt.Errorf("onion: reading randomness: %w", err)
		}
		body := out[cbcIVSize:]
		copy(body, plaintext)
		for i := len(plaintext); i < len(body); i++ {
			body[i] = byte(pad)
		}
		cipher.NewCBCEncrypter(b, out[:cbcIVSize]).CryptBlocks(body, body)
		return out, nil
	}
	return nil, fmt.Errorf("%w %v", ErrEncType, lk.enc)
}

// open decrypts and authenticates what seal produced. Every failure is
// ErrDecrypt, with no detail that could help an attacker tell them apart.
func (lk *layerKey) open(ciphertext []byte) ([]byte, error) {
	switch lk.enc {
	case AESGCM:
		if len(ciphertext) < gcmIVSize+tagSize {
			return nil, fmt.Errorf("%w: %d bytes is too short for aes-gcm", ErrDecrypt, len(ciphertext))
		}
		g, err := newGCM(lk.k[:])
		if err != nil {
			return nil, err
		}
		pt, err := g.Open(nil, ciphertext[:gcmIVSize], ciphertext[gcmIVSize:], nil)
		if err != nil {
			return nil, fmt.Errorf("%w (aes-gcm)", ErrDecrypt)
		}
		return pt, nil
	case XChaCha20:
		if len(ciphertext) < xNonceSize+tagSize {
			return nil, fmt.Errorf("%w: %d bytes is too short for xchacha20", ErrDecrypt, len(ciphertext))
		}
		a, err := chacha20poly1305.NewX(lk.k[:])
		if err != nil {
			return nil, err
		}
		pt, err := a.Open(nil, ciphertext[:xNonceSize], ciphertext[xNonceSize:], nil)
		if err != nil {
			return nil, fmt.Errorf("%w (xchacha20)", ErrDecrypt)
		}
		return pt, nil
	case AESCBC:
		n := len(ciphertext) - cbcIVSize
		if n < cbcBlock || n%cbcBlock != 0 {
			return nil, fmt.Errorf("%w: %d bytes is not an aes-cbc ciphertext", ErrDecrypt, len(ciphertext))
		}
		b, err := aes.NewCipher(lk.k[:])
		if err != nil {
			return nil, err
		}
		pt := make([]byte, n)
		cipher.NewCBCDecrypter(b, ciphertext[:cbcIVSize]).CryptBlocks(pt, ciphertext[cbcIVSize:])
		// Check the PKCS#7 padding without branching on its bytes.
		pad := int(pt[n-1])
		good := subtle.ConstantTimeLessOrEq(1, pad) & subtle.ConstantTimeLessOrEq(pad, cbcBlock)
		for i := 1; i <= cbcBlock; i++ {
			inPad := subtle.ConstantTimeLessOrEq(i, pad)
			same := subtle.ConstantTimeByteEq(pt[n-i], byte(pad))
			good &= same | (inPad ^ 1)
		}
		if good != 1 {
			return nil, fmt.Errorf("%w (aes-cbc)", ErrDecrypt)
		}
		return pt[:n-pad], nil
	}
	return nil, fmt.Errorf("%w %v", ErrEncType, lk.enc)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
