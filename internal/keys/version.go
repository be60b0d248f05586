package keys

import (
	"crypto/ed25519"
	"strconv"

	"golang.org/x/crypto/blake2b"
)

// versionHashKey is the BLAKE2b key that turns an account seed into the seed
// of its version-check key.
const versionHashKey = "VersionCheckKey_sig"

// VersionKey returns the account's version-check key (prefix 07): the
// Ed25519 key pair of seed' = BLAKE2b-256(key "VersionCheckKey_sig", seed).
// Session signs its release-version and file-server requests with it so that
// those servers see a stable key that is not the account's.
func (id *Identity) VersionKey() ed25519.PrivateKey {
	h, _ := blake2b.New256([]byte(versionHashKey)) // a key under 64 bytes never fails
	h.Write(id.ed.Seed())
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}

// VersionID returns the version-check public key with its 07 prefix.
func (id *Identity) VersionID() ID {
	out := ID{Prefix: PrefixVersionBlinded}
	copy(out.Key[:], id.VersionKey()[SeedSize:])
	return out
}

// VersionSignRequest signs a request with the version-check key. The signed
// bytes are the decimal timestamp (seconds), the method, the path (with its
// query) and the raw body, if any, concatenated with no separators.
func (id *Identity) VersionSignRequest(timestamp int64, method, path string, body []byte) []byte {
	msg := strconv.AppendInt(nil, timestamp, 10)
	msg = append(msg, method...)
	msg = append(msg, path...)
	msg = append(msg, body...)
	return ed25519.Sign(id.VersionKey(), msg)
}

// VersionSign signs the release-version check for a platform ("desktop",
// "ios" or "android"): a GET of /session_version?platform=<platform> at the
// given time (seconds).
func (id *Identity) VersionSign(timestamp int64, platform string) []byte {
	return id.VersionSignRequest(timestamp, "GET", "/session_version?platform="+platform, nil)
}
