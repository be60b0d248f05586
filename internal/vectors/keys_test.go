package vectors

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/keys"
)

// identityFrom builds an account from a 32-byte seed or a 64-byte secret key,
// failing the entry (not the file) when that is impossible.
func identityFrom(t *testing.T, where string, key []byte) *keys.Identity {
	t.Helper()
	var id *keys.Identity
	var err error
	if len(key) == keys.SecretKeySize {
		id, err = keys.NewIdentityFromSecretKey(key)
	} else {
		id, err = keys.NewIdentity(key)
	}
	if err != nil {
		t.Errorf("%s: building the account: %v", where, err)
		return nil
	}
	return id
}

// checkKeysUpstream checks upstream/keys.json (vectors README §4.2).
func checkKeysUpstream(t *testing.T, raw []byte) int {
	var f struct {
		FromSeed []struct {
			Seed      string `json:"seed"`
			EdPK      string `json:"ed25519_pk"`
			EdSK      string `json:"ed25519_sk"`
			XPK       string `json:"x25519_pk"`
			SessionID string `json:"session_id"`
		} `json:"ed25519_from_seed"`
		Sign []struct {
			Seed      string `json:"seed"`
			Message   string `json:"message_utf8"`
			Signature string `json:"signature"`
		} `json:"ed25519_sign"`
		PKToX []struct {
			EdPK        string `json:"ed25519_pk"`
			XPK         string `json:"x25519_pk"`
			Note        string `json:"note"`
			XEdPositive string `json:"xed25519_positive_pk"`
		} `json:"ed25519_pk_to_x25519_pk"`
		SKToX []struct {
			EdSK string `json:"ed25519_sk"`
			XSK  string `json:"x25519_sk"`
		} `json:"ed25519_sk_to_x25519_sk"`
		XFromSeed []struct {
			Seed string `json:"seed"`
			XPK  string `json:"x25519_pk"`
		} `json:"x25519_pk_from_seed"`
	}
	decode(t, raw, &f)
	n := 0

	for i, e := range f.FromSeed {
		w := fmt.Sprintf("ed25519_from_seed[%d]", i)
		id := identityFrom(t, w, unhex(t, w, e.Seed))
		if id == nil {
			continue
		}
		eqHex(t, w+".ed25519_pk", id.Ed25519PublicKey(), e.EdPK)
		if e.EdSK != "" {
			eqHex(t, w+".ed25519_sk", id.Ed25519PrivateKey(), e.EdSK)
		}
		if e.XPK != "" {
			x := id.X25519PublicKey()
			eqHex(t, w+".x25519_pk", x[:], e.XPK)
		}
		if e.SessionID != "" {
			eqHex(t, w+".session_id", id.SessionID().Bytes(), e.SessionID)
		}
		n++
	}

	for i, e := range f.Sign {
		w := fmt.Sprintf("ed25519_sign[%d]", i)
		id := identityFrom(t, w, unhex(t, w, e.Seed))
		if id == nil {
			continue
		}
		eqHex(t, w+".signature", id.Sign([]byte(e.Message)), e.Signature)
		n++
	}

	for i, e := range f.PKToX {
		w := fmt.Sprintf("ed25519_pk_to_x25519_pk[%d]", i)
		edPK := unhex(t, w, e.EdPK)
		x, err := keys.Ed25519PublicToX25519(edPK)
		if err != nil {
			t.Errorf("%s.x25519_pk: %v", w, err)
		} else {
			eqHex(t, w+".x25519_pk", x, e.XPK)
		}
		if strings.Contains(e.Note, "xed25519") {
			want := e.XEdPositive
			if want == "" {
				want = e.EdPK
			}
			pos, err := keys.XEd25519PublicKey(unhex(t, w, e.XPK))
			if err != nil {
				t.Errorf("%s: xed25519 positive: %v", w, err)
			} else {
				eqHex(t, w+".xed25519_positive_pk", pos, want)
			}
			// When the real key has its sign bit set, the negative
			// candidate must be that key.
			if edPK[31]&0x80 != 0 {
				neg, err := keys.XEd25519NegativePublicKey(unhex(t, w, e.XPK))
				if err != nil {
					t.Errorf("%s: xed25519 negative: %v", w, err)
				} else {
					eqHex(t, w+".ed25519_pk (negative xed25519)", neg, e.EdPK)
				}
			}
		}
		n++
	}

	for i, e := range f.SKToX {
		w := fmt.Sprintf("ed25519_sk_to_x25519_sk[%d]", i)
		sk := unhex(t, w, e.EdSK)
		xsk := keys.Ed25519SecretToX25519(sk)
		eqHex(t, w+".x25519_sk", xsk[:], e.XSK)
		if id := identityFrom(t, w, sk); id != nil {
			xsk := id.X25519PrivateKey()
			eqHex(t, w+".x25519_sk (identity)", xsk[:], e.XSK)
		}
		n++
	}

	for i, e := range f.XFromSeed {
		w := fmt.Sprintf("x25519_pk_from_seed[%d]", i)
		id := identityFrom(t, w, unhex(t, w, e.Seed))
		if id == nil {
			continue
		}
		x := id.X25519PublicKey()
		eqHex(t, w+".x25519_pk", x[:], e.XPK)
		n++
	}
	return n
}

