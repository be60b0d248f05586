package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Dict is a decoded bt dict. Keys are byte strings (Go strings hold any
// bytes); the encoder writes them in ascending byte order, which is the only
// order the decoder accepts, so a Dict loses nothing.
type Dict map[string]any

// List is a decoded bt list.
type List []any

// Limits on what [DecodeBT] accepts, so that a hostile message cannot make
// the decoder recurse or allocate without bound. Config data nests about
// eight levels deep (lagged diffs of community entries are the deepest).
const (
	// MaxDepth is the deepest nesting of lists and dicts accepted.
	MaxDepth = 64
	// MaxValues is the largest number of values (scalars and containers)
	// one decode accepts.
	MaxValues = 1 << 20
)

// EncodeBT returns the canonical bt encoding of v, byte for byte what
// libsession (oxenc) writes: integers as i<decimal>e, byte strings as
// <length>:<bytes>, lists as l…e and dicts as d…e with keys in ascending byte
// order. v may be an integer type, a string, a []byte, a [List] or []any, a
// [Dict] or map[string]any, or a [Set], nested in any way. Floats, nil and
// other types have no bt encoding and are refused with [ErrBT].
func EncodeBT(v any) ([]byte, error) {
	return appendBT(nil, v, 0)
}

func appendBT(b []byte, v any, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, ErrTooDeep
	}
	switch x := v.(type) {
	case int64:
		return appendInt(b, x), nil
	case int:
		return appendInt(b, int64(x)), nil
	case int32:
		return appendInt(b, int64(x)), nil
	case int16:
		return appendInt(b, int64(x)), nil
	case int8:
		return appendInt(b, int64(x)), nil
	case uint32:
		return appendInt(b, int64(x)), nil
	case uint16:
		return appendInt(b, int64(x)), nil
	case uint8:
		return appendInt(b, int64(x)), nil
	case uint64:
		if x > math.MaxInt64 {
			return nil, fmt.Errorf("%w: integer %d does not fit in int64", ErrBT, x)
		}
		return appendInt(b, int64(x)), nil
	case uint:
		if uint64(x) > math.MaxInt64 {
			return nil, fmt.Errorf("%w: integer %d does not fit in int64", ErrBT, x)
		}
		return appendInt(b, int64(x)), nil
	case string:
		return appendString(b, x), nil
	case []byte:
		return appendString(b, string(x)), nil
	case List:
		return appendList(b, x, depth)
	case []any:
		return appendList(b, x, depth)
	case Set:
		return appendList(b, []any(x), depth)
	case Dict:
		return appendDict(b, x, depth)
	case map[string]any:
		return appendDict(b, x, depth)
	}
	return nil, fmt.Errorf("%w: no encoding for %T", ErrBT, v)
}

func appendInt(b []byte, x int64) []byte {
	b = append(b, 'i')
	b = strconv.AppendInt(b, x, 10)
	return append(b, 'e')
}

