package mnemonic

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

const (
	// numWords is the size of the word list; the arithmetic of the encoding
	// depends on it.
	numWords = 1626
	// prefixLen is how many leading characters (runes, not bytes) identify a
	// word. The English list is built so that these are unique.
	prefixLen = 3
)

// englishText is the Electrum/Monero English word list that Session uses,
// one word per line; a word's index is its line number minus one.
//
//go:embed english.txt
var englishText string

// wordList is a parsed word list. It is never modified after parsing.
type wordList struct {
	words    []string
	prefixes []string       // prefixes[i] == prefix(words[i])
	index    map[string]int // prefix → index into words
}

// english parses the embedded list on first use. It panics if the list is
// malformed, which would be a build mistake, not a run-time condition.
var english = sync.OnceValue(func() *wordList {
	l, err := parseWordList(englishText)
	if err != nil {
		panic("mnemonic: embedded English word list: " + err.Error())
	}
	return l
})

// parseWordList splits text into lines and checks that it holds exactly
// numWords words with distinct prefixes.
func parseWordList(text string) (*wordList, error) {
	words := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(words) != numWords {
		return nil, fmt.Errorf("has %d words, want %d", len(words), numWords)
	}
	l := &wordList{
		words:    words,
		prefixes: make([]string, numWords),
		index:    make(map[string]int, numWords),
	}
	for i, w := range words {
		p := prefix(w)
		if w != strings.ToLower(w) || utf8.RuneCountInString(p) != prefixLen {
			return nil, fmt.Errorf("line %d: bad word %q", i+1, w)
		}
		if j, dup := l.index[p]; dup {
			return nil, fmt.Errorf("lines %d and %d share the prefix %q", j+1, i+1, p)
		}
		l.prefixes[i] = p
		l.index[p] = i
	}
	return l, nil
}

// prefix returns the first prefixLen runes of word, lowercased. Counting
// runes rather than bytes keeps the rule right for word lists outside ASCII;
// lowercasing maps rune by rune, so it does not change the count.
func prefix(word string) string {
	end := 0
	for n := 0; n < prefixLen && end < len(word); n++ {
		_, size := utf8.DecodeRuneInString(word[end:])
		end += size
	}
	return strings.ToLower(word[:end])
}
