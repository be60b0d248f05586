package clientdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

func bodies(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Body)
	}
	return out
}

func TestSearch(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	alice, bob := sid(1), sid(2)
	mustInsert(t, db, incoming(alice, at(1), "h1", "Bonjour, on se voit au café ?"))
	mustInsert(t, db, incoming(alice, at(2), "h2", "the meeting is at noon"))
	mustInsert(t, db, incoming(bob, at(3), "h3", "Bonjour Bob here"))
	mustOutgoing(t, db, me(t), bob, at(4), "see you at the meeting, bob")

	for _, tc := range []struct {
		text string
		conv keys.ID
		want []string
	}{
		{"bonjour", keys.ID{}, []string{"Bonjour Bob here", "Bonjour, on se voit au café ?"}},
		{"BONJ", keys.ID{}, []string{"Bonjour Bob here", "Bonjour, on se voit au café ?"}},
		{"bonjour", alice, []string{"Bonjour, on se voit au café ?"}},
		{"cafe", keys.ID{}, []string{"Bonjour, on se voit au café ?"}},
		{"meeting bob", keys.ID{}, []string{"see you at the meeting, bob"}},
		{"meeting", bob, []string{"see you at the meeting, bob"}},
		{"absent", keys.ID{}, nil},
		{"  ,;  ", keys.ID{}, nil},
	} {
		got, err := db.Search(ctx, tc.text, tc.conv, 10)
		if err != nil {
			t.Fatalf("Search(%q): %v", tc.text, err)
		}
		if g := bodies(got); fmt.Sprint(g) != fmt.Sprint(tc.want) {
			t.Errorf("Search(%q, %v) = %q, want %q", tc.text, tc.conv, g, tc.want)
		}
	}
}

// TestSearchSyntaxIsText checks that FTS5 syntax in what the user types is
// searched as text: it neither fails nor widens the query.
func TestSearchSyntaxIsText(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	mustInsert(t, db, incoming(sid(1), at(1), "h1", "apples and pears"))
	mustInsert(t, db, incoming(sid(1), at(2), "h2", "only pears"))
	for _, text := range []string{`"`, `apples OR`, `apples OR only`, `NEAR(apples pears)`, `body:apples`, `*`, `apples -pears`, `^apples`, `a"b`, "\x00", `{body}: x`} {
		got, err := db.Search(ctx, text, keys.ID{}, 10)
		if err != nil {
			t.Errorf("Search(%q): %v", text, err)
			continue
		}
		for _, m := range got {
			if m.Body == "only pears" && strings.Contains(text, "apples") {
				t.Errorf("Search(%q) widened to %q", text, m.Body)
			}
		}
	}
	if got, _ := db.Search(ctx, `apples OR only`, keys.ID{}, 10); len(got) != 0 {
		t.Errorf(`"apples OR only" = %q: OR must be a word, not an operator`, bodies(got))
	}
}

func TestSearchLimits(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for _, tc := range []struct {
		text  string
		limit int
	}{
		{"x", 0}, {"x", MaxSearchResults + 1}, {strings.Repeat("a", MaxSearchBytes+1), 10},
		{strings.Repeat("a ", MaxSearchTerms+1), 10},
	} {
		if _, err := db.Search(ctx, tc.text, keys.ID{}, tc.limit); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("Search(%d bytes, limit %d) = %v, want ErrInvalidArgument", len(tc.text), tc.limit, err)
		}
	}
	for i := range 5 {
		mustInsert(t, db, incoming(sid(1), at(i+1), fmt.Sprint("h", i), fmt.Sprint("word ", i)))
	}
	got, err := db.Search(ctx, "word", keys.ID{}, 3)
	if err != nil || len(got) != 3 || got[0].Body != "word 4" {
		t.Fatalf("Search(word, 3) = %q, %v; want the 3 newest", bodies(got), err)
	}
}

