// Package termtext makes text from other people safe to print on a
// terminal: names and message bodies arrive from strangers and may carry
// terminal escape sequences (which can rewrite the screen, set the window
// title or, on some terminals, answer back), newlines that forge output
// lines, or invisible and direction-changing characters that make one text
// look like another.
//
// Nothing is dropped silently: such characters are shown as Go-style
// escapes (\x1b, \u202e), so that the reader sees that they are there.
// Invalid UTF-8 becomes U+FFFD.
package termtext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const zwj = '\u200d' // zero-width joiner: holds emoji sequences together

// hidden reports whether r is shown as an escape rather than as itself:
// controls (C0, DEL, C1: ESC and CSI start terminal sequences), format
// characters (bidi embeddings, overrides and isolates, zero-width spaces
// and joiners, the BOM, soft hyphen) and the Unicode line and paragraph
// separators.
func hidden(r rune) bool {
	return unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// escape writes r as a visible Go escape.
func escape(b *strings.Builder, r rune) {
	q := strconv.QuoteRuneToASCII(r) // '\x1b', '\u202e'
	b.WriteString(q[1 : len(q)-1])
}

// Line returns s safe to print within one line: every control, format or
// separator character, newlines included, is escaped.
func Line(s string) string {
	if clean(s, false) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			escape(&b, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Body returns a message body safe to print: like Line, but a newline (or
// CR LF) is kept and the line after it starts with indent, so that a body
// cannot forge a line of output that looks like another message; tabs are
// kept; a zero-width joiner is kept, since emoji sequences need it.
func Body(s, indent string) string {
	if clean(s, true) {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteByte('\n')
			b.WriteString(indent)
		case r == '\t' || r == zwj:
			b.WriteRune(r)
		case hidden(r):
			escape(&b, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean reports whether s is valid UTF-8 without anything to escape (with
// body rules: no newline either, since it gets an indent).
func clean(s string, body bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(body && c == '\t') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || hidden(r) && !(body && r == zwj) {
			return false
		}
		i += n
	}
	return true
}

// Invisible reports whether s holds characters that Line would escape:
// controls, format characters (bidi, zero-width) or invalid UTF-8.
func Invisible(s string) bool { return !clean(s, false) }
