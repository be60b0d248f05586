package storagerpc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"

	"github.com/session-go/session-go/internal/keys"
)

// DecodeRequest decodes the params of a storage RPC call. method is the
// "method" field (aliases accepted) and params the "params" JSON object.
//
// On failure the error is an [*Error] with the status and body the storage
// server would answer with: 400 "no method …" for an unknown method, 400
// "invalid request: …" for bad parameters, 413 for params over
// MaxRequestBodySize. Decoding checks form only (types, lengths, encodings,
// required fields); signatures and clocks are checked by [Validate].
func DecodeRequest(method string, params json.RawMessage) (Request, error) {
	if len(params) > MaxRequestBodySize {
		return nil, NewError(http.StatusRequestEntityTooLarge, "Request body too large")
	}
	f, err := parseObject(params)
	if err != nil {
		return nil, NewError(http.StatusBadRequest, "invalid json: no `params` field")
	}
	r, err := decodeMethod(method, f, true)
	if err != nil {
		return nil, asRequestError(err)
	}
	return r, nil
}

// ParseBody decodes a whole HTTP storage_rpc body, {"method": …, "params": {…}},
// answering malformed bodies as the storage server does. The body is read in
// one pass: the params object is decoded where it stands, not copied out and
// parsed again, since it can hold a 10 MB store.
func ParseBody(body []byte) (Request, error) {
	if len(body) > MaxRequestBodySize {
		return nil, NewError(http.StatusRequestEntityTooLarge, "Request body too large")
	}
	method, params, err := splitBody(body)
	if err != nil {
		return nil, err
	}
	r, err := decodeMethod(method, &fields{o: params}, true)
	if err != nil {
		return nil, asRequestError(err)
	}
	return r, nil
}

// splitBody reads the method and the params object of a body. As with a
// JSON object decoded into a map, a repeated key counts once, the last time.
func splitBody(body []byte) (method string, params map[string]json.RawMessage, err error) {
	invalid := NewError(http.StatusBadRequest, "invalid json")
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return "", nil, invalid
	}
	hasMethod, hasParams := false, false
	if tok != nil { // a top-level null holds no method
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return "", nil, invalid
		}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return "", nil, invalid
			}
			switch key {
			case "method":
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return "", nil, invalid
				}
				method, hasMethod = asString(bytes.TrimSpace(raw))
			case "params":
				params, hasParams = nil, false
				err := dec.Decode(&params)
				var typeErr *json.UnmarshalTypeError
				switch {
				case errors.As(err, &typeErr): // not an object: no params
				case err != nil:
					return "", nil, invalid
				default:
					hasParams = params != nil
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return "", nil, invalid
				}
			}
		}
		if _, err := dec.Token(); err != nil { // the closing brace
			return "", nil, invalid
		}
	}
	if _, err := dec.Token(); err != io.EOF { // nothing after the object
		return "", nil, invalid
	}
	if !hasMethod {
		return "", nil, NewError(http.StatusBadRequest, "invalid json: no `method` field")
	}
	if !hasParams {
		return "", nil, NewError(http.StatusBadRequest, "invalid json: no `params` field")
	}
	return method, params, nil
}