// TestSearchFollowsDeletes checks that a deleted message's words leave the
// index (a deleted message must not be found, nor its text kept in the
// index), and that the index survives a reopen.
func TestSearchFollowsDeletes(t *testing.T) {
	db, path := openTest(t)
	ctx := context.Background()
	id := mustInsert(t, db, incoming(sid(1), at(1), "h1", "secretword here"))
	mustInsert(t, db, incoming(sid(1), at(2), "h2", "other words"))
	if got, _ := db.Search(ctx, "secretword", keys.ID{}, 10); len(got) != 1 {
		t.Fatalf("before delete: %q", bodies(got))
	}
	if err := db.DeleteMessage(ctx, id); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Search(ctx, "secretword", keys.ID{}, 10); len(got) != 0 {
		t.Fatalf("after delete: %q", bodies(got))
	}
	// The index's own term list (fts5vocab) no longer holds the word.
	if _, err := db.w.ExecContext(ctx, "CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, messages_fts, row)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.w.QueryRowContext(ctx, "SELECT count(*) FROM temp.v WHERE term = 'secretword'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the index still holds the deleted word: %d, %v", n, err)
	}
	db.Close()
	db = openAt(t, path, testKey(1))
	if got, err := db.Search(ctx, "other", keys.ID{}, 10); err != nil || len(got) != 1 {
		t.Fatalf("after reopen: %q, %v", bodies(got), err)
	}
}

func TestQuote(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	alice := sid(1)
	orig := mustInsert(t, db, incoming(alice, at(1), "h1", "what time?"))
	reply, err := db.InsertOutgoing(ctx, Message{Conversation: alice, Sender: me(t), SentAt: at(2), Body: "noon",
		Payload: []byte("p"), Quote: Quote{SentAt: at(1), Author: alice}})
	if err != nil {
		t.Fatal(err)
	}
	m := mustMessage(t, db, reply)
	if m.Quote.ID != orig || m.Quote.Body != "what time?" || m.Quote.Author != alice || !m.Quote.SentAt.Equal(at(1)) {
		t.Fatalf("quote = %+v", m.Quote)
	}
	// A reply to a message this device does not have keeps what names it.
	q := incoming(alice, at(3), "h3", "and this?")
	q.Quote = Quote{SentAt: at(99), Author: me(t)}
	id := mustInsert(t, db, q)
	m = mustMessage(t, db, id)
	if m.Quote.ID != 0 || m.Quote.Body != "" || m.Quote.Author != me(t) {
		t.Fatalf("quote of an unknown message = %+v", m.Quote)
	}
	ms, err := db.Messages(ctx, alice, 10, MessagePos{})
	if err != nil || len(ms) != 3 || ms[0].Quote != (Quote{}) || ms[1].Quote.ID != orig {
		t.Fatalf("Messages = %+v, %v", ms, err)
	}
	// A quote must name its author.
	bad := incoming(alice, at(4), "h4", "x")
	bad.Quote = Quote{SentAt: at(1)}
	if _, _, err := db.InsertIncoming(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("quote without author: %v", err)
	}
}

// BenchmarkSearch100k measures a search for a word in one message among
// 100 000, across all conversations, against the floor of 50 ms.
func BenchmarkSearch100k(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	const n = 100_000
	words := strings.Fields("hello bonjour meeting tomorrow coffee lunch photo train late sorry thanks great weekend plans call later home work see you soon")
	err := db.Batch(ctx, func(ctx context.Context) error {
		tx := db.batchTx(ctx)
		conv := make([]string, 50)
		for c := range conv {
			conv[c] = sid(byte(c + 1)).String()
			if _, err := tx.ExecContext(ctx, "INSERT INTO conversations (id, last_activity, created) VALUES (?, 1, 1)", conv[c]); err != nil {
				return err
			}
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO messages (conversation, direction, status, sender, sent_ts, received_ts, body, hash)
			VALUES (?, 1, 4, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			var sb strings.Builder
			for j := range 8 {
				sb.WriteString(words[(i*7+j*13+i/(j+1))%len(words)])
				sb.WriteByte(' ')
			}
			if i == n/3 {
				sb.WriteString("zanzibar")
			}
			c := conv[i%len(conv)]
			ts := ms(at(i))
			if _, err := st.ExecContext(ctx, c, c, ts, ts, sb.String(), fmt.Sprint("h", i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, text string
		conv       keys.ID
		want       int
	}{
		{"rare-word-everywhere", "zanzibar", keys.ID{}, 1},
		{"common-prefix-in-one-conversation", "cof", sid(7), 50},
		{"two-words-everywhere", "coffee lunch", keys.ID{}, 50},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				got, err := db.Search(ctx, bc.text, bc.conv, 50)
				if err != nil || len(got) != bc.want {
					b.Fatal(len(got), err)
				}
			}
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(per)/float64(time.Millisecond), "ms/search")
			b.ReportMetric(float64(per)/float64(50*time.Millisecond), "x-floor-50ms")
		})
	}
}
