package mnemonic

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	phrase0102,
	"amazing buffalo cakewalk entropy symbol tigger lambda mazurka nestling pythons dustpan faxing faxing",
	"ama buf cak ent sym tig lam maz nes pyt dus fax fax",
	"amaze buffet cake entrance symptoms tiger lamb maze nestle python dusted faxed amaze",
	"amaze buffet cake entrance symptoms tiger lamb maze nestle python dusted faxed zzzzz",
	"amaze buffet cake entrance symptoms tiger lamb maze nestle python dusted faxed update vague zinger boxes ornament renting glass gained island nabbing afield calamity boxes",
	"abbey abbey zoom",
	"abbey abbey zoom abbey abbey abbey abbey abbey abbey abbey abbey abbey abbey",
	"",
	"  \t\n",
	"ÉLÉPHANT 日本語 \xff\xfe",
}

// checkAccepted asserts what must hold whenever a decoder accepts in: its
// words are exactly those the encoder gives for the result (up to spelling
// past the prefix), so re-encoding decodes to the same bytes.
func checkAccepted(t *testing.T, in []string, got []byte, checksum bool) {
	t.Helper()
	again, err := EncodeWords(got, checksum)
	if err != nil {
		t.Fatalf("accepted %q but cannot re-encode %d bytes: %v", in, len(got), err)
	}
	if len(again) != len(in) {
		t.Fatalf("accepted %d words, re-encoded to %d", len(in), len(again))
	}
	for i := range in {
		a, _ := Lookup(in[i])
		b, _ := Lookup(again[i])
		if a != b {
			t.Fatalf("word %d: accepted %q, encoder gives %q", i+1, in[i], again[i])
		}
	}
	back, err := DecodeWords(again, checksum)
	if err != nil || !bytes.Equal(back, got) {
		t.Fatalf("round trip: %x, %v; want %x", back, err, got)
	}
}

// knownKind reports whether err is one of the package's sentinel kinds.
func knownKind(err error) bool {
	for _, kind := range []error{ErrTooFewWords, ErrTooManyWords, ErrWordCount, ErrUnknownWord, ErrChecksum, ErrInvalid} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, phrase string) {
		got, err := Decode(phrase)
		if err != nil {
			if got != nil || !knownKind(err) {
				t.Fatalf("Decode(%q) = %x, %v", phrase, got, err)
			}
			return
		}
		if len(got) != 16 && len(got) != 32 {
			t.Fatalf("Decode(%q) gave %d bytes", phrase, len(got))
		}
		p, err := Encode(got)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := Decode(p); err != nil || !bytes.Equal(back, got) {
			t.Fatalf("Decode(Encode(%x)) = %x, %v", got, back, err)
		}
		checkAccepted(t, strings.Fields(phrase), got, true)
	})
}

func FuzzDecodeWords(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, phrase string, checksum bool) {
		in := strings.Fields(phrase)
		got, err := DecodeWords(in, checksum)
		if err != nil {
			if got != nil || !knownKind(err) {
				t.Fatalf("DecodeWords(%q, %v) = %x, %v", in, checksum, got, err)
			}
			return
		}
		checkAccepted(t, in, got, checksum)
	})
}