func appendString(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func appendList(b []byte, l []any, depth int) ([]byte, error) {
	b = append(b, 'l')
	for _, e := range l {
		var err error
		if b, err = appendBT(b, e, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, 'e'), nil
}

func appendDict(b []byte, d map[string]any, depth int) ([]byte, error) {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys) // Go compares strings byte by byte, as bt requires
	b = append(b, 'd')
	for _, k := range keys {
		b = appendString(b, k)
		var err error
		if b, err = appendBT(b, d[k], depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, 'e'), nil
}

// mustEncodeBT encodes values built by this package, which always have an
// encoding; a failure is a bug.
func mustEncodeBT(v any) []byte {
	b, err := EncodeBT(v)
	if err != nil {
		panic("config: internal value has no bt encoding: " + err.Error())
	}
	return b
}

// DecodeBT decodes exactly one bt value that must span all of data. Integers
// come back as int64, byte strings as string, lists as [List] and dicts as
// [Dict].
//
// Only the canonical encoding is accepted: no leading zeros in integers or
// string lengths, no "-0", integers within int64, dict keys strictly
// ascending (so no duplicates). Every value therefore has exactly one
// encoding, and EncodeBT(DecodeBT(x)) == x. Nesting is limited to
// [MaxDepth] and the value count to [MaxValues].
func DecodeBT(data []byte) (any, error) {
	d := btDecoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.pos != len(data) {
		return nil, fmt.Errorf("%w: %d trailing bytes after offset %d", ErrBT, len(data)-d.pos, d.pos)
	}
	return v, nil
}

type btDecoder struct {
	data   []byte
	pos    int
	values int
}

func (d *btDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrBT, d.pos, fmt.Sprintf(format, args...))
}

func (d *btDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of data")
	}
	d.values++
	if d.values > MaxValues {
		return nil, d.errorf("more than %d values", MaxValues)
	}
	switch c := d.data[d.pos]; {
	case c == 'i':
		return d.integer()
	case c >= '0' && c <= '9':
		return d.str()
	case c == 'l':
		if depth >= MaxDepth {
			return nil, fmt.Errorf("%w (offset %d)", ErrTooDeep, d.pos)
		}
		d.pos++
		l := List{}
		for {
			if d.pos >= len(d.data) {
				return nil, d.errorf("unterminated list")
			}
			if d.data[d.pos] == 'e' {
				d.pos++
				return l, nil
			}
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
	case c == 'd':
		if depth >= MaxDepth {
			return nil, fmt.Errorf("%w (offset %d)", ErrTooDeep, d.pos)
		}
		d.pos++
		m := Dict{}
		first, prev := true, ""
		for {
			if d.pos >= len(d.data) {
				return nil, d.errorf("unterminated dict")
			}
			if d.data[d.pos] == 'e' {
				d.pos++
				return m, nil
			}
			if c := d.data[d.pos]; c < '0' || c > '9' {
				return nil, d.errorf("dict key is not a string (%q)", c)
			}
			d.values++
			k, err := d.str()
			if err != nil {
				return nil, err
			}
			if !first && k <= prev {
				return nil, d.errorf("dict key %q does not sort after %q", k, prev)
			}
			first, prev = false, k
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
	default:
		return nil, d.errorf("unexpected byte %q", c)
	}
}

// digits reads a run of ASCII digits, rejecting leading zeros.
func (d *btDecoder) digits() (string, error) {
	start := d.pos
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		d.pos++
		if d.pos-start > 19 {
			return "", d.errorf("number too long")
		}
	}
	s := string(d.data[start:d.pos])
	if s == "" {
		return "", d.errorf("missing digits")
	}
	if len(s) > 1 && s[0] == '0' {
		return "", d.errorf("leading zero in %q", s)
	}
	return s, nil
}

func (d *btDecoder) integer() (int64, error) {
	d.pos++ // 'i'
	neg := d.pos < len(d.data) && d.data[d.pos] == '-'
	if neg {
		d.pos++
	}
	s, err := d.digits()
	if err != nil {
		return 0, err
	}
	if neg && s == "0" {
		return 0, d.errorf("negative zero")
	}
	if neg {
		s = "-" + s
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, d.errorf("integer %s out of range", s)
	}
	if d.pos >= len(d.data) || d.data[d.pos] != 'e' {
		return 0, d.errorf("unterminated integer")
	}
	d.pos++
	return n, nil
}

func (d *btDecoder) str() (string, error) {
	s, err := d.digits()
	if err != nil {
		return "", err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return "", d.errorf("string length %s out of range", s)
	}
	if d.pos >= len(d.data) || d.data[d.pos] != ':' {
		return "", d.errorf("missing ':' after string length")
	}
	d.pos++
	if n > uint64(len(d.data)-d.pos) {
		return "", d.errorf("string of %d bytes runs past the end", n)
	}
	out := string(d.data[d.pos : d.pos+int(n)])
	d.pos += int(n)
	return out, nil
}
