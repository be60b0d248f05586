package protocol

import (
	"bytes"
	"testing"
)

func TestPadLength(t *testing.T) {
	for _, tc := range []struct{ in, want int }{
		{0, 160}, {1, 160}, {158, 160}, {159, 160}, {160, 320}, {161, 320}, {319, 320}, {320, 480}, {1000, 1120},
	} {
		msg := bytes.Repeat([]byte{'a'}, tc.in)
		got := Pad(msg)
		if len(got) != tc.want {
			t.Errorf("Pad(%d bytes) is %d bytes, want %d", tc.in, len(got), tc.want)
			continue
		}
		if !bytes.Equal(got[:tc.in], msg) || got[tc.in] != 0x80 || !isZero(got[tc.in+1:]) {
			t.Errorf("Pad(%d bytes) = %x, want the message, 0x80, then zeros", tc.in, got)
		}
	}
}

func TestPadCopies(t *testing.T) {
	msg := []byte("hello")
	p := Pad(msg)
	p[0] = 'j'
	if string(msg) != "hello" {
		t.Errorf("Pad changed its input to %q", msg)
	}
}

func TestPadUnpadRoundTrip(t *testing.T) {
	// Messages ending in the padding bytes themselves are the interesting ones.
	for _, tail := range []byte{0x00, 0x80, 0x01} {
		for n := 0; n <= 400; n++ {
			msg := bytes.Repeat([]byte{0x55}, n)
			if n > 0 {
				msg[n-1] = tail
			}
			if got := Unpad(Pad(msg)); !bytes.Equal(got, msg) {
				t.Fatalf("Unpad(Pad(%d bytes ending %02x)) = %x", n, tail, got)
			}
		}
	}
}

func TestUnpad(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"unpadded", "abc", "abc"},
		{"terminator only", "abc\x80", "abc"},
		{"terminator and zeros", "abc\x80\x00\x00\x00", "abc"},
		{"zeros without terminator (libsession strips them)", "abc\x00\x00", "abc"},
		{"only one terminator is removed", "abc\x80\x80", "abc\x80"},
		{"one terminator after zeros", "abc\x80\x00\x80\x00", "abc\x80\x00"},
		{"all zeros", "\x00\x00\x00", ""},
		{"lone terminator", "\x80", ""},
		{"other byte last", "abc\x80\x00x", "abc\x80\x00x"},
		{"desktop length (160k-1)", "abc\x80" + string(make([]byte, 155)), "abc"},
	} {
		if got := Unpad([]byte(tc.in)); string(got) != tc.want {
			t.Errorf("%s: Unpad(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestUnpadDoesNotGrowIntoPadding(t *testing.T) {
	in := []byte("abc\x80\x00")
	out := Unpad(in)
	if cap(out) != len(out) {
		t.Errorf("Unpad result has capacity %d beyond its length %d: appending would overwrite the input", cap(out), len(out))
	}
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
