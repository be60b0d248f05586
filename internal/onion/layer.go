package onion

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MaxRequestSize is the largest onion request (all layers, framing included)
// this package parses or builds: 10 MiB, libsession's DEFAULT_MAX_SIZE and
// the size of a QUIC frame on the storage server.
const MaxRequestSize = 10 << 20

// MaxHops is the most relays a request may pass through, session-storage-server's
// MAX_ONION_HOPS: a node drops a request whose hop number exceeds it.
const MaxHops = 15

// ParseLayer splits an onion layer, le32(N) ‖ N bytes ‖ JSON, into the N-byte
// blob and the JSON text. It fails with [ErrTooLarge] above [MaxRequestSize]
// and with [ErrMalformed] when N overruns the input or the rest is not one
// JSON object in valid UTF-8. The results alias b.
func ParseLayer(b []byte) (blob, meta []byte, err error) {
	blob, meta, _, err = parseLayer(b)
	return blob, meta, err
}

// parseLayer is ParseLayer that also returns the decoded top-level object.
func parseLayer(b []byte) (blob, meta []byte, obj map[string]json.RawMessage, err error) {
	if len(b) > MaxRequestSize {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(b), MaxRequestSize)
	}
	if len(b) < 4 {
		return nil, nil, nil, fmt.Errorf("%w: %d bytes is too short for a length prefix", ErrMalformed, len(b))
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	rest := b[4:]
	if n > uint64(len(rest)) {
		return nil, nil, nil, fmt.Errorf("%w: length prefix %d overruns the %d bytes that follow", ErrMalformed, n, len(rest))
	}
	blob, meta = rest[:n], rest[n:]
	obj, err = parseObject(meta)
	if err != nil {
		return nil, nil, nil, err
	}
	return blob, meta, obj, nil
}

// parseObject decodes a JSON object, keeping its values raw. It is stricter
// than encoding/json where nlohmann::json, which the other nodes use, is:
// invalid UTF-8 is an error rather than being replaced.
func parseObject(meta []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(meta) {
		return nil, fmt.Errorf("%w: JSON is not valid UTF-8", ErrMalformed)
	}
	t := bytes.TrimLeft(meta, " \t\r\n")
	if len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: the JSON is not an object", ErrMalformed)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(meta, &obj); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformed, describeJSONError(err))
	}
	return obj, nil
}

// describeJSONError says what is wrong with some JSON without quoting it:
// the JSON of an inner layer or a v4 request is decrypted plaintext.
func describeJSONError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("JSON %s where %v was expected", te.Value, te.Type)
	}
	return "invalid JSON"
}

// BuildLayer frames blob and the JSON object meta as one layer,
// le32(len(blob)) ‖ blob ‖ meta. meta must be a JSON object, and the result
// must fit in [MaxRequestSize].
func BuildLayer(blob, meta []byte) ([]byte, error) {
	if _, err := parseObject(meta); err != nil {
		return nil, err
	}
	if 4+len(blob)+len(meta) > MaxRequestSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, 4+len(blob)+len(meta), MaxRequestSize)
	}
	return appendLayer(nil, blob, meta), nil
}

// appendLayer appends le32(len(blob)) ‖ blob ‖ meta to dst. The caller
// checks the size: blob is always far below 4 GiB here.
func appendLayer(dst, blob, meta []byte) []byte {
	dst = slices.Grow(dst, 4+len(blob)+len(meta))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(blob)))
	dst = append(dst, blob...)
	return append(dst, meta...)
}

// field is one member of a JSON object this package writes: a string, or an
// integer when isInt is set.
type field struct {
	key   string
	str   string
	num   int64
	isInt bool
}

func strField(k, v string) field { return field{key: k, str: v} }
func intField(k string, v int64) field {
	return field{key: k, num: v, isInt: true}
}

// encodeObject writes fields as nlohmann::json's dump() does for a
// json::object: keys sorted bytewise (it is a std::map), no white space,
// strings escaped minimally. Builders must match libsession byte for byte,
// which encoding/json does not (it escapes <, >, & and U+2028).
func encodeObject(fields []field) ([]byte, error) {
	fs := slices.Clone(fields)
	slices.SortStableFunc(fs, func(a, b field) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
	out := []byte{'{'}
	for i, f := range fs {
		if i > 0 && fs[i-1].key == f.key {
			return nil, fmt.Errorf("onion: duplicate JSON key %q", f.key)
		}
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = appendJSONString(out, f.key); err != nil {
			return nil, err
		}
		out = append(out, ':')
		if f.isInt {
			out = strconv.AppendInt(out, f.num, 10)
		} else if out, err = appendJSONString(out, f.str); err != nil {
			return nil, err
		}
	}
	return append(out, '}'), nil
}

// appendJSONString appends s as a JSON string the way nlohmann::json does
// with ensure_ascii off: the two-character escapes for ", \, \b, \f, \n, \r
// and \t, \u00xx (lower-case hex) for other control characters, and every
// other byte, DEL and non-ASCII included, as is. Invalid UTF-8 is an error,
// as it is for nlohmann.
func appendJSONString(dst []byte, s string) ([]byte, error) {
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("onion: JSON string %q is not valid UTF-8", clip(s))
	}
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"'), nil
}

// jsonString reads obj[k] as a string. ok is false when the key is absent.
func jsonString(obj map[string]json.RawMessage, k string) (s string, ok bool, err error) {
	raw, ok := obj[k]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil || !isJSONString(raw) {
		return "", true, fmt.Errorf("%q is not a string", k)
	}
	return s, true, nil
}

// jsonBool reads obj[k] as a boolean; def is returned when the key is absent.
func jsonBool(obj map[string]json.RawMessage, k string, def bool) (bool, error) {
	raw, ok := obj[k]
	if !ok {
		return def, nil
	}
	switch string(bytes.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", k)
}

// jsonInt reads obj[k] as an integer in [min, max]. ok is false when the key is absent.
func jsonInt(obj map[string]json.RawMessage, k string, min, max int64) (v int64, ok bool, err error) {
	raw, ok := obj[k]
	if !ok {
		return 0, false, nil
	}
	v, err = strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil || v < min || v > max {
		return 0, true, fmt.Errorf("%q is not an integer in [%d, %d]", k, min, max)
	}
	return v, true, nil
}

// jsonKey reads obj[k] as a 32-byte key in hex (64 characters, either case).
func jsonKey(obj map[string]json.RawMessage, k string) (key [KeySize]byte, ok bool, err error) {
	s, ok, err := jsonString(obj, k)
	if !ok || err != nil {
		return key, ok, err
	}
	key, err = parseHexKey(s)
	if err != nil {
		return key, true, fmt.Errorf("%q: %w", k, err)
	}
	return key, true, nil
}

// parseHexKey parses exactly 64 hex characters.
func parseHexKey(s string) (key [KeySize]byte, err error) {
	if len(s) != 2*KeySize {
		return key, fmt.Errorf("%w %q: want %d hex characters", ErrInvalidKey, clip(s), 2*KeySize)
	}
	if _, err := hex.Decode(key[:], []byte(s)); err != nil {
		return key, fmt.Errorf("%w %q: not hexadecimal", ErrInvalidKey, clip(s))
	}
	return key, nil
}

func isJSONString(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '"'
}
