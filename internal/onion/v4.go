package onion

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// V4Request is an HTTP request to a server (file server, community server,
// push server) in the v4 onion encoding, the plaintext of the innermost
// layer: a bencoded list of one or two byte strings, the JSON metadata and
// the optional body.
//
//	l <len>:{"endpoint":…,"headers":{…},"method":…} [<len>:<body>] e
type V4Request struct {
	// Method is the HTTP method, e.g. "GET" or "POST".
	Method string
	// Endpoint is the path and query, starting with "/".
	Endpoint string
	// Headers are the request headers. v4 has no default Content-Type.
	Headers map[string]string
	// Body is the request body: required (possibly empty) for POST and PUT,
	// and absent for GET and DELETE.
	Body []byte
}

// V4Response is a server's reply in the v4 onion encoding: a bencoded list
// of the JSON {"code": N, "headers": {…}} (header names in lower case) and
// the body.
type V4Response struct {
	// Code is the HTTP status code.
	Code int
	// Headers are the response headers.
	Headers map[string]string
	// Body is the response body.
	Body []byte
}

// Encode returns the v4 plaintext of r.
func (r *V4Request) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	meta, err := marshalNoEscape(struct {
		Endpoint string            `json:"endpoint"`
		Headers  map[string]string `json:"headers"`
		Method   string            `json:"method"`
	}{r.Endpoint, headersOrEmpty(r.Headers), r.Method})
	if err != nil {
		return nil, err
	}
	parts := [][]byte{meta}
	if r.hasBody() {
		parts = append(parts, r.Body)
	}
	return encodeBList(parts), nil
}

