package clientdb

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestUnsendDeletesAndRemembers(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	mustInsert(t, db, incoming(peer, at(1), "h1", "one"))
	mustInsert(t, db, incoming(peer, at(2), "h2", "two"))
	ref := MessageRef{Conversation: peer, Author: peer, SentAt: at(1)}
	if err := db.SetReaction(ctx, Reaction{Message: ref, Reactor: peer, Emoji: "👍", At: at(3)}, true); err != nil {
		t.Fatal(err)
	}
	if deleted, err := db.Unsend(ctx, ref); err != nil || !deleted {
		t.Fatalf("Unsend = %v, %v", deleted, err)
	}
	msgs, _ := db.Messages(ctx, peer, 10, MessagePos{})
	if len(msgs) != 2 || !msgs[0].Deleted || msgs[0].Body != "" || msgs[1].Deleted || msgs[1].Body != "two" {
		t.Fatalf("after unsend: %+v (want the first kept as deleted, emptied)", msgs)
	}
	if gone, _ := db.Unsent(ctx, ref); !gone {
		t.Error("the deletion is not remembered")
	}
	if rs, _ := db.Reactions(ctx, ref); len(rs) != 0 {
		t.Errorf("reactions of a deleted message kept: %+v", rs)
	}
	// Another author cannot be named to delete the peer's message: the
	// reference names the author, and only that author's message goes.
	other := MessageRef{Conversation: peer, Author: sid(2), SentAt: at(2)}
	if deleted, _ := db.Unsend(ctx, other); deleted {
		t.Error("a message was deleted under another author's name")
	}
}

func TestReactionsCapped(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	ref := MessageRef{Conversation: peer, Author: me(t), SentAt: at(1)}
	for i := range MaxReactionsPerReactor {
		if err := db.SetReaction(ctx, Reaction{Message: ref, Reactor: peer, Emoji: "e" + strconv.Itoa(i), At: at(i)}, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetReaction(ctx, Reaction{Message: ref, Reactor: peer, Emoji: "one too many", At: at(99)}, true); !errors.Is(err, ErrLimit) {
		t.Errorf("reaction over the cap: %v, want ErrLimit", err)
	}
	// The same emoji again is no new row; removing one makes room.
	if err := db.SetReaction(ctx, Reaction{Message: ref, Reactor: peer, Emoji: "e0", At: at(100)}, true); err != nil {
		t.Error(err)
	}
	if err := db.SetReaction(ctx, Reaction{Message: ref, Reactor: peer, Emoji: "e0"}, false); err != nil {
		t.Error(err)
	}
	rs, _ := db.Reactions(ctx, ref)
	if len(rs) != MaxReactionsPerReactor-1 {
		t.Errorf("%d reactions, want %d", len(rs), MaxReactionsPerReactor-1)
	}
	if err := db.SetReaction(ctx, Reaction{Message: ref, Reactor: peer, Emoji: string(make([]byte, MaxEmojiBytes+1))}, true); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("long emoji: %v", err)
	}
}

func TestReadReceiptsOnlyForOwnMessages(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	mustOutgoing(t, db, me(t), peer, at(1), "mine")
	mustInsert(t, db, incoming(peer, at(2), "h2", "theirs"))
	n, err := db.MarkReadByPeer(ctx, peer, []time.Time{at(1), at(2), at(3)}, at(10))
	if err != nil || n != 1 {
		t.Fatalf("MarkReadByPeer = %d, %v; want 1 (only the outgoing message)", n, err)
	}
	if readAt, ok, _ := db.ReadByPeer(ctx, peer, at(1)); !ok || !readAt.Equal(at(10)) {
		t.Errorf("ReadByPeer = %v, %v", readAt, ok)
	}
	db.MarkReadByPeer(ctx, peer, []time.Time{at(1)}, at(20))
	if readAt, _, _ := db.ReadByPeer(ctx, peer, at(1)); !readAt.Equal(at(10)) {
		t.Errorf("a later receipt moved the read time to %v", readAt)
	}
}

func TestDisappearingLatestWins(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	peer := sid(1)
	if ch, err := db.SetDisappearing(ctx, peer, Disappearing{Mode: DisappearingAfterSend, Timer: time.Hour, Updated: at(5)}); err != nil || !ch {
		t.Fatal(ch, err)
	}
	if ch, _ := db.SetDisappearing(ctx, peer, Disappearing{Mode: DisappearingOff, Updated: at(4)}); ch {
		t.Error("an older update replaced a newer one")
	}
	if d, _ := db.DisappearingSetting(ctx, peer); d.Mode != DisappearingAfterSend || d.Timer != time.Hour {
		t.Errorf("setting %+v", d)
	}
	if _, err := db.SetDisappearing(ctx, peer, Disappearing{Mode: 7, Updated: at(9)}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("mode 7: %v", err)
	}
}
