package directory

import (
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// FuzzParseEpoch feeds arbitrary bytes, as a member's epoch answer, to
// the parser every node and client runs: an error or an epoch whose hash
// commits to its contents, never a panic; an accepted epoch parses again
// to the same.
func FuzzParseEpoch(f *testing.F) {
	var prev *Epoch
	for i := range 3 {
		var active []Member
		for j := range 2 + i {
			n := newFuzzMember(byte(10*i + j))
			active = append(active, n)
		}
		e := nextEpoch(prev, active)
		b, _ := json.Marshal(e)
		f.Add(b)
		prev = &e
	}
	f.Add([]byte(`{"epoch":1,"hash":"00","prev_hash":"","nodes":[]}`))
	f.Add([]byte(`{"epoch":1,"hash":"","prev_hash":"zz","nodes":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEpoch(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		e2, err := ParseEpoch(again)
		if err != nil || e2.Hash != e.Hash || e2.Number != e.Number || len(e2.Nodes) != len(e.Nodes) {
			t.Fatalf("an accepted epoch does not parse again: %v", err)
		}
	})
}

// FuzzRegistration feeds arbitrary bytes, as a node's submission, to the
// directory's decoding and checks: a refusal or a message whose signature
// verified, never a panic; and the FSM applies whatever passes the checks
// without failing on its shape.
func FuzzRegistration(f *testing.F) {
	n := newNode(f, 30001)
	for _, kind := range []string{KindRegister, KindHeartbeat, KindLeave} {
		b, _ := json.Marshal(n.msg(kind))
		f.Add(b)
	}
	f.Add([]byte(`{"kind":"register","pubkey_ed25519":"00","timestamp":-1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Registration
		if json.Unmarshal(b, &r) != nil {
			return
		}
		if r.Check() != nil {
			return
		}
		st := newFSM()
		c, _ := json.Marshal(command{Op: "reg", Reg: &r, Now: time.Now().UnixMilli(), Grace: 1000})
		_ = st.Apply(raftLog(c))
	})
}

// newFuzzMember returns a well-formed member whose keys are made of b.
func newFuzzMember(b byte) Member {
	var m Member
	key := make([]byte, 32)
	for i := range key {
		key[i] = b + byte(i)
	}
	m.Ed25519, m.X25519 = hex.EncodeToString(key), hex.EncodeToString(key)
	m.IP, m.StoragePort, m.Version = "127.0.0.1", 20000+int(b), "1.0.0"
	return m
}

func raftLog(data []byte) *raft.Log { return &raft.Log{Data: data} }
