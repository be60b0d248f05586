package mnemonic

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"
)

// Known answers from libsession-util tests/test_mnemonics.cpp (also in the
// shared vectors); the vector runner checks the whole file, these keep the
// package's own tests meaningful on their own.
const (
	seed0102   = "000102030405060708090a0b0c0d0e0f"
	phrase0102 = "amaze buffet cake entrance symptoms tiger lamb maze nestle python dusted faxed faxed"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// words builds a phrase from word-list indices, so tests can make phrases
// with a chosen structure (an invalid group, a right or wrong checksum).
func words(idx ...int) []string {
	w := make([]string, len(idx))
	for i, j := range idx {
		w[i] = english().words[j]
	}
	return w
}

// withChecksum appends the correct checksum word to the data words idx.
func withChecksum(idx ...int) []string {
	return words(append(idx, idx[checksumIndex(english(), idx)])...)
}

func TestWordList(t *testing.T) {
	l := english()
	if len(l.words) != numWords || len(l.index) != numWords {
		t.Fatalf("got %d words and %d prefixes, want %d", len(l.words), len(l.index), numWords)
	}
	if l.words[0] != "abbey" || l.words[numWords-1] != "zoom" {
		t.Errorf("first/last word = %q/%q, want abbey/zoom", l.words[0], l.words[numWords-1])
	}
	for i, w := range l.words {
		if got, ok := Lookup(w); !ok || got != i {
			t.Errorf("Lookup(%q) = %d, %v; want %d", w, got, ok, i)
		}
	}
}

func TestParseWordListRejects(t *testing.T) {
	good := strings.Split(strings.TrimSuffix(englishText, "\n"), "\n")
	if _, err := parseWordList(strings.Join(good, "\n")); err != nil {
		t.Fatalf("list without final newline: %v", err)
	}
	short := strings.Join(good[1:], "\n")
	// "abbot" in place of "zoom" repeats the prefix of "abbey".
	dup := strings.Join(append(append([]string{}, good[:numWords-1]...), "abbot"), "\n")
	upper := strings.Join(append([]string{"Abbey"}, good[1:]...), "\n")
	tiny := strings.Join(append([]string{"ab"}, good[1:]...), "\n")
	for name, text := range map[string]string{"short": short, "duplicate prefix": dup, "uppercase": upper, "two letters": tiny} {
		if _, err := parseWordList(text); err == nil {
			t.Errorf("%s: parsed without error", name)
		}
	}
}

func TestKnownAnswers(t *testing.T) {
	got, err := Encode(mustHex(t, seed0102))
	if err != nil || got != phrase0102 {
		t.Errorf("Encode = %q, %v; want %q", got, err, phrase0102)
	}
	got, err = Encode(make([]byte, 16))
	if want := strings.TrimSpace(strings.Repeat("abbey ", 13)); err != nil || got != want {
		t.Errorf("Encode(zero) = %q, %v; want %q", got, err, want)
	}
	seed, err := Decode(phrase0102)
	if err != nil || hex.EncodeToString(seed) != seed0102 {
		t.Errorf("Decode = %x, %v; want %s", seed, err, seed0102)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, size := range []int{4, 8, 16, 32, 64} {
		for range 200 {
			b := make([]byte, size)
			rand.Read(b)
			for _, checksum := range []bool{false, true} {
				w, err := EncodeWords(b, checksum)
				if err != nil {
					t.Fatal(err)
				}
				if want := size/4*3 + btoi(checksum); len(w) != want {
					t.Fatalf("%d bytes, checksum %v: %d words, want %d", size, checksum, len(w), want)
				}
				got, err := DecodeWords(w, checksum)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("DecodeWords(EncodeWords(%x, %v)) = %x, %v", b, checksum, got, err)
				}
			}
			if size == 16 || size == 32 {
				p, err := Encode(b)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Decode(p)
				if err != nil || !bytes.Equal(got, b) {
					t.Fatalf("Decode(Encode(%x)) = %x, %v", b, got, err)
				}
			}
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestGroupBoundary checks the edge of the 32-bit range: the three words for
// 2³²-1 decode, the next three-digit value (2³²) and the largest one do not.
func TestGroupBoundary(t *testing.T) {
	group := func(x uint64) []int {
		d0, d1, d2 := int(x%numWords), int(x/numWords%numWords), int(x/numWords/numWords)
		w1 := d0
		w2 := (d1 + w1) % numWords
		w3 := (d2 + w2) % numWords
		return []int{w1, w2, w3}
	}
	max := make([]byte, 4)
	binary.LittleEndian.PutUint32(max, math.MaxUint32)
	w, err := EncodeWords(max, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w, " "); got != strings.Join(words(group(math.MaxUint32)...), " ") {
		t.Fatalf("EncodeWords(ffffffff) = %q, want the digits of 2^32-1", got)
	}
	if b, err := DecodeWords(w, false); err != nil || !bytes.Equal(b, max) {
		t.Errorf("DecodeWords(%q) = %x, %v; want ffffffff", w, b, err)
	}
	for _, x := range []uint64{math.MaxUint32 + 1, numWords*numWords*numWords - 1} {
		g := words(group(x)...)
		if b, err := DecodeWords(g, false); !errors.Is(err, ErrInvalid) {
			t.Errorf("x=%d: DecodeWords(%q) = %x, %v; want ErrInvalid", x, g, b, err)
		}
	}
}

func TestDecodeTolerance(t *testing.T) {
	want := mustHex(t, seed0102)
	for _, p := range []string{
		strings.ToUpper(phrase0102),
		"Amaze Buffet CAKE entrance symptoms tiger lamb maze nestle python dusted faxed fAxEd",
		"  amaze\tbuffet\n\ncake entrance  symptoms tiger\r\nlamb maze nestle python dusted faxed faxed\n",
		"amaze\u00a0buffet cake entrance symptoms tiger lamb maze nestle python dusted faxed faxed",
		"amazement buffalo cakewalk entropy symbol tigger lambda mazurka nestling pythons dustpan faxing faxing",
		"ama buf cak ent sym tig lam maz nes pyt dus fax fax",
		"AMA BUF CAK ENT SYM TIG LAM MAZ NES PYT DUS FAX FAXIDERMY",
	} {
		got, err := Decode(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("Decode(%q) = %x, %v; want %x", p, got, err, want)
		}
	}
}

func TestLookup(t *testing.T) {
	amaze, ok := Lookup("amaze")
	if !ok {
		t.Fatal(`Lookup("amaze") failed`)
	}
	for _, w := range []string{"amazement", "AMAZING", "Ama", "amaz\u00e9"} {
		if got, ok := Lookup(w); !ok || got != amaze {
			t.Errorf("Lookup(%q) = %d, %v; want %d", w, got, ok, amaze)
		}
	}
	// Too short, not a list prefix, or a non-ASCII letter in the first three.
	for _, w := range []string{"", "am", "zzz", "amä", "ámaze", "a maze"} {
		if got, ok := Lookup(w); ok {
			t.Errorf("Lookup(%q) = %d, want no match", w, got)
		}
	}
}

// TestPrefixCountsRunes guards the Unicode rule: three characters, whatever
// their UTF-8 length, and case folded per character.
func TestPrefixCountsRunes(t *testing.T) {
	for in, want := range map[string]string{
		"éléphant": "élé",
		"ÉLÉPHANT": "élé",
		"日本語です":    "日本語",
		"ab":       "ab",
		"ABBEY":    "abb",
		"ab\xffcd": "ab\ufffd",
	} {
		if got := prefix(in); got != want {
			t.Errorf("prefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	data := strings.Fields(phrase0102)[:12]
	join := func(w ...[]string) string {
		var all []string
		for _, x := range w {
			all = append(all, x...)
		}
		return strings.Join(all, " ")
	}
	// A 13-word phrase whose checksum is right but whose first group is out
	// of range, so only the group check can reject it.
	zoom, _ := Lookup("zoom")
	invalid := withChecksum(0, 0, zoom, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	legacy := make([]byte, 32)
	rand.Read(legacy)
	legacyPhrase, _ := Encode(legacy)
	legacyWords := strings.Fields(legacyPhrase)

	for _, tc := range []struct {
		name, phrase string
		kind         error
		msg          string // exact Error() text when not empty
	}{
		{"empty", " \n\t", ErrTooFewWords, "no words given, expected 13"},
		{"one word", "amaze", ErrTooFewWords, "got 1 word, expected 13"},
		{"no checksum word", join(data), ErrTooFewWords, "got 12 words, expected 13"},
		{"fourteen", join(data, []string{"faxed", "faxed"}), ErrTooManyWords, "got 14 words, expected 13"},
		{"24 words", join(legacyWords[:24]), ErrTooManyWords, "got 24 words, expected 13"},
		{"26 words", join(legacyWords, []string{"abbey"}), ErrTooManyWords, "got 26 words, expected 13"},
		{"unknown word", join(data[:3], []string{"zzz"}, data[4:], []string{"faxed"}), ErrUnknownWord, `word 4 "zzz" is not in the word list`},
		{"unknown word quoted", join(data, []string{"Fa\"x"}), ErrUnknownWord, `word 13 "Fa\"x" is not in the word list`},
		{"first unknown named", join([]string{"xx"}, data[1:], []string{"yy"}), ErrUnknownWord, `word 1 "xx" is not in the word list`},
		{"checksum", join(data, []string{"amaze"}), ErrChecksum, ""},
		{"swapped", join([]string{data[1], data[0]}, data[2:], []string{"faxed"}), ErrChecksum, ""},
		{"invalid group", join(invalid), ErrInvalid, "words 1 to 3 do not form a valid group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed, err := Decode(tc.phrase)
			if err == nil {
				t.Fatalf("Decode accepted it: %x", seed)
			}
			if seed != nil {
				t.Errorf("Decode returned bytes %x with its error", seed)
			}
			for _, kind := range []error{ErrTooFewWords, ErrTooManyWords, ErrWordCount, ErrUnknownWord, ErrChecksum, ErrInvalid, ErrLength} {
				if got, want := errors.Is(err, kind), kind == tc.kind; got != want {
					t.Errorf("errors.Is(%q, %v) = %v, want %v", err, kind, got, want)
				}
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Errorf("Error() = %q, want %q", err, tc.msg)
			}
			if tc.kind == ErrChecksum || tc.kind == ErrInvalid {
				// No recognised word of a would-be recovery password may
				// end up in the message.
				for _, w := range strings.Fields(tc.phrase) {
					if strings.Contains(err.Error(), w) {
						t.Errorf("Error() %q contains the word %q", err, w)
					}
				}
			}
		})
	}

	seed, err := Decode(legacyPhrase)
	if err != nil || !bytes.Equal(seed, legacy) {
		t.Errorf("25-word legacy phrase: Decode = %x, %v; want %x", seed, err, legacy)
	}
}

func TestDecodeWordsCounts(t *testing.T) {
	three := strings.Fields("amaze buffet cake")
	for _, tc := range []struct {
		words    []string
		checksum bool
		kind     error
	}{
		{nil, false, ErrTooFewWords},
		{nil, true, ErrTooFewWords},
		{three[:1], true, ErrWordCount},
		{three[:2], false, ErrWordCount},
		{three, true, ErrWordCount},
		{append(three, "amaze"), false, ErrWordCount},
	} {
		if b, err := DecodeWords(tc.words, tc.checksum); !errors.Is(err, tc.kind) {
			t.Errorf("DecodeWords(%q, %v) = %x, %v; want %v", tc.words, tc.checksum, b, err, tc.kind)
		}
	}
	// The no-checksum mode takes any multiple of three.
	if b, err := DecodeWords(three, false); err != nil || len(b) != 4 {
		t.Errorf("DecodeWords(%q, false) = %x, %v; want 4 bytes", three, b, err)
	}
}

func TestEncodeLength(t *testing.T) {
	for _, n := range []int{0, 1, 3, 15, 17} {
		if w, err := EncodeWords(make([]byte, n), false); !errors.Is(err, ErrLength) {
			t.Errorf("EncodeWords(%d bytes) = %q, %v; want ErrLength", n, w, err)
		}
		if p, err := Encode(make([]byte, n)); !errors.Is(err, ErrLength) {
			t.Errorf("Encode(%d bytes) = %q, %v; want ErrLength", n, p, err)
		}
	}
}

// TestChecksumIsPrefixBased shows the CRC covers only each word's first three
// letters: respelling words past them keeps the same checksum word.
func TestChecksumIsPrefixBased(t *testing.T) {
	data := strings.Fields(phrase0102)[:12]
	long := make([]string, 12)
	for i, w := range data {
		long[i] = strings.ToUpper(w[:3]) + "xyzzy"
	}
	got, err := DecodeWords(append(long, "faxing"), true)
	if err != nil || hex.EncodeToString(got) != seed0102 {
		t.Errorf("DecodeWords(respelt) = %x, %v; want %s", got, err, seed0102)
	}
}
