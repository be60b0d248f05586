package keys

import (
	"bytes"
	"crypto/ed25519"
	"testing"
)

func TestVersionKey(t *testing.T) {
	ids := testIdentities(t, 2)
	id := ids[0]
	vk := id.VersionKey()
	if bytes.Equal(vk.Public().(ed25519.PublicKey), id.Ed25519PublicKey()) {
		t.Fatal("the version key is the account key")
	}
	if !bytes.Equal(vk, id.VersionKey()) {
		t.Fatal("the version key is not deterministic")
	}
	if bytes.Equal(vk, ids[1].VersionKey()) {
		t.Fatal("two accounts share a version key")
	}
	vid := id.VersionID()
	if vid.Prefix != PrefixVersionBlinded || !bytes.Equal(vid.Key[:], vk.Public().(ed25519.PublicKey)) {
		t.Fatalf("VersionID %s does not name the version key", vid)
	}

	const ts = 1700000000
	body := []byte(`{"x":1}`)
	for _, c := range []struct {
		sig, signed []byte
	}{
		{id.VersionSign(ts, "ios"), []byte("1700000000GET/session_version?platform=ios")},
		{id.VersionSignRequest(ts, "GET", "/session_version?platform=ios", nil), []byte("1700000000GET/session_version?platform=ios")},
		{id.VersionSignRequest(ts, "POST", "/p", body), []byte(`1700000000POST/p{"x":1}`)},
	} {
		if !ed25519.Verify(vid.Key[:], c.signed, c.sig) {
			t.Errorf("signature over %q does not verify", c.signed)
		}
	}
}
