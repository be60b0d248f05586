package config

import (
	"bytes"
	"errors"
	"testing"
)

// seedMessages returns serialized config messages covering the message
// features: lagged diffs, set and dict diffs, removals, unknown keys.
func seedMessages(t testing.TB) [][]byte {
	id := testIdentity(t, 12)
	a, _ := NewUserProfile(id, nil)
	a.SetName("seed")
	a.setInsert(int64(3), "S")
	a.setInsert("x", "S")
	a.setScalar("v", "D", "k")
	out := [][]byte{a.msg.serialize()}
	p, _ := a.Push()
	a.ConfirmPushed(p.Seqno, "h1")
	a.erase("D", "k")
	a.setErase("x", "S")
	out = append(out, a.msg.serialize())
	b, _ := NewUserProfile(id, nil)
	b.Merge([]Received{{"h1", p.Data}})
	b.SetName("other")
	p2, _ := b.Push()
	a.Merge([]Received{{"h2", p2.Data}})
	out = append(out, a.msg.serialize(),
		[]byte("d1:#i2e1:$i5e1:&d1:n3:Bobe1:<le1:=d1:n0:e1:?d1:ai1eee"),
		[]byte("d1:#i0e1:&de1:<le1:=dee"))
	return out
}

// FuzzParseMessage: parsing never panics, fails only with the package's
// errors, and an accepted message serializes to bytes that parse back to
// the same message.
func FuzzParseMessage(f *testing.F) {
	for _, m := range seedMessages(f) {
		f.Add(m)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMessage(data, DefaultLag)
		if err != nil {
			if !errors.Is(err, ErrBT) && !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		s := m.serialize()
		m2, err := parseMessage(s, DefaultLag)
		if err != nil {
			t.Fatalf("re-serialized message does not parse: %v\n%q", err, s)
		}
		if s2 := m2.serialize(); !bytes.Equal(s, s2) {
			t.Fatalf("serialization not stable:\n%q\n%q", s, s2)
		}
		// Merging it with itself and with an edit of it must not panic.
		n := m.increment()
		n.data["fuzz"] = int64(1)
		if _, err := mergeMessages([][]byte{data, s, n.serialize()}, DefaultLag, false, nil); err != nil {
			t.Fatalf("merge: %v", err)
		}
	})
}

// FuzzMerge feeds arbitrary plaintexts, encrypted with the account key so
// that they reach the parser and the merge, and arbitrary raw bytes to a
// config that has history. Nothing may panic, and the config must stay
// pushable and consistent.
func FuzzMerge(f *testing.F) {
	for _, m := range seedMessages(f) {
		f.Add(m, []byte{})
	}
	f.Add([]byte("z\x28\xb5\x2f\xfd"), []byte("garbage"))
	f.Add([]byte("m"), []byte{0x08, 0x01, 0x12, 0x00})
	id := testIdentity(f, 12)
	base, _ := NewUserProfile(id, nil)
	base.SetName("mine")
	p, _ := base.Push()
	base.ConfirmPushed(p.Seqno, "h0")
	base.SetName("dirty")
	dump := base.Dump()
	f.Fuzz(func(t *testing.T, plain, raw []byte) {
		c, err := NewUserProfile(id, dump)
		if err != nil {
			t.Fatal(err)
		}
		c.SetCompression(false)
		ct, err := Encrypt(PadMessage(plain, EncryptOverhead), id.Seed(), "UserProfile")
		if err != nil {
			t.Fatal(err)
		}
		accepted := c.Merge([]Received{{"enc", ct}, {"raw", raw}, {"h0", p.Data}})
		for _, h := range accepted {
			if h != "enc" && h != "raw" && h != "h0" {
				t.Fatalf("accepted unknown hash %q", h)
			}
		}
		if _, err := c.Push(); err != nil {
			t.Fatalf("push after merge: %v", err)
		}
		if _, err := parseMessage(c.msg.serialize(), DefaultLag); err != nil {
			t.Fatalf("merged config does not parse: %v", err)
		}
		if _, err := NewUserProfile(id, c.Dump()); err != nil {
			t.Fatalf("merged config does not reload: %v", err)
		}
	})
}

// FuzzOpen: unwrapping, decrypting and decompressing arbitrary bytes never
// panics and fails only with the package's errors.
func FuzzOpen(f *testing.F) {
	id := testIdentity(f, 12)
	c, _ := NewContacts(id, nil)
	c.Set(Contact{SessionID: sessionID(1), Name: "x"})
	p, _ := c.Push()
	f.Add(p.Data)
	c.SetLegacyWrap(false)
	p, _ = c.Push()
	f.Add(p.Data)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		plain, err := c.open(data)
		if err != nil {
			for _, e := range []error{ErrDecrypt, ErrMalformed, ErrDecompress} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("unexpected error %v", err)
		}
		if len(plain) == 0 || plain[0] != prefixBT {
			t.Fatalf("opened to %q", plain)
		}
		if _, err := UnwrapLegacy(id, NamespaceContacts, data); err == nil {
			return
		}
		if _, err := Decrypt(data, id.Seed(), "Contacts"); err != nil {
			t.Fatalf("opened bytes that neither unwrap nor decrypt: %v", err)
		}
	})
}

// FuzzLoadDump: loading arbitrary dumps never panics, and an accepted dump
// dumps and reloads again.
func FuzzLoadDump(f *testing.F) {
	id := testIdentity(f, 12)
	up, _ := NewUserProfile(id, nil)
	f.Add(up.Dump())
	up.SetName("x")
	f.Add(up.Dump())
	p, _ := up.Push()
	up.ConfirmPushed(p.Seqno, "h")
	f.Add(up.Dump())
	f.Fuzz(func(t *testing.T, dump []byte) {
		c, err := NewContacts(id, dump)
		if err != nil {
			if !errors.Is(err, ErrDump) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		c.All()
		if _, err := NewContacts(id, c.Dump()); err != nil {
			t.Fatalf("own dump does not reload: %v", err)
		}
	})
}
