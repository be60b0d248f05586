package vectors

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
)

// printLine writes one runner line to stdout, so that it shows in `go test`
// output without -v.
func printLine(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// decode unmarshals a vector file, failing the test on malformed JSON.
func decode(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("vector file: %v", err)
	}
}

// unhex decodes a hex field; where names the entry and field for the failure message.
func unhex(t *testing.T, where, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("%s: bad hex %q: %v", where, s, err)
	}
	return b
}

// unb64 decodes a standard (padded or unpadded) base64 field.
func unb64(t *testing.T, where, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		t.Fatalf("%s: bad base64 %q: %v", where, s, err)
	}
	return b
}

// eqHex reports a mismatch between got and the hex string want.
func eqHex(t *testing.T, where string, got []byte, want string) bool {
	t.Helper()
	if g := hex.EncodeToString(got); g != want {
		t.Errorf("%s: got %s, want %s", where, g, want)
		return false
	}
	return true
}

// draw is one recorded random draw (vectors README §5).
type draw struct {
	I   int    `json:"i"`
	N   int    `json:"n"`
	Hex string `json:"hex"`
}

// tape is the recorded random source of one call.
type tape struct {
	Label string `json:"label"`
	Draws []draw `json:"draws"`
}

// tapeReader hands out recorded draws in order; each Read must ask for
// exactly the next draw's size, which catches both ordering and size bugs.
type tapeReader struct {
	draws [][]byte
	next  int
}

func newTape(t *testing.T, tp tape) *tapeReader {
	t.Helper()
	r := &tapeReader{}
	for _, d := range tp.Draws {
		r.draws = append(r.draws, unhex(t, "tape "+tp.Label, d.Hex))
	}
	return r
}

func (r *tapeReader) Read(p []byte) (int, error) {
	if r.next >= len(r.draws) {
		return 0, errors.New("tape: no draws left")
	}
	d := r.draws[r.next]
	if len(p) != len(d) {
		return 0, fmt.Errorf("tape: draw %d is %d bytes, asked for %d", r.next, len(d), len(p))
	}
	r.next++
	return copy(p, d), nil
}

// done reports whether every draw was consumed.
func (r *tapeReader) done() bool { return r.next == len(r.draws) }
