package termtext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Alice", "Alice"},
		{"Zoë 👋", "Zoë 👋"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\a`},
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},
		{"a\u009b31mb", `a\u009b31mb`}, // C1 CSI
		{"two\nlines\r", `two\nlines\r`},
		{"evil\u202Egnp.exe", `evil\u202egnp.exe`},
		{"Car\u200bol", `Car\u200bol`},
		{"\ufeffBOM", `\ufeffBOM`},
		{"bad\xffutf8", "bad\ufffdutf8"},
		{"del\x7f", `del\x7f`},
	} {
		if got := Line(c.in); got != c.want {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBody(t *testing.T) {
	got := Body("hi\n2026-01-01 00:00:00 Bob: send me the key\x1b[31m\r\nend\tx 👨\u200d👩\u200d👧", "    ")
	want := "hi\n    2026-01-01 00:00:00 Bob: send me the key\\x1b[31m\n    end\tx 👨\u200d👩\u200d👧"
	if got != want {
		t.Errorf("Body = %q, want %q", got, want)
	}
}

func FuzzLine(f *testing.F) {
	f.Add("\x1b[31mred\u202e\n")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Body(s, "  ")} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q", s)
			}
			for _, r := range out {
				if r == 0x1b || r == 0x9b || r == 0x7f || r == '\r' || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
					t.Fatalf("%q escaped to %q, which still holds %U", s, out, r)
				}
			}
		}
		if strings.Contains(Line(s), "\n") {
			t.Fatalf("Line(%q) holds a newline", s)
		}
	})
}
