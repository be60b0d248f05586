package onion

import (
	"crypto/ecdh"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// NodeKey is the X25519 key pair a service node, or a server reachable
// through onion requests, decrypts its layers with.
//
// A NodeKey holds a secret; it has no String method on purpose.
type NodeKey struct {
	priv  *ecdh.PrivateKey
	pub   [KeySize]byte
	noCBC bool // set by WithoutCBC
}

// NewNodeKey makes a NodeKey from a 32-byte X25519 secret key. The public
// key is computed once here, so that each layer costs one X25519 operation.
func NewNodeKey(secret []byte) (*NodeKey, error) {
	priv, err := newX25519(secret)
	if err != nil {
		return nil, err
	}
	k := &NodeKey{priv: priv}
	copy(k.pub[:], priv.PublicKey().Bytes())
	return k, nil
}

// WithoutCBC returns a copy of k that refuses aes-cbc layers before
// decrypting anything, with an error wrapping [ErrEncType]. aes-cbc is
// unauthenticated: a node that decrypts it and answers differently for bad
// padding and for bad JSON is a padding oracle. No current client sends it.
func (k *NodeKey) WithoutCBC() *NodeKey {
	c := *k
	c.noCBC = true
	return &c
}

// PublicKey returns the node's X25519 public key.
func (k *NodeKey) PublicKey() [KeySize]byte { return k.pub }

// LayerKey returns the symmetric key of a layer encrypted to this node with
// enc under the given ephemeral public key; the same key encrypts the reply.
// The key is secret. Only tools and interoperability tests need it: [Layer]
// and [ReplyKey] use it without exposing it.
func (k *NodeKey) LayerKey(enc EncType, ephemeralKey [KeySize]byte) ([]byte, error) {
	lk, err := k.layerKey(enc, &ephemeralKey)
	if err != nil {
		return nil, err
	}
	return lk.k[:], nil
}

func (k *NodeKey) layerKey(enc EncType, ephemeral *[KeySize]byte) (*layerKey, error) {
	if k == nil || k.priv == nil {
		return nil, fmt.Errorf("%w: empty NodeKey", ErrInvalidKey)
	}
	if !enc.valid() {
		return nil, fmt.Errorf("%w %v", ErrEncType, enc)
	}
	shared, err := x25519(k.priv, ephemeral)
	if err != nil {
		return nil, err
	}
	return deriveLayerKey(enc, shared, ephemeral, &k.pub)
}

// A Layer is one onion layer after this node decrypted it.
type Layer struct {
	// EncType is the cipher of the layer, and of the reply.
	EncType EncType
	// EphemeralKey is the sender's ephemeral X25519 public key, which the
	// reply is encrypted to.
	EphemeralKey [KeySize]byte
	// HopNo is the "hop_no" of the outer JSON: 0 when absent, never negative.
	// Only [NodeKey.Open] and [NodeKey.Peel] read it.
	HopNo int
	// Plaintext is the decrypted layer. For a service node it is another
	// layer (see [Layer.Route]); for a server at the end of the path it is
	// the client's v3 JSON or v4 request.
	Plaintext []byte

	key *layerKey
}

// Open parses an onion request as it arrives at its first node or at a
// server, le32(N) ‖ ciphertext ‖ {"ephemeral_key", "enc_type", "hop_no"},
// and decrypts the ciphertext. A missing enc_type means aes-gcm.
//
// Errors wrap [ErrTooLarge] or [ErrMalformed] for bad framing or JSON, a
// missing or malformed ephemeral key included, [ErrEncType] for an unknown
// enc_type (for all of these session-storage-server answers a plaintext 400
// "Error parsing onion request"), and [ErrDecrypt] when the ciphertext does
// not decrypt (a plaintext 400 "Invalid ciphertext").
func (k *NodeKey) Open(request []byte) (*Layer, error) {
	ciphertext, _, obj, err := parseLayer(request)
	if err != nil {
		return nil, err
	}
	eph, ok, err := jsonKey(obj, "ephemeral_key")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: no \"ephemeral_key\"", ErrMalformed)
	}
	enc := DefaultEncType
	if s, ok, err := jsonString(obj, "enc_type"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	} else if ok {
		if enc, err = ParseEncType(s); err != nil {
			return nil, err
		}
	}
	if enc == AESCBC && k != nil && k.noCBC {
		return nil, fmt.Errorf("%w %v", ErrEncType, enc)
	}
	hop, _, err := jsonInt(obj, "hop_no", math.MinInt32, math.MaxInt32)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	l, err := k.OpenCiphertext(ciphertext, eph, enc)
	if err != nil {
		return nil, err
	}
	l.HopNo = int(max(hop, 0))
	return l, nil
}

