package onion

import (
	"encoding/hex"
	"fmt"
	"io"
)

// Hop is a service node on an onion path.
type Hop struct {
	// Ed25519 is the node's identity key; the previous hop finds the node by it.
	Ed25519 [KeySize]byte
	// X25519 is the key the node's layer is encrypted to.
	X25519 [KeySize]byte
}

// A Destination is where an onion request ends: a [SnodeDestination] or a
// [ServerDestination].
type Destination interface {
	// innermost returns the plaintext to encrypt to the destination and the
	// routing fields (other than "enc_type" and "ephemeral_key") that tell
	// the last hop where to send it.
	innermost(payload []byte) (plaintext []byte, route []field, err error)
	// x25519 returns the key the innermost layer is encrypted to.
	x25519() [KeySize]byte
}

// SnodeDestination is a service node that runs the request itself (a
// storage RPC call such as store or retrieve).
type SnodeDestination struct {
	// Ed25519 is the node's identity key, which the last hop looks it up by.
	Ed25519 [KeySize]byte
	// X25519 is the key the innermost layer is encrypted to.
	X25519 [KeySize]byte
}

// ServerDestination is an HTTP server reached through the last hop: a file
// server, a community server or a push server.
type ServerDestination struct {
	// Host is a host name or IP address, without a port.
	Host string
	// Target is the path the last hop POSTs to, such as "/oxen/v4/lsrpc"; it
	// must pass [TargetAllowed].
	Target string
	// Protocol is "https" or "http"; empty means "https".
	Protocol string
	// Port is the TCP port; 0 means the protocol's default (443 or 80).
	Port uint16
	// X25519 is the server's onion-request key.
	X25519 [KeySize]byte
}

// snodeControl is the control JSON libsession sends with a storage RPC
// request: the "headers" key is what makes the node the final destination.
const snodeControl = `{"headers":""}`

func (d SnodeDestination) x25519() [KeySize]byte { return d.X25519 }

func (d SnodeDestination) innermost(payload []byte) ([]byte, []field, error) {
	pt := appendLayer(nil, payload, []byte(snodeControl))
	return pt, []field{strField("destination", hex.EncodeToString(d.Ed25519[:]))}, nil
}

func (d ServerDestination) x25519() [KeySize]byte { return d.X25519 }

// innermost sends the payload unframed: the server finds the key to decrypt
// it in the same JSON the last hop read, which holds the fields below.
func (d ServerDestination) innermost(payload []byte) ([]byte, []field, error) {
	proto := d.Protocol
	if proto == "" {
		proto = "https"
	}
	port := d.Port
	if port == 0 {
		port = defaultPort(proto)
	}
	r := RelayToServer{Host: d.Host, Port: port, Protocol: proto, Target: d.Target}
	if _, err := r.URL(); err != nil {
		return nil, nil, fmt.Errorf("%w: server destination: %w", ErrInvalidRequest, err)
	}
	return payload, []field{
		strField("host", d.Host),
		strField("target", d.Target),
		strField("method", "POST"),
		strField("protocol", proto),
		intField("port", int64(port)),
	}, nil
}

