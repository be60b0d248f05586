package clientdb

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkInsertIncoming measures storing a new incoming message: the
// dedupe lookups, the conversation update and one synchronous commit.
func BenchmarkInsertIncoming(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	peers := 20
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		peer := sid(byte(i%peers + 1))
		_, ok, err := db.InsertIncoming(ctx, incoming(peer, at(i), fmt.Sprintf("hash-%d", i), "a typical short message body"))
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
		i++
	}
}

// BenchmarkInsertIncomingDuplicate measures the common case of a retrieve
// that returns messages already stored.
func BenchmarkInsertIncomingDuplicate(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	m := incoming(sid(1), at(1), "hash", "body")
	mustInsert(b, db, m)
	for b.Loop() {
		if _, ok, err := db.InsertIncoming(ctx, m); err != nil || ok {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkConversations measures the inbox query over 50 conversations of
// 100 messages.
func BenchmarkConversations(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	for c := range 50 {
		for i := range 100 {
			mustInsert(b, db, incoming(sid(byte(c+1)), at(i), fmt.Sprintf("h%d-%d", c, i), "body"))
		}
	}
	for b.Loop() {
		cs, err := db.Conversations(ctx, AllConversations)
		if err != nil || len(cs) != 50 {
			b.Fatal(len(cs), err)
		}
	}
}