// OpenCiphertext decrypts a layer that arrived without framing, as a relayed
// layer does: the previous node passes the ciphertext, the ephemeral key and
// the encryption type separately.
func (k *NodeKey) OpenCiphertext(ciphertext []byte, ephemeralKey [KeySize]byte, enc EncType) (*Layer, error) {
	if len(ciphertext) > MaxRequestSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(ciphertext), MaxRequestSize)
	}
	if k == nil || k.priv == nil {
		return nil, fmt.Errorf("%w: empty NodeKey", ErrInvalidKey)
	}
	if !enc.valid() || enc == AESCBC && k.noCBC {
		return nil, fmt.Errorf("%w %v", ErrEncType, enc)
	}
	lk, err := k.layerKey(enc, &ephemeralKey)
	if err != nil {
		// A low-order ephemeral key is, to the sender, just a layer that
		// does not decrypt, as it is for libsodium.
		return nil, fmt.Errorf("%w: %w", ErrDecrypt, err)
	}
	pt, err := lk.open(ciphertext)
	if err != nil {
		return nil, err
	}
	return &Layer{EncType: enc, EphemeralKey: ephemeralKey, Plaintext: pt, key: lk}, nil
}

// Peel is [NodeKey.Open] followed by [Layer.Route]: it decrypts one layer
// of request and says what to do with it. When the routing JSON is bad the
// error wraps [ErrInvalidJSON] and the Layer is still returned, so that the
// node can encrypt its "Invalid json" reply with [Layer.EncryptReply].
func (k *NodeKey) Peel(request []byte) (*Layer, Route, error) {
	l, err := k.Open(request)
	if err != nil {
		return nil, nil, err
	}
	r, err := l.Route()
	if err != nil {
		return l, nil, err
	}
	return l, r, nil
}

// EncryptReply encrypts a reply to the layer's sender, with the layer's key
// and cipher, as IV or nonce ‖ ciphertext (‖ tag). It reads the one IV or
// nonce from rand (crypto/rand.Reader when nil).
//
// For a service node at the end of the path the reply is the JSON
// {"status": code, "body": …}, and the node base64-encodes the result unless
// the control JSON said "base64": false. Servers send v4 replies raw.
func (l *Layer) EncryptReply(reply []byte, rand io.Reader) ([]byte, error) {
	if l.key == nil {
		return nil, fmt.Errorf("%w: the layer was not decrypted by a NodeKey", ErrInvalidKey)
	}
	return l.key.seal(reply, rand)
}

// A Route says what a node does with the decrypted layer: it is a
// *[FinalDestination], a *[RelayToNode] or a *[RelayToServer].
type Route interface{ route() }

// FinalDestination is a layer addressed to this node: its control JSON has
// a "headers" key (any value).
type FinalDestination struct {
	// Payload is the client's storage RPC request, {"method": …, "params": …}.
	Payload []byte
	// Control is the control JSON as sent, e.g. {"headers":""}.
	Control []byte
	// EmbedJSON is the control's "json": the reply body is embedded as a JSON
	// value rather than as a string.
	EmbedJSON bool
	// Base64 is the control's "base64", true when absent: the encrypted reply
	// is sent base64-encoded.
	Base64 bool
}

// RelayToNode is a layer to pass to another service node.
type RelayToNode struct {
	// Next is the next node's Ed25519 public key ("destination").
	Next [KeySize]byte
	// Ciphertext is the blob the next node decrypts.
	Ciphertext []byte
	// EphemeralKey is the key the next node decrypts with ("ephemeral_key").
	EphemeralKey [KeySize]byte
	// EncType is the cipher of the next layer ("enc_type", aes-gcm when absent).
	EncType EncType
}

// RelayToServer is a layer whose routing JSON names an HTTP server: the node
// POSTs Body to [RelayToServer.URL].
type RelayToServer struct {
	// Host, Port, Protocol and Target come from the routing JSON. Port is 443
	// and Protocol "https" when absent, as session-storage-server has them
	// (443 even for http).
	Host     string
	Port     uint16
	Protocol string
	Target   string
	// Body is the whole decrypted layer, length prefix, blob and JSON
	// included: the server parses the same framing and finds its own
	// "ephemeral_key" and "enc_type" in the JSON.
	Body []byte
}

func (*FinalDestination) route() {}
func (*RelayToNode) route()      {}
func (*RelayToServer) route()    {}

// Route classifies the decrypted layer as session-storage-server's
// process_inner_request does: a "headers" key makes this node the final
// destination, else a "host" key asks for a server, else the layer goes to
// the node named by "destination". Errors wrap [ErrInvalidJSON].
//
// Route does not check the server URL; see [RelayToServer.URL].
func (l *Layer) Route() (Route, error) {
	blob, meta, obj, err := parseLayer(l.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	r, err := classify(l.Plaintext, blob, meta, obj)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidJSON, err)
	}
	return r, nil
}