// Build makes an onion request carrying payload through hops (first hop
// first) to dest, every layer encrypted with enc. It returns the bytes to
// send to hops[0] and the key that decrypts the destination's reply.
//
// For a service node the payload is the storage RPC request JSON; for a
// server it is the v3 JSON or the v4 body (see [V4Request.Encode]).
//
// Build reads all its randomness from rand (crypto/rand.Reader when nil) in
// libsession's order, one read per value: the destination layer's ephemeral
// secret key (32 bytes) and IV or nonce, then the same pair for each hop from
// the last to the first. aes-cbc is refused: it is for old nodes only.
func Build(dest Destination, hops []Hop, payload []byte, enc EncType, rand io.Reader) ([]byte, *ReplyKey, error) {
	if enc != AESGCM && enc != XChaCha20 {
		return nil, nil, fmt.Errorf("%w for a new request: %v", ErrEncType, enc)
	}
	if dest == nil {
		return nil, nil, fmt.Errorf("%w: no destination", ErrInvalidRequest)
	}
	if len(hops) == 0 || len(hops) > MaxHops {
		return nil, nil, fmt.Errorf("%w: %d hops, want 1 to %d", ErrInvalidRequest, len(hops), MaxHops)
	}
	if len(payload) > MaxRequestSize {
		return nil, nil, fmt.Errorf("%w: payload of %d bytes", ErrTooLarge, len(payload))
	}
	rand = randReader(rand)

	plaintext, route, err := dest.innermost(payload)
	if err != nil {
		return nil, nil, err
	}
	destKey := dest.x25519()
	sl, err := sealTo(enc, plaintext, &destKey, rand)
	if err != nil {
		return nil, nil, err
	}
	reply, err := newReplyKey(enc, sl.pub, sl.shared, &destKey)
	if err != nil {
		return nil, nil, err
	}

	// Each hop's plaintext is le32(N) ‖ the next blob ‖ its routing JSON,
	// which names the next node (or the server) and the ephemeral key the
	// next blob was sealed with.
	for i := len(hops) - 1; i >= 0; i-- {
		if i < len(hops)-1 {
			route = []field{strField("destination", hex.EncodeToString(hops[i+1].Ed25519[:]))}
		}
		meta, err := routingJSON(route, enc, &sl.pub)
		if err != nil {
			return nil, nil, err
		}
		if 4+len(sl.ct)+len(meta) > MaxRequestSize {
			return nil, nil, fmt.Errorf("%w: layer %d would be %d bytes", ErrTooLarge, i, 4+len(sl.ct)+len(meta))
		}
		pt := appendLayer(nil, sl.ct, meta)
		if sl, err = sealTo(enc, pt, &hops[i].X25519, rand); err != nil {
			return nil, nil, err
		}
	}

	meta, err := routingJSON(nil, enc, &sl.pub)
	if err != nil {
		return nil, nil, err
	}
	if 4+len(sl.ct)+len(meta) > MaxRequestSize {
		return nil, nil, fmt.Errorf("%w: request would be %d bytes", ErrTooLarge, 4+len(sl.ct)+len(meta))
	}
	return appendLayer(nil, sl.ct, meta), reply, nil
}

// routingJSON writes route plus the "enc_type" and "ephemeral_key" the next
// receiver decrypts with.
func routingJSON(route []field, enc EncType, eph *[KeySize]byte) ([]byte, error) {
	fs := append([]field{
		strField("enc_type", enc.String()),
		strField("ephemeral_key", hex.EncodeToString(eph[:])),
	}, route...)
	return encodeObject(fs)
}

// sealed is one layer sealed by sealTo.
type sealed struct {
	pub    [KeySize]byte // the ephemeral public key
	shared []byte        // X25519(ephemeral secret, receiver)
	ct     []byte
}

// sealTo draws an ephemeral key pair and encrypts plaintext from it to the
// X25519 public key to.
func sealTo(enc EncType, plaintext []byte, to *[KeySize]byte, rand io.Reader) (*sealed, error) {
	eph, err := generateX25519(rand)
	if err != nil {
		return nil, err
	}
	s := &sealed{}
	copy(s.pub[:], eph.PublicKey().Bytes())
	if s.shared, err = x25519(eph, to); err != nil {
		return nil, err
	}
	lk, err := deriveLayerKey(enc, s.shared, &s.pub, to)
	if err != nil {
		return nil, err
	}
	if s.ct, err = lk.seal(plaintext, rand); err != nil {
		return nil, err
	}
	return s, nil
}

