package storagerpc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/session-go/session-go/internal/keys"
)

// fields reads request parameters with the type rules of the storage
// server's JSON library: null counts as absent, integers and floats are told
// apart by their spelling, and a wrong type is a parse error naming the
// field. The first error sticks; later reads return zero values.
type fields struct {
	o   map[string]json.RawMessage
	err error
}

// parseObject reads a JSON object of parameters.
func parseObject(raw []byte) (*fields, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, parseError("params must be a JSON object")
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, parseError("params are not valid JSON")
	}
	return &fields{o: o}, nil
}

// get returns the raw value of name, or false when it is missing or null.
func (f *fields) get(name string) (json.RawMessage, bool) {
	if f.err != nil {
		return nil, false
	}
	v, ok := f.o[name]
	if !ok {
		return nil, false
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// longPollMS reads session-go's optional long_poll_ms leniently: a Session
// node ignores the field, so a value that is not a positive integer is 0
// (answer at once), never an error.
func (f *fields) longPollMS() int64 {
	v, ok := f.get("long_poll_ms")
	if !ok {
		return 0
	}
	ms, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || ms <= 0 {
		return 0
	}
	return ms
}

func (f *fields) fail(err parseError) {
	if f.err == nil {
		f.err = err
	}
}

func (f *fields) wrongType(name, want string) {
	f.fail(parseErrorf("Invalid value given for '%s': expected %s", name, want))
}

// str reads a string.
func (f *fields) str(name string) (string, bool) {
	v, ok := f.get(name)
	if !ok {
		return "", false
	}
	s, isStr := asString(v)
	if !isStr {
		f.wrongType(name, "string")
		return "", false
	}
	return s, true
}

// strs reads a string array, or a single string as a one-element array.
func (f *fields) strs(name string) ([]string, bool) {
	v, ok := f.get(name)
	if !ok {
		return nil, false
	}
	if s, isStr := asString(v); isStr {
		return []string{s}, true
	}
	var elems []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &elems) != nil {
		f.wrongType(name, "string array")
		return nil, false
	}
	out := make([]string, 0, len(elems))
	for _, e := range elems {
		s, isStr := asString(bytes.TrimSpace(e))
		if !isStr {
			f.wrongType(name, "string array")
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// boolean reads true or false.
func (f *fields) boolean(name string) (bool, bool) {
	v, ok := f.get(name)
	if !ok {
		return false, false
	}
	switch string(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	f.wrongType(name, "boolean")
	return false, false
}

// integer reads an integer (of either sign) in [min, max].
func (f *fields) integer(name string, min, max int64, desc string) (int64, bool) {
	v, ok := f.get(name)
	if !ok {
		return 0, false
	}
	n, kind := asInteger(v)
	if kind == notInteger || n < min || n > max {
		f.wrongType(name, desc)
		return 0, false
	}
	return n, true
}

// unsigned reads a non-negative integer that fits in an int64.
func (f *fields) unsigned(name, desc string) (int64, bool) {
	v, ok := f.get(name)
	if !ok {
		return 0, false
	}
	n, kind := asInteger(v)
	if kind != unsignedInteger {
		f.wrongType(name, desc)
		return 0, false
	}
	return n, true
}

// timestamp reads a millisecond timestamp: a non-negative integer that is
// not implausibly small (which would mean seconds were sent).
func (f *fields) timestamp(name string) (int64, bool) {
	n, ok := f.unsigned(name, "integer timestamp (in milliseconds)")
	if ok && n < minTimestamp {
		f.fail(parseErrorf("Invalid timestamp for '%s': timestamp must be in milliseconds", name))
		return 0, false
	}
	return n, ok
}

// timestamps reads one timestamp or an array of them (no plausibility check,
// as the server does none for arrays).
func (f *fields) timestamps(name string) ([]int64, bool) {
	v, ok := f.get(name)
	if !ok {
		return nil, false
	}
	if n, kind := asInteger(v); kind == unsignedInteger {
		return []int64{n}, true
	}
	var elems []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &elems) != nil {
		f.wrongType(name, "timestamp array")
		return nil, false
	}
	out := make([]int64, 0, len(elems))
	for _, e := range elems {
		n, kind := asInteger(bytes.TrimSpace(e))
		if kind != unsignedInteger {
			f.wrongType(name, "timestamp array")
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// namespace reads a 16-bit namespace.
func (f *fields) namespace(name string) (Namespace, bool) {
	v, ok := f.get(name)
	if !ok {
		return 0, false
	}
	n, kind := asInteger(v)
	if kind == notInteger {
		f.wrongType(name, "16-bit integer")
		return 0, false
	}
	if n < math.MinInt16 || n > math.MaxInt16 {
		f.fail(parseErrorf("Invalid value given for '%s': value out of range", name))
		return 0, false
	}
	return Namespace(n), true
}

// namespaceOrAll reads a 16-bit namespace or the string "all".
func (f *fields) namespaceOrAll(name string) (NamespaceOrAll, bool) {
	v, ok := f.get(name)
	if !ok {
		return NamespaceOrAll{}, false
	}
	if s, isStr := asString(v); isStr {
		if s == "all" {
			return AllNamespaces(), true
		}
		f.wrongType(name, `integer or "all"`)
		return NamespaceOrAll{}, false
	}
	if _, kind := asInteger(v); kind == notInteger {
		f.wrongType(name, `integer or "all"`)
		return NamespaceOrAll{}, false
	}
	n, ok := f.namespace(name)
	return OneNamespace(n), ok
}

// stringifiedInt reads an integer that may also arrive as a decimal string
// (store's timestamp, for old clients).
func (f *fields) stringifiedInt(name string) (int64, bool) {
	v, ok := f.get(name)
	if !ok {
		return 0, false
	}
	if s, isStr := asString(v); isStr {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || s[0] == '+' {
			f.fail(parseErrorf("Invalid value given for '%s': %s", name, quote(s)))
			return 0, false
		}
		return n, true
	}
	return f.integer(name, math.MinInt64, math.MaxInt64, "integer")
}

// stringifiedUint reads a non-negative integer that may also arrive as a
// decimal string (store's ttl).
func (f *fields) stringifiedUint(name string) (int64, bool) {
	v, ok := f.get(name)
	if !ok {
		return 0, false
	}
	if s, isStr := asString(v); isStr {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n > math.MaxInt64 {
			f.fail(parseErrorf("Invalid value given for '%s': %s", name, quote(s)))
			return 0, false
		}
		return int64(n), true
	}
	return f.unsigned(name, "positive integer")
}

// asString decodes a JSON string value.
func asString(v json.RawMessage) (string, bool) {
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

type integerKind int

const (
	notInteger integerKind = iota
	signedInteger
	unsignedInteger
)

// asInteger classifies a JSON number the way the server's JSON library does:
// a number spelled without fraction or exponent is an integer, unsigned
// unless it starts with '-'. Integers beyond the int64 range are refused.
func asInteger(v json.RawMessage) (int64, integerKind) {
	s := string(v)
	if s == "" || strings.ContainsAny(s, ".eE") || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return 0, notInteger
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, notInteger
	}
	if s[0] == '-' {
		return n, signedInteger
	}
	return n, unsignedInteger
}

// b64Alphabet reports whether c is in the standard base64 alphabet.
func b64Alphabet(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// decodeBase64 decodes standard base64 with or without '=' padding, as the
// server's base64 reader does (padding only when it completes a multiple of
// four; stray bits in the last character are ignored).
func decodeBase64(s string) ([]byte, bool) {
	if len(s)%4 == 0 {
		s = strings.TrimSuffix(s, "=")
		s = strings.TrimSuffix(s, "=")
	}
	if len(s)%4 == 1 {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if !b64Alphabet(s[i]) {
			return nil, false
		}
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil
}

// isMessageHash reports whether s looks like a message hash: 43 base64
// characters.
func isMessageHash(s string) bool {
	_, ok := decodeBase64(s)
	return ok && len(s) == MessageHashLength
}

// decodeSignature decodes a base64 Ed25519 signature: 86 characters, or 88
// ending in "==".
func decodeSignature(s string) ([]byte, bool) {
	if !(len(s) == 86 || len(s) == 88 && s[86:] == "==") {
		return nil, false
	}
	b, ok := decodeBase64(s)
	return b, ok && len(b) == 64
}

// parsePubkey parses a 66-hex-digit account ID with any prefix byte.
func parsePubkey(s string) (keys.ID, bool) {
	if len(s) != 2*keys.IDSize {
		return keys.ID{}, false
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return keys.ID{}, false
	}
	id := keys.ID{Prefix: keys.Prefix(b[0])}
	copy(id.Key[:], b[1:])
	return id, true
}
