package client

import (
	"os"
	"path/filepath"
	"testing"
)

// recordedStoreHash is the message hash in testdata/storage-server.
const recordedStoreHash = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWp"

// TestStoreReplyFromSessionStorageServer feeds the client replies shaped as
// Session's storage server (v2.x) writes them: peers' answers converted from
// bt-encoding ("already": 1, "failed": 1), a peer's error code as a string
// ("406"), the entry node's "t" inside its own entry. A reply with one
// member holding the message is a delivery; one where every member failed
// (HTTP 500) is not.
func TestStoreReplyFromSessionStorageServer(t *testing.T) {
	for _, tc := range []struct {
		file    string
		status  int
		wantErr bool
	}{
		{"store-already-peers.json", 200, false},
		{"store-new-bt-flags.json", 200, false},
		{"store-all-failed.json", 500, true},
	} {
		body, err := os.ReadFile(filepath.Join("testdata", "storage-server", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		hash, err := storeReply(tc.status, body, recordedStoreHash)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.file, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && hash != recordedStoreHash {
			t.Errorf("%s: hash %q, want %q", tc.file, hash, recordedStoreHash)
		}
	}
}

// TestStoreReplyOtherHash checks that a node naming another hash (in the
// top level or in a member's entry) is not taken as having stored ours.
func TestStoreReplyOtherHash(t *testing.T) {
	for _, body := range []string{
		`{"hash":"other","swarm":{}}`,
		`{"hash":"` + recordedStoreHash + `","swarm":{"aa":{"hash":"other","already":1}}}`,
	} {
		if _, err := storeReply(200, []byte(body), recordedStoreHash); err == nil {
			t.Errorf("%s: accepted", body)
		}
	}
	if _, err := storeReply(200, []byte(`not json`), recordedStoreHash); err == nil {
		t.Error("a reply that is not JSON was accepted")
	}
}
