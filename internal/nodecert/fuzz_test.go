package nodecert

import (
	"testing"
	"time"
)

// FuzzIdentity feeds certificate bytes to the binding parser: it never
// panics, and whatever it accepts it accepts again with the same key.
func FuzzIdentity(f *testing.F) {
	c, err := New(newKey(f), time.Now())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Certificate[0])
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		k, err := Identity(der)
		if err != nil {
			return
		}
		k2, err := Identity(der)
		if err != nil || !k.Equal(k2) {
			t.Fatal("Identity is not deterministic")
		}
	})
}
