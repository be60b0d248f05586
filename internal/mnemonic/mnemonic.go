// Package mnemonic converts a Session account seed to and from its recovery
// password: words from the 1626-word Electrum/Monero English list, three words
// per four bytes, followed by one checksum word.
//
// # Compatibility
//
// Encoding and decoding follow libsession-util (session/mnemonics.hpp) and
// Session Desktop byte for byte, so a recovery password written down from one
// of Session's apps restores the same account here and the other way round.
// A word is recognised by its first three letters alone, as in those apps:
// "amazement", "amazing" and "ama" all stand for "amaze".
//
// # Secrets
//
// Seeds and recovery passwords are secrets. No error from this package
// contains seed bytes or a word that was recognised; the one exception is
// [ErrUnknownWord], whose message quotes the unrecognised word so the user can
// find it. Buffers holding decoded bytes are cleared when decoding fails.
package mnemonic

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strings"
)

// Phrase lengths accepted by [Decode].
const (
	// RecoveryWords is the length of a recovery password for a 16-byte seed:
	// 12 data words and the checksum word.
	RecoveryWords = 13
	// LegacyWords is the length of a phrase for a 32-byte seed: 24 data words
	// and the checksum word.
	LegacyWords = 25
)

// Encode returns the recovery password for seed, whose length must be a
// non-empty multiple of 4 (16 bytes for a Session account): the words joined
// by single spaces, with the checksum word at the end.
func Encode(seed []byte) (string, error) {
	words, err := EncodeWords(seed, true)
	if err != nil {
		return "", err
	}
	return strings.Join(words, " "), nil
}

// EncodeWords encodes b, whose length must be a non-empty multiple of 4, as
// three words per 4 bytes, and appends the checksum word when checksum is
// true. Session's apps always use the checksum; encoding without it exists
// for libsession-util's test vectors.
func EncodeWords(b []byte, checksum bool) ([]string, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("%w (got %d bytes)", ErrLength, len(b))
	}
	list := english()
	idx := make([]int, 0, len(b)/4*3+1)
	for i := 0; i < len(b); i += 4 {
		x := binary.LittleEndian.Uint32(b[i:])
		// Each word after the first is offset by the one before it, so that
		// a run of equal bytes does not give a run of equal words (except
		// for zero, which gives "abbey" throughout).
		w1 := x % numWords
		w2 := (x/numWords + w1) % numWords
		w3 := (x/numWords/numWords + w2) % numWords
		idx = append(idx, int(w1), int(w2), int(w3))
	}
	if checksum {
		idx = append(idx, idx[checksumIndex(list, idx)])
	}
	words := make([]string, len(idx))
	for i, j := range idx {
		words[i] = list.words[j]
	}
	clear(idx)
	return words, nil
}

// Decode returns the seed that the recovery password phrase encodes: 16 bytes
// for the usual 13 words, or 32 bytes for a 25-word legacy phrase.
//
// Decode is meant for what a person typed or pasted. Words may be separated by
// any amount of white space (spaces, tabs, newlines), case is ignored, and
// only the first three letters of each word count.
//
// The word count is checked first, against what the user was asked for (13
// words): fewer than 13 is [ErrTooFewWords] and more than 13 is
// [ErrTooManyWords], except for exactly 25. Then every word must be in the
// word list ([ErrUnknownWord], naming the first word that is not), every
// three words must encode a 32-bit value ([ErrInvalid]) and the last word
// must be the checksum of the others ([ErrChecksum]).
func Decode(phrase string) ([]byte, error) {
	words := strings.Fields(phrase)
	switch n := len(words); {
	case n == RecoveryWords || n == LegacyWords:
	case n == 0:
		return nil, &decodeError{ErrTooFewWords, fmt.Sprintf("no words given, expected %d", RecoveryWords)}
	case n < RecoveryWords:
		return nil, &decodeError{ErrTooFewWords, fmt.Sprintf("got %s, expected %d", plural(n), RecoveryWords)}
	default:
		return nil, &decodeError{ErrTooManyWords, fmt.Sprintf("got %s, expected %d", plural(n), RecoveryWords)}
	}
	return decode(words, true)
}

