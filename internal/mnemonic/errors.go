package mnemonic

import "errors"

// The sentinel errors below classify every failure; test for them with
// [errors.Is]. The errors this package returns wrap one of them but carry
// their own message, written for the person who typed the recovery password
// and without a package prefix, so that a front end can print
//
//	recovery password: word 4 "zzz" is not in the word list
//
// by prefixing err.Error() with its own label.
var (
	// ErrTooFewWords reports a phrase with fewer words than a recovery
	// password has (13), including an empty one.
	ErrTooFewWords = errors.New("too few words")
	// ErrTooManyWords reports a phrase with more than 13 words that is not a
	// 25-word legacy phrase either.
	ErrTooManyWords = errors.New("too many words")
	// ErrWordCount reports a word count that no encoding produces, from
	// [DecodeWords]: not a multiple of 3 (plus one with a checksum word).
	ErrWordCount = errors.New("wrong number of words")
	// ErrUnknownWord reports a word whose first three letters match no word
	// in the word list. Its message quotes the word as typed, because that is
	// what the user has to find and fix; since it may be a mistyped word of a
	// real recovery password, show it to the user but do not log it.
	ErrUnknownWord = errors.New("word is not in the word list")
	// ErrChecksum reports a last (checksum) word that does not match the
	// other words: usually a wrong, missing or swapped word.
	ErrChecksum = errors.New("checksum word does not match the other words")
	// ErrInvalid reports three words that are all in the word list but
	// together encode no 32-bit value, so no encoder could have produced them.
	ErrInvalid = errors.New("words do not encode a valid value")
	// ErrLength reports input to the encoder that is not a non-empty
	// multiple of 4 bytes.
	ErrLength = errors.New("mnemonic: input must be a non-empty multiple of 4 bytes")
)

// decodeError is a failure with a message of its own that still matches its
// sentinel kind under errors.Is. fmt.Errorf("%w: …") would put the sentinel's
// text in front of the detail, which reads badly to a user.
type decodeError struct {
	kind error
	msg  string
}

func (e *decodeError) Error() string { return e.msg }
func (e *decodeError) Unwrap() error { return e.kind }
