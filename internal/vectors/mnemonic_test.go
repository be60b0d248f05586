package vectors

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/mnemonic"
)

// checkMnemonicUpstream checks upstream/mnemonic.json (vectors README §4.1):
// every entry of vectors[], decode_accepts[] and decode_rejects[].
func checkMnemonicUpstream(t *testing.T, raw []byte) int {
	var file struct {
		Vectors []struct {
			SeedHex       string  `json:"seed_hex"`
			Checksum      bool    `json:"checksum"`
			Words         *string `json:"words"`
			ChecksumIndex *int    `json:"checksum_word_equals_index"`
			WordIndices   []int   `json:"word_indices"`
		} `json:"vectors"`
		Accepts []struct {
			Words   string `json:"words"`
			SeedHex string `json:"expect_seed_hex"`
		} `json:"decode_accepts"`
		Rejects []struct {
			Words string `json:"words"`
			Error string `json:"error"`
		} `json:"decode_rejects"`
	}
	decode(t, raw, &file)
	n := 0

	for i, v := range file.Vectors {
		where := fmt.Sprintf("vectors[%d]", i)
		if v.Words == nil && v.WordIndices == nil {
			t.Errorf("%s: has neither words nor word_indices", where)
			continue
		}
		seed := unhex(t, where+".seed_hex", v.SeedHex)
		got, err := mnemonic.EncodeWords(seed, v.Checksum)
		if err != nil {
			t.Errorf("%s: encode: %v", where, err)
			continue
		}
		ok := true
		if v.Words != nil {
			if g := strings.Join(got, " "); g != *v.Words {
				t.Errorf("%s.words: got %q, want %q", where, g, *v.Words)
				ok = false
			}
			dec, err := mnemonic.DecodeWords(strings.Fields(*v.Words), v.Checksum)
			if err != nil {
				t.Errorf("%s: decoding words: %v", where, err)
				ok = false
			} else {
				ok = eqHex(t, where+": decoded words vs seed_hex", dec, v.SeedHex) && ok
			}
			if v.Checksum {
				// The 16-byte seeds are what a user types back in.
				if len(seed) == 16 {
					dec, err := mnemonic.Decode(*v.Words)
					if err != nil || !bytes.Equal(dec, seed) {
						t.Errorf("%s: Decode(words) = %x, %v; want %s", where, dec, err, v.SeedHex)
						ok = false
					}
				}
			}
		}
		if v.ChecksumIndex != nil {
			w := got
			if v.Words != nil {
				w = strings.Fields(*v.Words)
			}
			if j := *v.ChecksumIndex; !v.Checksum || j < 0 || j >= len(w)-1 || w[len(w)-1] != w[j] {
				t.Errorf("%s.checksum_word_equals_index: checksum word %q is not word %d", where, w[len(w)-1], j)
				ok = false
			}
		}
		if v.WordIndices != nil {
			idx := make([]int, len(got))
			for k, w := range got {
				idx[k], _ = mnemonic.Lookup(w)
			}
			switch {
			case slices.Equal(idx, v.WordIndices):
			case indicesToHex(v.WordIndices) != v.SeedHex:
				// The entry contradicts itself: its indices do not decode to its own
				// seed under the scheme every other entry confirms. (upstream
				// vectors[4] copies a worked comment in libsession's test whose
				// arithmetic is wrong; that test itself only asserts the round
				// trip.) Check what the upstream test asserts, and say so.
				back, err := mnemonic.DecodeWords(got, v.Checksum)
				if err != nil || hex.EncodeToString(back) != v.SeedHex {
					t.Errorf("%s: round trip of %s failed", where, v.SeedHex)
					ok = false
				}
				printLine("vectors: upstream/mnemonic.json: %s: word_indices %v decode to %s, not its seed_hex %s; checked the round trip instead (encoder gives %v)",
					where, v.WordIndices, indicesToHex(v.WordIndices), v.SeedHex, idx)
			default:
				t.Errorf("%s.word_indices: got %v, want %v", where, idx, v.WordIndices)
				ok = false
			}
		}
		if ok {
			n++
		}
	}

	// Decoding follows libsession-util's words_to_bytes: a word count of 3k+1
	// carries a checksum word, 3k does not.
	decodeAny := func(phrase string) ([]byte, error) {
		w := strings.Fields(phrase)
		return mnemonic.DecodeWords(w, len(w)%3 == 1)
	}

	for i, a := range file.Accepts {
		where := fmt.Sprintf("decode_accepts[%d]", i)
		got, err := decodeAny(a.Words)
		if err != nil {
			t.Errorf("%s: decode %q: %v", where, a.Words, err)
			continue
		}
		if !eqHex(t, where+".expect_seed_hex", got, a.SeedHex) {
			continue
		}
		if len(strings.Fields(a.Words)) == mnemonic.RecoveryWords {
			if got, err := mnemonic.Decode(a.Words); err != nil || !bytes.Equal(got, unhex(t, where, a.SeedHex)) {
				t.Errorf("%s: Decode = %x, %v; want %s", where, got, err, a.SeedHex)
				continue
			}
		}
		n++
	}

	for i, r := range file.Rejects {
		where := fmt.Sprintf("decode_rejects[%d]", i)
		got, err := decodeAny(r.Words)
		if err == nil {
			t.Errorf("%s: decode %q succeeded with %x, want failure (%s)", where, r.Words, got, r.Error)
			continue
		}
		// The reason is prose; where it names a kind this package has, the
		// error must be of that kind.
		var want error
		switch reason := strings.ToLower(r.Error); {
		case strings.HasPrefix(reason, "checksum"):
			want = mnemonic.ErrChecksum
		case strings.HasPrefix(reason, "unknown word"):
			want = mnemonic.ErrUnknownWord
		case strings.HasPrefix(reason, "overflow"):
			want = mnemonic.ErrInvalid
		}
		if want != nil && !errors.Is(err, want) {
			t.Errorf("%s.error: got %q, want a %q error (%s)", where, err, want, r.Error)
			continue
		}
		n++
	}
	return n
}

// indicesToHex decodes word-list indices with the formula of spec client §2,
// independently of the mnemonic package, so that a word_indices mismatch
// shows which bytes the expected indices stand for.
func indicesToHex(idx []int) string {
	const n = 1626
	var out []byte
	for i := 0; i+2 < len(idx); i += 3 {
		a, b, c := uint64(idx[i]), uint64(idx[i+1]), uint64(idx[i+2])
		x := a + n*((n-a+b)%n) + n*n*((n-b+c)%n)
		if x > math.MaxUint32 {
			return "an invalid group"
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(x))
	}
	return hex.EncodeToString(out)
}