// DecodeWords decodes words as produced by [EncodeWords] with the same
// checksum setting: each group of three words gives 4 bytes, and with
// checksum the last word must be the checksum word. Words are matched as in
// [Decode] but must already be split; any count that fits the encoding is
// accepted, otherwise the error is [ErrWordCount] ([ErrTooFewWords] for none).
func DecodeWords(words []string, checksum bool) ([]byte, error) {
	data := len(words)
	if checksum {
		data--
	}
	switch {
	case len(words) == 0:
		return nil, &decodeError{ErrTooFewWords, "no words given"}
	case data <= 0 || data%3 != 0:
		want := "a multiple of 3"
		if checksum {
			want += " plus the checksum word"
		}
		return nil, &decodeError{ErrWordCount, fmt.Sprintf("got %s, expected %s", plural(len(words)), want)}
	}
	return decode(words, checksum)
}

// Lookup returns the position in the word list (0 to 1625) of the word that
// word stands for, matching its first three letters without regard to case,
// and false when there is none.
func Lookup(word string) (int, bool) {
	i, ok := english().index[prefix(word)]
	return i, ok
}

// decode does the work of [Decode] and [DecodeWords] once the word count is
// known to fit: len(words) is 3k, or 3k+1 with checksum, for some k ≥ 1.
func decode(words []string, checksum bool) ([]byte, error) {
	list := english()
	idx := make([]int, len(words))
	defer clear(idx)
	// Look up every word before decoding any, so that the error names the
	// first unknown word rather than a later symptom of it.
	for i, w := range words {
		j, ok := list.index[prefix(w)]
		if !ok {
			return nil, &decodeError{ErrUnknownWord, fmt.Sprintf("word %d %q is not in the word list", i+1, w)}
		}
		idx[i] = j
	}
	data := len(words)
	if checksum {
		data--
	}
	out := make([]byte, data/3*4)
	for g := range data / 3 {
		w1, w2, w3 := uint64(idx[3*g]), uint64(idx[3*g+1]), uint64(idx[3*g+2])
		// Undo the offsets EncodeWords adds. Computed in 64 bits, x%n == w1
		// always holds, so the check libsession-util and Session Desktop
		// make on it reduces to this range check: 1626³ is a little more
		// than 2³², and the top few combinations encode nothing.
		x := w1 + numWords*((numWords-w1+w2)%numWords) + numWords*numWords*((numWords-w2+w3)%numWords)
		if x > math.MaxUint32 {
			clear(out)
			return nil, &decodeError{ErrInvalid, fmt.Sprintf("words %d to %d do not form a valid group", 3*g+1, 3*g+3)}
		}
		binary.LittleEndian.PutUint32(out[4*g:], uint32(x))
	}
	// Compared by list position, not spelling: any word with the right first
	// three letters is a valid checksum word.
	if checksum && idx[data] != idx[checksumIndex(list, idx[:data])] {
		clear(out)
		return nil, &decodeError{ErrChecksum, fmt.Sprintf("the last word (the checksum) does not match the other %d; check for a wrong, missing or swapped word", data)}
	}
	return out, nil
}

// checksumIndex picks which of the data words idx is repeated as the checksum
// word: the CRC-32 (IEEE, as zlib's crc32) of their concatenated prefixes,
// modulo their number. Only prefixes take part, which is what lets a phrase
// with words spelled out differently still verify.
func checksumIndex(list *wordList, idx []int) int {
	h := crc32.NewIEEE()
	for _, i := range idx {
		io.WriteString(h, list.prefixes[i])
	}
	return int(h.Sum32() % uint32(len(idx)))
}

// plural returns "1 word" or "n words".
func plural(n int) string {
	if n == 1 {
		return "1 word"
	}
	return fmt.Sprintf("%d words", n)
}