// ParseV4Request parses a v4 request plaintext, as a server does.
func ParseV4Request(b []byte) (*V4Request, error) {
	parts, err := parseBList(b)
	if err != nil {
		return nil, err
	}
	var meta struct {
		Method   *string           `json:"method"`
		Endpoint *string           `json:"endpoint"`
		Headers  map[string]string `json:"headers"`
	}
	if err := decodeV4Meta(parts[0], &meta); err != nil {
		return nil, err
	}
	if meta.Method == nil || meta.Endpoint == nil {
		return nil, fmt.Errorf("%w: metadata needs \"method\" and \"endpoint\"", ErrV4)
	}
	r := &V4Request{Method: *meta.Method, Endpoint: *meta.Endpoint, Headers: meta.Headers}
	if len(parts) == 2 {
		r.Body = parts[1]
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *V4Request) check() error {
	if err := checkUTF8(r.Method, r.Endpoint, r.Headers); err != nil {
		return err
	}
	if r.Method == "" || strings.ContainsAny(r.Method, " \t\r\n") {
		return fmt.Errorf("%w: bad method", ErrV4)
	}
	if !strings.HasPrefix(r.Endpoint, "/") {
		return fmt.Errorf("%w: the endpoint does not start with /", ErrV4)
	}
	if (r.Method == "GET" || r.Method == "DELETE") && len(r.Body) > 0 {
		return fmt.Errorf("%w: a %s request has no body", ErrV4, r.Method)
	}
	return nil
}

// hasBody says whether the body part is sent: always for POST and PUT,
// otherwise only when there is one.
func (r *V4Request) hasBody() bool {
	return r.Body != nil || r.Method == "POST" || r.Method == "PUT"
}

// Encode returns the v4 plaintext of r.
func (r *V4Response) Encode() ([]byte, error) {
	if r.Code < 100 || r.Code > 999 {
		return nil, fmt.Errorf("%w: status code %d", ErrV4, r.Code)
	}
	if err := checkUTF8("", "", r.Headers); err != nil {
		return nil, err
	}
	meta, err := marshalNoEscape(struct {
		Code    int               `json:"code"`
		Headers map[string]string `json:"headers"`
	}{r.Code, headersOrEmpty(r.Headers)})
	if err != nil {
		return nil, err
	}
	return encodeBList([][]byte{meta, r.Body}), nil
}

// ParseV4Response parses a decrypted v4 reply, as a client does. A reply
// without a body part has an empty body.
func ParseV4Response(b []byte) (*V4Response, error) {
	parts, err := parseBList(b)
	if err != nil {
		return nil, err
	}
	var meta struct {
		Code    *int              `json:"code"`
		Headers map[string]string `json:"headers"`
	}
	if err := decodeV4Meta(parts[0], &meta); err != nil {
		return nil, err
	}
	if meta.Code == nil || *meta.Code < 100 || *meta.Code > 999 {
		return nil, fmt.Errorf("%w: metadata needs a \"code\" from 100 to 999", ErrV4)
	}
	r := &V4Response{Code: *meta.Code, Headers: meta.Headers, Body: []byte{}}
	if len(parts) == 2 {
		r.Body = parts[1]
	}
	return r, nil
}

// decodeV4Meta decodes the metadata object. Key matching is exact, unlike
// encoding/json's default, so that "Method" is not "method".
func decodeV4Meta(meta []byte, v any) error {
	obj, err := parseObject(meta)
	if err != nil {
		return fmt.Errorf("%w: metadata: %w", ErrV4, err)
	}
	for k := range obj {
		switch k {
		case "method", "endpoint", "headers", "code":
		default:
			if strings.EqualFold(k, "method") || strings.EqualFold(k, "endpoint") ||
				strings.EqualFold(k, "headers") || strings.EqualFold(k, "code") {
				return fmt.Errorf("%w: metadata keys are lower case", ErrV4)
			}
		}
	}
	if err := json.Unmarshal(meta, v); err != nil {
		return fmt.Errorf("%w: metadata: %s", ErrV4, describeJSONError(err))
	}
	return nil
}

// parseBList parses l <len>:<bytes> [<len>:<bytes>] e, strictly: lengths in
// decimal without leading zeros, one or two strings, nothing after the e.
func parseBList(b []byte) ([][]byte, error) {
	if len(b) > MaxRequestSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	if len(b) < 2 || b[0] != 'l' || b[len(b)-1] != 'e' {
		return nil, fmt.Errorf("%w: not a bencoded list", ErrV4)
	}
	rest := b[1 : len(b)-1]
	var parts [][]byte
	for len(rest) > 0 {
		if len(parts) == 2 {
			return nil, fmt.Errorf("%w: more than two parts", ErrV4)
		}
		colon := bytes.IndexByte(rest, ':')
		if colon < 1 || colon > 8 || (rest[0] == '0' && colon > 1) {
			return nil, fmt.Errorf("%w: bad string length", ErrV4)
		}
		n, err := strconv.ParseUint(string(rest[:colon]), 10, 32)
		if err != nil || n > uint64(len(rest)-colon-1) {
			return nil, fmt.Errorf("%w: bad string length", ErrV4)
		}
		parts = append(parts, rest[colon+1:colon+1+int(n)])
		rest = rest[colon+1+int(n):]
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%w: empty list", ErrV4)
	}
	return parts, nil
}

func encodeBList(parts [][]byte) []byte {
	out := []byte{'l'}
	for _, p := range parts {
		out = strconv.AppendInt(out, int64(len(p)), 10)
		out = append(out, ':')
		out = append(out, p...)
	}
	return append(out, 'e')
}

// marshalNoEscape is json.Marshal without HTML escaping, so "<" and "&" in a
// header survive as they are; map keys come out sorted.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrV4, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// checkUTF8 refuses text that encoding/json would silently change.
func checkUTF8(method, endpoint string, headers map[string]string) error {
	ok := utf8.ValidString(method) && utf8.ValidString(endpoint)
	for k, v := range headers {
		ok = ok && utf8.ValidString(k) && utf8.ValidString(v)
	}
	if !ok {
		return fmt.Errorf("%w: metadata is not valid UTF-8", ErrV4)
	}
	return nil
}

func headersOrEmpty(h map[string]string) map[string]string {
	if h == nil {
		return map[string]string{}
	}
	return h
}