// decodeMethod dispatches to the decoder for method. Meta-requests (batch,
// sequence) are allowed only at the top level.
func decodeMethod(method string, f *fields, top bool) (Request, error) {
	var r Request
	var err error
	switch method {
	case MethodStore:
		r, err = decodeStore(f)
	case MethodRetrieve:
		r, err = decodeRetrieve(f)
	case MethodDelete:
		r, err = decodeDelete(f)
	case MethodDeleteAll:
		r, err = decodeDeleteAll(f)
	case MethodDeleteBefore:
		r, err = decodeDeleteBefore(f)
	case MethodExpire:
		r, err = decodeExpire(f)
	case MethodExpireAll:
		r, err = decodeExpireAll(f)
	case MethodGetExpiries:
		r, err = decodeGetExpiries(f)
	case MethodGetSwarm, MethodGetSnodesForPubkey:
		r, err = decodeGetSwarm(f)
	case MethodInfo:
		r = &Info{}
	case MethodOxendRequest:
		r, err = decodeOxendRequest(f)
	case MethodRevokeSubaccount:
		r, err = decodeRevoke(f)
	case MethodUnrevokeSubaccount:
		r, err = decodeUnrevoke(f)
	case MethodBatch, MethodSequence, MethodIfElse:
		if !top {
			return nil, parseError("Invalid batch subrequest: subrequests may not contain meta-requests")
		}
		if method == MethodIfElse {
			// TODO: ifelse (conditional requests on hardfork, version or
			// height) is not implemented; no Session client sends it.
			return nil, parseError("ifelse requests are not supported")
		}
		r, err = decodeBatch(f, method == MethodSequence)
	default:
		if !top {
			return nil, parseErrorf("Invalid batch subrequest: invalid method %s", quote(method))
		}
		const max = 64 // the server echoes the name; keep the echo short
		if len(method) > max {
			method = method[:max] + "…"
		}
		return nil, NewError(http.StatusBadRequest, "no method "+method)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// loadPubkey reads the required account ID (already extracted as pk).
func loadPubkey(pk string, ok bool) (keys.ID, error) {
	if !ok {
		return keys.ID{}, parseError("Required field 'pubkey' missing")
	}
	id, valid := parsePubkey(pk)
	if !valid {
		return keys.ID{}, parseErrorf("Pubkey must be %d hex digits (%d bytes) long", 2*keys.IDSize, keys.IDSize)
	}
	return id, nil
}

// pubkeyEither resolves the pubkey / legacy pubKey pair.
func pubkeyEither(pubkey string, hasPubkey bool, pubKey string, hasPubKey bool) (string, bool, error) {
	if hasPubkey && hasPubKey {
		return "", false, parseError("Cannot specify both 'pubkey' and 'pubKey'")
	}
	if hasPubKey {
		return pubKey, true, nil
	}
	return pubkey, hasPubkey, nil
}

// authFields are the raw authentication parameters of a request.
type authFields struct {
	pubkey, pubkeyEd, sig, sub, subSig        string
	hasPubkey, hasEd, hasSig, hasSub, hasSSig bool
}

// loadSigned reads the account, pubkey_ed25519 and the required signature.
func (a *authFields) loadSigned(out *Auth) error {
	id, err := loadPubkey(a.pubkey, a.hasPubkey)
	if err != nil {
		return err
	}
	out.Pubkey = id
	if !a.hasSig {
		return parseError("Required field 'signature' missing")
	}
	if a.hasEd {
		if id.Prefix != keys.PrefixStandard {
			return parseError("pubkey_ed25519 is only permitted for 05[...] pubkeys")
		}
		if len(a.pubkeyEd) != 2*ed25519.PublicKeySize {
			return parseError("Invalid pubkey_ed25519: expected 64 hex char or 32 byte pubkey")
		}
		b, err := hex.DecodeString(a.pubkeyEd)
		if err != nil {
			return parseError("invalid pubkey_ed25519: value is not hex")
		}
		out.PubkeyEd25519 = b
	}
	sig, ok := decodeSignature(a.sig)
	if !ok {
		return parseError("invalid signature: expected base64 encoded Ed25519 signature")
	}
	out.Signature = sig
	return nil
}

// loadSubaccount reads subaccount and subaccount_sig; an absent or empty
// subaccount means none.
func (a *authFields) loadSubaccount(out *Auth) error {
	if !a.hasSub || a.sub == "" {
		return nil
	}
	if !a.hasSSig {
		return parseError("invalid subaccount: subaccount_sig is required when using subaccount")
	}
	tok, ok := parseSubaccountToken(a.sub)
	if !ok {
		return parseError("invalid subaccount: expected base64 or hex-encoded subaccount token")
	}
	sig, ok := decodeSignature(a.subSig)
	if !ok {
		return parseError("invalid subaccount signature: expected base64 encoded Ed25519 signature")
	}
	out.Subaccount = &Subaccount{Token: tok, Signature: sig}
	return nil
}

// The decoders below read fields in the order the storage server does
// (alphabetically, then stringified ones), so that the first error reported
// is the one the server would report.

func decodeStore(f *fields) (Request, error) {
	var a authFields
	data, hasData := f.str("data")
	expiry, hasExpiry := f.timestamp("expiry")
	ns, _ := f.namespace("namespace")
	pubKey, hasPubKey := f.str("pubKey")
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	sigTS, hasSigTS := f.timestamp("sig_timestamp")
	a.sig, a.hasSig = f.str("signature")
	a.sub, a.hasSub = f.str("subaccount")
	a.subSig, a.hasSSig = f.str("subaccount_sig")
	ts, hasTS := f.stringifiedInt("timestamp")
	ttl, hasTTL := f.stringifiedUint("ttl")
	if f.err != nil {
		return nil, f.err
	}

	s := &Store{Namespace: ns, Timestamp: ts}
	if !hasTS {
		return nil, parseError("Required field 'timestamp' missing")
	}
	switch {
	case hasExpiry && hasTTL:
		return nil, parseError("Cannot specify both 'expiry' and 'ttl'")
	case hasExpiry:
		s.Expiry = expiry
	case hasTTL:
		if ts > 0 && ttl > math.MaxInt64-ts {
			return nil, parseError("Invalid value given for 'ttl': value out of range")
		}
		s.TTL = ttl
	default:
		return nil, parseError("Required field 'expiry' or 'ttl' missing")
	}
	var err error
	if a.pubkey, a.hasPubkey, err = pubkeyEither(a.pubkey, a.hasPubkey, pubKey, hasPubKey); err != nil {
		return nil, err
	}
	if a.hasSig {
		if err := a.loadSigned(&s.Auth); err != nil {
			return nil, err
		}
		if err := a.loadSubaccount(&s.Auth); err != nil {
			return nil, err
		}
		if hasSigTS {
			s.SigTimestamp = sigTS
		}
	} else if s.Pubkey, err = loadPubkey(a.pubkey, a.hasPubkey); err != nil {
		return nil, err
	}
	if !hasData {
		return nil, parseError("Required field 'data' missing")
	}
	b, ok := decodeBase64(data)
	if !ok {
		return nil, parseError("Invalid 'data' value: not base64 encoded")
	}
	if len(data) > MaxMessageSizeBase64 {
		return nil, parseErrorf("Message body exceeds maximum allowed length of %d bytes", MaxMessageSize)
	}
	s.Data = b
	return s, nil
}

func decodeRetrieve(f *fields) (Request, error) {
	var a authFields
	lastHashLegacy, hasLastHashLegacy := f.str("lastHash")
	lastHash, hasLastHash := f.str("last_hash")
	maxCount, _ := f.integer("max_count", math.MinInt32, math.MaxInt32, "integer")
	maxSize, _ := f.integer("max_size", math.MinInt32, math.MaxInt32, "integer")
	ns, hasNS := f.namespace("namespace")
	pubKey, hasPubKey := f.str("pubKey")
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	a.sig, a.hasSig = f.str("signature")
	a.sub, a.hasSub = f.str("subaccount")
	a.subSig, a.hasSSig = f.str("subaccount_sig")
	ts, hasTS := f.timestamp("timestamp")
	if f.err != nil {
		return nil, f.err
	}

	r := &Retrieve{Namespace: ns, MaxCount: int(maxCount), MaxSize: int(maxSize), LongPollMS: f.longPollMS()}
	var err error
	if a.pubkey, a.hasPubkey, err = pubkeyEither(a.pubkey, a.hasPubkey, pubKey, hasPubKey); err != nil {
		return nil, err
	}
	// Any authentication field, or a namespace that needs it, makes the
	// signature mandatory. (An omitted namespace does not: that request is
	// refused later, with 401, for lack of a signature.)
	if a.hasEd || a.hasSig || hasTS || hasNS && ns.RetrieveNeedsAuth() {
		if err := a.loadSigned(&r.Auth); err != nil {
			return nil, err
		}
		if err := a.loadSubaccount(&r.Auth); err != nil {
			return nil, err
		}
		if !hasTS {
			// The server reads an unset timestamp here (and then fails the
			// clock check); refusing the request outright is clearer.
			return nil, parseError("Required field 'timestamp' missing")
		}
		r.Timestamp = ts
	} else if r.Pubkey, err = loadPubkey(a.pubkey, a.hasPubkey); err != nil {
		return nil, err
	}

	if hasLastHash && hasLastHashLegacy {
		return nil, parseError("Cannot specify both 'last_hash' and 'lastHash'")
	}
	if hasLastHashLegacy {
		lastHash = lastHashLegacy
	}
	switch {
	case lastHash == "":
	case len(lastHash) != MessageHashLength:
		return nil, parseError("Invalid last_hash: expected base64 (43 chars)")
	case !isMessageHash(lastHash):
		return nil, parseError("Invalid last_hash: not base64")
	}
	r.LastHash = lastHash
	return r, nil
}

// loadHashes checks a non-empty list of message hashes.
func loadHashes(msgs []string, ok, validate bool) ([]string, error) {
	if !ok {
		return nil, parseError("Required field 'messages' missing")
	}
	if len(msgs) == 0 {
		return nil, parseError("messages does not contain any message hashes")
	}
	if len(msgs) > MaxHashesPerRequest {
		return nil, parseErrorf("too many message hashes: %d, the limit is %d", len(msgs), MaxHashesPerRequest)
	}
	if validate {
		for _, m := range msgs {
			if !isMessageHash(m) {
				return nil, parseErrorf("invalid message hash: %s", quote(m))
			}
		}
	}
	return msgs, nil
}

func decodeDelete(f *fields) (Request, error) {
	var a authFields
	msgs, hasMsgs := f.strs("messages")
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	required, _ := f.boolean("required")
	a.sig, a.hasSig = f.str("signature")
	a.sub, a.hasSub = f.str("subaccount")
	a.subSig, a.hasSSig = f.str("subaccount_sig")
	if f.err != nil {
		return nil, f.err
	}
	d := &Delete{Required: required}
	if err := a.loadSigned(&d.Auth); err != nil {
		return nil, err
	}
	if err := a.loadSubaccount(&d.Auth); err != nil {
		return nil, err
	}
	var err error
	if d.Messages, err = loadHashes(msgs, hasMsgs, true); err != nil {
		return nil, err
	}
	return d, nil
}

// decodeNamespacedAuth reads the fields shared by delete_all, delete_before
// and expire_all: a namespace selector, the authentication fields, and one
// timestamp field named tsName.
func decodeNamespacedAuth(f *fields, tsName string, out *Auth) (NamespaceOrAll, int64, error) {
	var a authFields
	var ts int64
	var hasTS bool
	if tsName < "namespace" { // "before", "expiry" sort first
		ts, hasTS = f.timestamp(tsName)
	}
	ns, _ := f.namespaceOrAll("namespace")
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	a.sig, a.hasSig = f.str("signature")
	a.sub, a.hasSub = f.str("subaccount")
	a.subSig, a.hasSSig = f.str("subaccount_sig")
	if tsName > "namespace" { // "timestamp" sorts last
		ts, hasTS = f.timestamp(tsName)
	}
	if f.err != nil {
		return ns, 0, f.err
	}
	if err := a.loadSigned(out); err != nil {
		return ns, 0, err
	}
	if err := a.loadSubaccount(out); err != nil {
		return ns, 0, err
	}
	if !hasTS {
		return ns, 0, parseErrorf("Required field '%s' missing", tsName)
	}
	return ns, ts, nil
}

func decodeDeleteAll(f *fields) (Request, error) {
	d := &DeleteAll{}
	var err error
	d.Namespace, d.Timestamp, err = decodeNamespacedAuth(f, "timestamp", &d.Auth)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func decodeDeleteBefore(f *fields) (Request, error) {
	d := &DeleteBefore{}
	var err error
	d.Namespace, d.Before, err = decodeNamespacedAuth(f, "before", &d.Auth)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func decodeExpireAll(f *fields) (Request, error) {
	e := &ExpireAll{}
	var err error
	e.Namespace, e.Expiry, err = decodeNamespacedAuth(f, "expiry", &e.Auth)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func decodeExpire(f *fields) (Request, error) {
	var a authFields
	expiry, hasExpiry := f.timestamps("expiry")
	extend, _ := f.boolean("extend")
	msgs, hasMsgs := f.strs("messages")
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	shorten, _ := f.boolean("shorten")
	a.sig, a.hasSig = f.str("signature")
	a.sub, a.hasSub = f.str("subaccount")
	a.subSig, a.hasSSig = f.str("subaccount_sig")
	if f.err != nil {
		return nil, f.err
	}
	e := &Expire{Shorten: shorten, Extend: extend}
	if err := a.loadSigned(&e.Auth); err != nil {
		return nil, err
	}
	if err := a.loadSubaccount(&e.Auth); err != nil {
		return nil, err
	}
	if !hasExpiry {
		return nil, parseError("Required field 'expiry' missing")
	}
	if len(expiry) == 0 {
		return nil, parseError("'expiry' does not contain any expiration timestamps")
	}
	e.Expiry = expiry
	if shorten && extend {
		return nil, parseError("cannot specify both 'shorten' and 'extend'")
	}
	if !hasMsgs {
		return nil, parseError("Required field 'messages' missing")
	}
	if len(msgs) == 0 {
		return nil, parseError("messages does not contain any message hashes")
	}
	if len(expiry) > 1 && len(expiry) != len(msgs) {
		return nil, parseError("'expiry' must be a single expiry, or the same length as 'messages'")
	}
	var err error
	if e.Messages, err = loadHashes(msgs, true, true); err != nil {
		return nil, err
	}
	return e, nil
}

func decodeGetExpiries(f *fields) (Request, error) {
	var a authFields
	msgs, hasMsgs := f.strs("messages")
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	a.sig, a.hasSig = f.str("signature")
	a.sub, a.hasSub = f.str("subaccount")
	a.subSig, a.hasSSig = f.str("subaccount_sig")
	ts, hasTS := f.timestamp("timestamp")
	if f.err != nil {
		return nil, f.err
	}
	g := &GetExpiries{}
	if err := a.loadSigned(&g.Auth); err != nil {
		return nil, err
	}
	if err := a.loadSubaccount(&g.Auth); err != nil {
		return nil, err
	}
	if !hasTS {
		return nil, parseError("Required field 'timestamp' missing")
	}
	g.Timestamp = ts
	// The server does not check the form of these hashes (a lone "all" is
	// documented as meaning every message), so neither do we.
	var err error
	if g.Messages, err = loadHashes(msgs, hasMsgs, false); err != nil {
		return nil, err
	}
	return g, nil
}

// decodeTokens reads revoke/unrevoke token lists.
func decodeTokens(name string, list []string) ([]SubaccountToken, error) {
	out := make([]SubaccountToken, 0, len(list))
	for _, s := range list {
		t, ok := parseSubaccountToken(s)
		if !ok {
			return nil, parseErrorf("invalid %s: expected base64 or hex-encoded subaccount tag", name)
		}
		out = append(out, t)
	}
	return out, nil
}

func decodeRevoke(f *fields) (Request, error) {
	var a authFields
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	list, hasList := f.strs("revoke")
	a.sig, a.hasSig = f.str("signature")
	ts, hasTS := f.timestamp("timestamp")
	if f.err != nil {
		return nil, f.err
	}
	r := &RevokeSubaccount{}
	if err := a.loadSigned(&r.Auth); err != nil {
		return nil, err
	}
	if !hasList {
		return nil, parseError("Required field 'revoke' missing")
	}
	if len(list) > MaxRevocations {
		return nil, parseErrorf("invalid revoke: cannot revoke more than %d subaccounts at once", MaxRevocations)
	}
	var err error
	if r.Tokens, err = decodeTokens("revoke", list); err != nil {
		return nil, err
	}
	if !hasTS {
		return nil, parseError("Required field 'timestamp' missing")
	}
	r.Timestamp = ts
	return r, nil
}

func decodeUnrevoke(f *fields) (Request, error) {
	var a authFields
	a.pubkey, a.hasPubkey = f.str("pubkey")
	a.pubkeyEd, a.hasEd = f.str("pubkey_ed25519")
	a.sig, a.hasSig = f.str("signature")
	ts, hasTS := f.timestamp("timestamp")
	list, hasList := f.strs("unrevoke")
	if f.err != nil {
		return nil, f.err
	}
	u := &UnrevokeSubaccount{}
	if err := a.loadSigned(&u.Auth); err != nil {
		return nil, err
	}
	if !hasTS {
		return nil, parseError("Required field 'timestamp' missing")
	}
	u.Timestamp = ts
	if !hasList {
		return nil, parseError("Required field 'unrevoke' missing")
	}
	var err error
	if u.Tokens, err = decodeTokens("unrevoke", list); err != nil {
		return nil, err
	}
	return u, nil
}

func decodeGetSwarm(f *fields) (Request, error) {
	pubKey, hasPubKey := f.str("pubKey")
	pubkey, hasPubkey := f.str("pubkey")
	if f.err != nil {
		return nil, f.err
	}
	pk, ok, err := pubkeyEither(pubkey, hasPubkey, pubKey, hasPubKey)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, parseError("Required field 'pubkey' missing")
	}
	id, valid := parsePubkey(pk)
	if !valid {
		return nil, parseErrorf("Pubkey must be %d hex digits/%d bytes long", 2*keys.IDSize, keys.IDSize)
	}
	return &GetSwarm{Pubkey: id}, nil
}

func decodeOxendRequest(f *fields) (Request, error) {
	endpoint, ok := f.str("endpoint")
	if f.err != nil {
		return nil, f.err
	}
	if !ok {
		return nil, parseError("Required field 'endpoint' missing")
	}
	if endpoint != OxendGetServiceNodes && endpoint != OxendONSResolve {
		return nil, parseErrorf("Invalid oxend endpoint %s", quote(endpoint))
	}
	o := &OxendRequest{Endpoint: endpoint}
	if p, ok := f.get("params"); ok {
		var buf bytes.Buffer
		if err := json.Compact(&buf, p); err != nil {
			return nil, parseError("oxend_request params field does not contain valid json")
		}
		o.Params = buf.Bytes()
	}
	return o, nil
}

func decodeBatch(f *fields, sequence bool) (Request, error) {
	raw, ok := f.get("requests")
	var subs []json.RawMessage
	if !ok || raw[0] != '[' || json.Unmarshal(raw, &subs) != nil || len(subs) == 0 {
		return nil, parseError(`Invalid batch request: no valid "requests" field`)
	}
	if len(subs) > MaxBatchRequests {
		return nil, parseError("Invalid batch request: subrequest limit exceeded")
	}
	b := &Batch{Sequence: sequence, Requests: make([]Request, 0, len(subs)), LongPollMS: f.longPollMS()}
	for _, s := range subs {
		s = bytes.TrimSpace(s)
		if len(s) == 0 || s[0] != '{' {
			return nil, parseError("Invalid batch request: requests must be objects")
		}
		sub, _ := parseObject(s)
		method, okM := sub.str("method")
		params, okP := sub.get("params")
		if sub.err != nil || !okM || !okP || params[0] != '{' {
			return nil, parseError("Invalid batch request: subrequests must have method/params keys")
		}
		pf, err := parseObject(params)
		if err != nil {
			return nil, err
		}
		r, err := decodeMethod(method, pf, false)
		if err != nil {
			return nil, err
		}
		b.Requests = append(b.Requests, r)
	}
	return b, nil
}

// unmarshalInto implements UnmarshalJSON for a request type: strict decoding
// with the storage server's rules.
func unmarshalInto[T any, PT interface {
	*T
	Request
}](dst PT, method string, data []byte) error {
	r, err := DecodeRequest(method, data)
	if err != nil {
		return err
	}
	v, ok := r.(PT)
	if !ok {
		return fmt.Errorf("storagerpc: %s decoded as %T", method, r)
	}
	*dst = *v
	return nil
}

// UnmarshalJSON decodes store params strictly (see [DecodeRequest]).
func (s *Store) UnmarshalJSON(b []byte) error { return unmarshalInto(s, MethodStore, b) }

// UnmarshalJSON decodes retrieve params strictly (see [DecodeRequest]).
func (r *Retrieve) UnmarshalJSON(b []byte) error { return unmarshalInto(r, MethodRetrieve, b) }

// UnmarshalJSON decodes delete params strictly (see [DecodeRequest]).
func (d *Delete) UnmarshalJSON(b []byte) error { return unmarshalInto(d, MethodDelete, b) }

// UnmarshalJSON decodes delete_all params strictly (see [DecodeRequest]).
func (d *DeleteAll) UnmarshalJSON(b []byte) error { return unmarshalInto(d, MethodDeleteAll, b) }

// UnmarshalJSON decodes delete_before params strictly (see [DecodeRequest]).
func (d *DeleteBefore) UnmarshalJSON(b []byte) error {
	return unmarshalInto(d, MethodDeleteBefore, b)
}

// UnmarshalJSON decodes expire params strictly (see [DecodeRequest]).
func (e *Expire) UnmarshalJSON(b []byte) error { return unmarshalInto(e, MethodExpire, b) }

// UnmarshalJSON decodes expire_all params strictly (see [DecodeRequest]).
func (e *ExpireAll) UnmarshalJSON(b []byte) error { return unmarshalInto(e, MethodExpireAll, b) }

// UnmarshalJSON decodes get_expiries params strictly (see [DecodeRequest]).
func (g *GetExpiries) UnmarshalJSON(b []byte) error {
	return unmarshalInto(g, MethodGetExpiries, b)
}

// UnmarshalJSON decodes revoke_subaccount params strictly (see [DecodeRequest]).
func (r *RevokeSubaccount) UnmarshalJSON(b []byte) error {
	return unmarshalInto(r, MethodRevokeSubaccount, b)
}

// UnmarshalJSON decodes unrevoke_subaccount params strictly (see [DecodeRequest]).
func (u *UnrevokeSubaccount) UnmarshalJSON(b []byte) error {
	return unmarshalInto(u, MethodUnrevokeSubaccount, b)
}

// UnmarshalJSON decodes get_swarm params strictly (see [DecodeRequest]).
func (g *GetSwarm) UnmarshalJSON(b []byte) error { return unmarshalInto(g, MethodGetSwarm, b) }

// UnmarshalJSON decodes oxend_request params strictly (see [DecodeRequest]).
func (o *OxendRequest) UnmarshalJSON(b []byte) error {
	return unmarshalInto(o, MethodOxendRequest, b)
}

// UnmarshalJSON decodes batch params strictly (see [DecodeRequest]); the
// Sequence flag is left as it was.
func (b *Batch) UnmarshalJSON(data []byte) error {
	seq := b.Sequence
	err := unmarshalInto(b, b.Method(), data)
	b.Sequence = seq
	return err
}
