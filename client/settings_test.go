package client

import (
	"testing"
	"time"
)

// TestReadReceiptsAndTyping checks that both are off by default (nothing
// is sent), and once Bob turns them on, his reading marks Alice's message
// read and his typing shows at Alice.
func TestReadReceiptsAndTyping(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	typing := make(chan TypingChanged, 8)
	alice.OnEvent(func(ev Event) {
		if tc, ok := ev.(TypingChanged); ok {
			select {
			case typing <- tc:
			default:
			}
		}
	})
	if s, err := bob.Settings(ctx); err != nil || s != (Settings{}) {
		t.Fatalf("default settings: %+v, %v", s, err)
	}
	first, err := alice.Send(ctx, bob.SessionID(), "first")
	if err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "first", func(ms []Message) bool { return len(ms) == 1 })
	if err := bob.Accept(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	if err := bob.MarkRead(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	if err := bob.SetTyping(ctx, alice.SessionID(), true); err != nil {
		t.Fatal(err)
	}

	if err := bob.SetSettings(ctx, Settings{ReadReceipts: true, TypingIndicators: true}); err != nil {
		t.Fatal(err)
	}
	second, err := alice.Send(ctx, bob.SessionID(), "second")
	if err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, bob, "second", func(ms []Message) bool { return len(ms) == 1 })
	if err := bob.MarkRead(ctx, alice.SessionID()); err != nil {
		t.Fatal(err)
	}
	if err := bob.SetTyping(ctx, alice.SessionID(), true); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		alice.Receive(ctx)
		m, err := alice.Message(ctx, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == "read" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second message: status %q, want read", m.Status)
		}
	}
	// The first was read while receipts were off: never told.
	if m, _ := alice.Message(ctx, first.ID); m.Status != "sent" {
		t.Errorf("first message: status %q, want sent (read with receipts off)", m.Status)
	}
	select {
	case tc := <-typing:
		if tc.Conversation != bob.SessionID() || !tc.Typing {
			t.Errorf("typing event: %+v", tc)
		}
	case <-time.After(10 * time.Second):
		t.Error("no typing event at Alice")
	}
	if len(typing) > 0 {
		t.Errorf("%d more typing events: one was sent while typing indicators were off", len(typing))
	}
}