// checkKeysOracle checks oracle/keys.json (vectors README §4.10).
func checkKeysOracle(t *testing.T, raw []byte) int {
	var f struct {
		Vectors []struct {
			Index     int    `json:"index"`
			SeedInput string `json:"seed_input"`
			Seed16    string `json:"seed16"`
			Seed32    string `json:"seed32_padded"`
			EdPK      string `json:"ed25519_pubkey"`
			EdSK      string `json:"ed25519_secretkey"`
			XPK       string `json:"x25519_pubkey"`
			XSK       string `json:"x25519_seckey"`
			SessionID string `json:"session_id"`
		} `json:"vectors"`
	}
	decode(t, raw, &f)
	n := 0
	for _, e := range f.Vectors {
		w := fmt.Sprintf("vectors[index %d]", e.Index)
		h := sha256.Sum256([]byte(e.SeedInput))
		eqHex(t, w+".seed16", h[:16], e.Seed16)

		id := identityFrom(t, w, unhex(t, w, e.Seed16))
		if id == nil {
			continue
		}
		eqHex(t, w+".seed16 (recovery seed)", id.RecoverySeed(), e.Seed16)
		eqHex(t, w+".seed32_padded", id.Seed(), e.Seed32)
		eqHex(t, w+".ed25519_pubkey", id.Ed25519PublicKey(), e.EdPK)
		eqHex(t, w+".ed25519_secretkey", id.Ed25519PrivateKey(), e.EdSK)
		x, xs := id.X25519PublicKey(), id.X25519PrivateKey()
		eqHex(t, w+".x25519_pubkey", x[:], e.XPK)
		eqHex(t, w+".x25519_seckey", xs[:], e.XSK)
		eqHex(t, w+".session_id", id.SessionID().Bytes(), e.SessionID)

		// The same account from the padded seed, from the secret key, and
		// through the standalone conversions.
		if id32 := identityFrom(t, w+" (seed32)", unhex(t, w, e.Seed32)); id32 != nil {
			eqHex(t, w+".session_id (from seed32_padded)", id32.SessionID().Bytes(), e.SessionID)
			eqHex(t, w+".seed16 (recovered from seed32_padded)", id32.RecoverySeed(), e.Seed16)
		}
		if idSK := identityFrom(t, w+" (secret key)", unhex(t, w, e.EdSK)); idSK != nil {
			eqHex(t, w+".session_id (from ed25519_secretkey)", idSK.SessionID().Bytes(), e.SessionID)
		}
		if xpk, err := keys.Ed25519PublicToX25519(unhex(t, w, e.EdPK)); err != nil {
			t.Errorf("%s.x25519_pubkey: %v", w, err)
		} else {
			eqHex(t, w+".x25519_pubkey (conversion)", xpk, e.XPK)
		}
		xsk := keys.Ed25519SecretToX25519(unhex(t, w, e.EdSK))
		eqHex(t, w+".x25519_seckey (conversion)", xsk[:], e.XSK)
		if sid, err := keys.ParseSessionID(e.SessionID); err != nil {
			t.Errorf("%s.session_id: %v", w, err)
		} else if sid != id.SessionID() {
			t.Errorf("%s.session_id: parsed %s, derived %s", w, sid, id.SessionID())
		}
		n++
	}
	return n
}