// SealLayer encrypts one layer: plaintext to the X25519 public key to, from
// a fresh ephemeral key pair, exactly as [Build] seals each of its layers.
// It returns IV or nonce ‖ ciphertext (‖ tag) and a [ReplyKey] whose
// PublicKey is the "ephemeral_key" the receiver needs and which decrypts the
// receiver's reply. It reads the ephemeral secret key (32 bytes) and then the
// IV or nonce from rand (crypto/rand.Reader when nil).
//
// Unlike Build, SealLayer accepts [AESCBC], to talk to old nodes.
func SealLayer(enc EncType, plaintext []byte, to [KeySize]byte, rand io.Reader) ([]byte, *ReplyKey, error) {
	if !enc.valid() {
		return nil, nil, fmt.Errorf("%w %v", ErrEncType, enc)
	}
	if len(plaintext) > MaxRequestSize {
		return nil, nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(plaintext))
	}
	sl, err := sealTo(enc, plaintext, &to, randReader(rand))
	if err != nil {
		return nil, nil, err
	}
	rk, err := newReplyKey(enc, sl.pub, sl.shared, &to)
	if err != nil {
		return nil, nil, err
	}
	return sl.ct, rk, nil
}

// ReplyKey decrypts the reply to an onion request. It is derived from the
// ephemeral key pair of the innermost layer and the destination's key.
//
// A ReplyKey holds a secret; it has no String method on purpose.
type ReplyKey struct {
	enc EncType
	pub [KeySize]byte
	key *layerKey
	// gcm is the aes-gcm key from the same shared secret: libsession retries
	// with it when an xchacha20 reply does not decrypt, because the legacy
	// push server answers errors in aes-gcm.
	gcm *layerKey
}

// NewReplyKey rebuilds the [ReplyKey] of a request from the 32-byte
// ephemeral secret key of its innermost layer and the destination's X25519
// public key, for a client that kept those rather than the ReplyKey.
func NewReplyKey(enc EncType, ephemeralSecret []byte, destination [KeySize]byte) (*ReplyKey, error) {
	if !enc.valid() {
		return nil, fmt.Errorf("%w %v", ErrEncType, enc)
	}
	eph, err := newX25519(ephemeralSecret)
	if err != nil {
		return nil, err
	}
	var pub [KeySize]byte
	copy(pub[:], eph.PublicKey().Bytes())
	shared, err := x25519(eph, &destination)
	if err != nil {
		return nil, err
	}
	return newReplyKey(enc, pub, shared, &destination)
}

func newReplyKey(enc EncType, pub [KeySize]byte, shared []byte, dest *[KeySize]byte) (*ReplyKey, error) {
	k := &ReplyKey{enc: enc, pub: pub}
	var err error
	if k.key, err = deriveLayerKey(enc, shared, &k.pub, dest); err != nil {
		return nil, err
	}
	if enc == XChaCha20 {
		if k.gcm, err = deriveLayerKey(AESGCM, shared, &k.pub, dest); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// EncType returns the cipher of the request, which the reply uses too.
func (k *ReplyKey) EncType() EncType { return k.enc }

// PublicKey returns the ephemeral public key of the innermost layer, which
// the destination encrypts its reply to.
func (k *ReplyKey) PublicKey() [KeySize]byte { return k.pub }

// DecryptReply decrypts the destination's reply: raw IV or nonce ‖
// ciphertext ‖ tag. A service node destination sends it base64-encoded
// (unless asked not to), so decode that first. A reply that is not
// encrypted at all (a non-200 status, or a plaintext error from a node on
// the path) is a path error the caller sees before calling this.
func (k *ReplyKey) DecryptReply(reply []byte) ([]byte, error) {
	if k == nil || k.key == nil {
		return nil, fmt.Errorf("%w: empty ReplyKey", ErrInvalidKey)
	}
	pt, err := k.key.open(reply)
	if err == nil || k.gcm == nil {
		return pt, err
	}
	if pt, gerr := k.gcm.open(reply); gerr == nil {
		return pt, nil
	}
	return nil, err
}
