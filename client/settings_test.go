package client

import (
	"slices"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/protocol"
)

// TestReadReceiptsAndTyping checks that both are off by default (nothing
// is sent), and once Bob turns them on, his reading marks Alice's message
// read, on both of her devices, with Session's ReceiptMessage on the wire,
// and his typing shows at Alice (Session's TypingMessage).
func TestReadReceiptsAndTyping(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
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
	// On the wire, in Alice's swarm: Session's ReceiptMessage (READ, the
	// sent timestamps read) and TypingMessage (STARTED, its time). The
	// retrieve asks one node of the swarm, which under load may not have
	// the later of the two stores yet (a store is answered once a quorum
	// has it), so it asks again until both are there; what it finds must
	// be right every time.
	var receipt, typed bool
	deadline := time.Now().Add(30 * time.Second)
	for !receipt || !typed {
		if time.Now().After(deadline) {
			t.Fatalf("in Alice's swarm: receipt %v, typing %v", receipt, typed)
		}
		for _, rm := range swarmMessages(t, alice) {
			dm, err := protocol.DecodeMessage(alice.id, rm.Data)
			if err != nil || dm.Sender != bob.id.SessionID() {
				continue
			}
			if r := dm.Content.GetReceiptMessage(); r != nil {
				if r.GetType() != signalpb.ReceiptMessage_READ || !slices.Equal(r.GetTimestamp(), []uint64{uint64(second.SentAt.UnixMilli())}) {
					t.Fatalf("receipt on the wire: %v", r)
				}
				receipt = true
			}
			if tm := dm.Content.GetTypingMessage(); tm != nil {
				if tm.GetAction() != signalpb.TypingMessage_STARTED || tm.GetTimestamp() == 0 {
					t.Fatalf("typing message on the wire: %v", tm)
				}
				// Stored for Session's 20 s, not the two weeks of a message.
				if life := time.Duration(rm.Expiration-rm.Timestamp) * time.Millisecond; life > TypingTTL {
					t.Fatalf("typing message kept %v in the swarm, want at most %v", life, TypingTTL)
				}
				typed = true
			}
		}
		if !receipt || !typed {
			time.Sleep(200 * time.Millisecond)
		}
	}
	deadline = time.Now().Add(30 * time.Second)
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
	// Her second device has the message from its sync copy, and the
	// receipt (in her swarm) marks it read there too.
	receiveUntil(t, alice2, "the sync copies", func(ms []Message) bool { return len(ms) == 2 })
	deadline = time.Now().Add(30 * time.Second)
	for {
		alice2.Receive(ctx)
		ms, err := alice2.Messages(ctx, bob.SessionID(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 2 && ms[0].Status == "sent" && ms[1].Status == "read" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second device: %+v, want the second message read, the first sent", ms)
		}
	}
	// The first was read while receipts were off: never told.
	if m, _ := alice.Message(ctx, first.ID); m.Status != "sent" {
		t.Errorf("first message: status %q, want sent (read with receipts off)", m.Status)
	}
	// The typing message can reach the node Alice polls after the receipt
	// did (a store is answered once a quorum of the swarm has it): she
	// polls until it comes.
	deadline = time.Now().Add(30 * time.Second)
	for got := false; !got; {
		select {
		case tc := <-typing:
			if tc.Conversation != bob.SessionID() || !tc.Typing {
				t.Errorf("typing event: %+v", tc)
			}
			got = true
		default:
			if time.Now().After(deadline) {
				t.Fatal("no typing event at Alice")
			}
			alice.Receive(ctx)
		}
	}
	if len(typing) > 0 {
		t.Errorf("%d more typing events: one was sent while typing indicators were off", len(typing))
	}
}
