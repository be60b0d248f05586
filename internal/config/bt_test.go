package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestEncodeBT(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{int64(0), "i0e"},
		{-42, "i-42e"},
		{uint64(1 << 62), "i4611686018427387904e"},
		{"", "0:"},
		{[]byte("spam"), "4:spam"},
		{List{int64(1), "a", List{}}, "li1e1:alee"},
		{Dict{"b": int64(1), "a": "x", "": Dict{}}, "d0:de1:a1:x1:bi1ee"},
		{Dict{"\xff": int64(1), "\x00": int64(2), "a": int64(3)}, "d1:\x00i2e1:ai3e1:\xffi1ee"},
		{Set{int64(-3), int64(5), "abc", "x"}, "li-3ei5e3:abc1:xe"},
		{Dict{"#": int64(0), "&": Dict{}, "<": List{}, "=": Dict{}}, "d1:#i0e1:&de1:<le1:=dee"},
	} {
		got, err := EncodeBT(tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("EncodeBT(%#v) = %q, %v; want %q", tc.v, got, err, tc.want)
		}
	}
	for _, bad := range []any{1.5, nil, true, map[int]any{}, uint64(1 << 63), List{struct{}{}}} {
		if _, err := EncodeBT(bad); !errors.Is(err, ErrBT) {
			t.Errorf("EncodeBT(%#v): got %v, want ErrBT", bad, err)
		}
	}
	deep := any(List{})
	for range MaxDepth + 1 {
		deep = List{deep}
	}
	if _, err := EncodeBT(deep); !errors.Is(err, ErrTooDeep) {
		t.Errorf("EncodeBT of %d nested lists: got %v, want ErrTooDeep", MaxDepth+2, err)
	}
}

func TestDecodeBTRoundTrip(t *testing.T) {
	for _, s := range []string{
		"i0e", "i-1e", "i9223372036854775807e", "i-9223372036854775808e", "0:", "3:abc",
		"le", "de", "li1ei2ee", "d1:ad1:bleee", "d0:i1e1:ai2ee",
		"d1:#i1e1:&d1:n5:Alicee1:<lli0e32:" + strings.Repeat("x", 32) + "deee1:=d1:n0:ee",
	} {
		v, err := DecodeBT([]byte(s))
		if err != nil {
			t.Errorf("DecodeBT(%q): %v", s, err)
			continue
		}
		back, err := EncodeBT(v)
		if err != nil || string(back) != s {
			t.Errorf("DecodeBT(%q) re-encodes to %q, %v", s, back, err)
		}
	}
}

func TestDecodeBTRejects(t *testing.T) {
	for _, s := range []string{
		"", "i", "ie", "i-e", "i-0e", "i01e", "i00e", "i1", "i9223372036854775808e",
		"i-9223372036854775809e", "i12345678901234567890e", "01:a", "2:a", "1a", "-1:a",
		"l", "li1e", "d", "d1:ai1e", "d1:bi1e1:ai2ee", "d1:ai1e1:ai2ee", "di1ei2ee",
		"i1ei2e", "le ", "x", "d1:a", "99999999999999999999:x",
	} {
		if v, err := DecodeBT([]byte(s)); err == nil || !errors.Is(err, ErrBT) && !errors.Is(err, ErrTooDeep) {
			t.Errorf("DecodeBT(%q) = %#v, %v; want an error", s, v, err)
		}
	}
	deep := strings.Repeat("l", MaxDepth+1) + strings.Repeat("e", MaxDepth+1)
	if _, err := DecodeBT([]byte(deep)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("DecodeBT of %d nested lists: got %v, want ErrTooDeep", MaxDepth+1, err)
	}
	ok := strings.Repeat("l", MaxDepth) + strings.Repeat("e", MaxDepth)
	if _, err := DecodeBT([]byte(ok)); err != nil {
		t.Errorf("DecodeBT of %d nested lists: %v", MaxDepth, err)
	}
	many := "l" + strings.Repeat("i0e", MaxValues) + "e"
	if _, err := DecodeBT([]byte(many)); err == nil {
		t.Errorf("DecodeBT accepted %d values", MaxValues+1)
	}
}

// FuzzDecodeBT checks that the decoder never panics and that whatever it
// accepts re-encodes to exactly the input (the encoding is canonical).
func FuzzDecodeBT(f *testing.F) {
	for _, s := range []string{
		"d1:#i0e1:&de1:<le1:=dee", "li-3ei5e3:abc1:xe", "d1:ad1:bleee", "i-0e", "i01e", "d1:bi1e1:ai2ee",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeBT(data)
		if err != nil {
			if v != nil {
				t.Fatal("error with a value")
			}
			return
		}
		back, err := EncodeBT(v)
		if err != nil {
			t.Fatalf("decoded value does not encode: %v", err)
		}
		if !bytes.Equal(back, data) {
			t.Fatalf("DecodeBT(%q) re-encodes to %q", data, back)
		}
	})
}