func classify(plaintext, blob, meta []byte, obj map[string]json.RawMessage) (Route, error) {
	if _, ok := obj["headers"]; ok {
		embed, err := jsonBool(obj, "json", false)
		if err != nil {
			return nil, err
		}
		b64, err := jsonBool(obj, "base64", true)
		if err != nil {
			return nil, err
		}
		return &FinalDestination{Payload: blob, Control: meta, EmbedJSON: embed, Base64: b64}, nil
	}
	if host, ok, err := jsonString(obj, "host"); err != nil {
		return nil, err
	} else if ok {
		r := &RelayToServer{Host: host, Port: 443, Protocol: "https", Body: plaintext}
		target, ok, err := jsonString(obj, "target")
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("no \"target\" for host %q", clip(host))
		}
		r.Target = target
		if p, ok, err := jsonInt(obj, "port", 1, math.MaxUint16); err != nil {
			return nil, err
		} else if ok {
			r.Port = uint16(p)
		}
		if p, ok, err := jsonString(obj, "protocol"); err != nil {
			return nil, err
		} else if ok {
			r.Protocol = p
		}
		return r, nil
	}
	r := &RelayToNode{Ciphertext: blob, EncType: DefaultEncType}
	var ok bool
	var err error
	if r.Next, ok, err = jsonKey(obj, "destination"); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("none of \"headers\", \"host\" or \"destination\"")
	}
	if r.EphemeralKey, ok, err = jsonKey(obj, "ephemeral_key"); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("no \"ephemeral_key\" for the next node")
	}
	if s, ok, err := jsonString(obj, "enc_type"); err != nil {
		return nil, err
	} else if ok {
		if r.EncType, err = ParseEncType(s); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Request frames the layer for the next node as a client frames its first
// layer: le32(N) ‖ ciphertext ‖ {"enc_type":…,"ephemeral_key":…}. It is what
// the next node's [NodeKey.Open] reads (over HTTPS or QUIC onion_req); the
// OxenMQ relay sends the same three values in a bt dict instead.
func (r *RelayToNode) Request() ([]byte, error) {
	meta, err := encodeObject([]field{
		strField("enc_type", r.EncType.String()),
		strField("ephemeral_key", hex.EncodeToString(r.EphemeralKey[:])),
	})
	if err != nil {
		return nil, err
	}
	if 4+len(r.Ciphertext)+len(meta) > MaxRequestSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, 4+len(r.Ciphertext)+len(meta))
	}
	return appendLayer(nil, r.Ciphertext, meta), nil
}

// TargetAllowed reports whether a node proxies onion requests to target: it
// must start with "/loki/" or "/oxen/", end with "/lsrpc" and hold no "?".
// This is session-storage-server's filter, which keeps the onion proxy from
// reaching anything but onion-request endpoints.
func TargetAllowed(target string) bool {
	return (strings.HasPrefix(target, "/loki/") || strings.HasPrefix(target, "/oxen/")) &&
		strings.HasSuffix(target, "/lsrpc") && !strings.Contains(target, "?")
}

// URL returns the address to POST [RelayToServer.Body] to,
// protocol://host[:port]target, with the port left out when it is the
// protocol's default. It fails with [ErrInvalidURL] (session-storage-server
// answers an encrypted 400 "Invalid url") unless the protocol is http or
// https and [TargetAllowed] accepts the target. It also refuses what
// session-storage-server lets through but a URL cannot hold safely: a host
// that is not a plain host name or IP address (so "a/b?" cannot move the
// path), and a target with a fragment, a backslash, white space or control
// characters, and a target that is not a clean path: an empty, "." or ".."
// segment (so "//" and "/oxen/../admin/lsrpc" are refused) or any
// percent-encoding (so "%2e%2e" and "%2f" cannot smuggle them in).
func (r *RelayToServer) URL() (string, error) {
	if r.Protocol != "http" && r.Protocol != "https" {
		return "", fmt.Errorf("%w: protocol %q", ErrInvalidURL, clip(r.Protocol))
	}
	if !validHost(r.Host) {
		return "", fmt.Errorf("%w: host %q", ErrInvalidURL, clip(r.Host))
	}
	if !TargetAllowed(r.Target) || strings.ContainsAny(r.Target, "#\\%") || hasSpaceOrControl(r.Target) || !cleanPath(r.Target) {
		return "", fmt.Errorf("%w: target %q", ErrInvalidURL, clip(r.Target))
	}
	if r.Port == 0 {
		return "", fmt.Errorf("%w: port 0", ErrInvalidURL)
	}
	u := r.Protocol + "://" + r.Host
	if r.Port != defaultPort(r.Protocol) {
		u += ":" + strconv.Itoa(int(r.Port))
	}
	return u + r.Target, nil
}

// validHost accepts a DNS name or IPv4 address (letters, digits, '-', '.',
// '_'), or an IPv6 address in brackets.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	if h[0] == '[' {
		if len(h) < 3 || h[len(h)-1] != ']' {
			return false
		}
		for _, c := range h[1 : len(h)-1] {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.') {
				return false
			}
		}
		return true
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

// cleanPath reports whether every segment of an absolute path is a name:
// not empty, ".", or "..".
func cleanPath(p string) bool {
	if !strings.HasPrefix(p, "/") {
		return false
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func hasSpaceOrControl(s string) bool {
	for _, c := range s {
		if c <= ' ' || c == 0x7f {
			return true
		}
	}
	return false
}

// defaultPort is the port a URL may leave out for protocol.
func defaultPort(protocol string) uint16 {
	if protocol == "http" {
		return 80
	}
	return 443
}
