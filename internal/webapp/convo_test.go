package webapp

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// TestConversationFeaturesAPI: Alice replies to Bob's message, Bob reacts
// to the reply, Alice searches and deletes her reply for everyone, through
// the app's API.
func TestConversationFeaturesAPI(t *testing.T) {
	devnettest.Need(t, testNet)
	alice, bob := startApp(t, "alice", Config{}), startApp(t, "bob", Config{})
	ac, aliceID := newAccount(t, alice, "Alice")
	bc, bobID := newAccount(t, bob, "Bob")
	var m client.Message
	callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/conversations/"+aliceID+"/messages", `{"body":"lunch at noon?"}`, &m)
	var view struct {
		Messages []client.Message `json:"messages"`
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(view.Messages) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Bob's message did not arrive")
		}
		time.Sleep(50 * time.Millisecond)
		callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/conversations/"+bobID, "", &view)
	}
	orig := view.Messages[0]
	callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/accept", `{}`, nil)
	var reply client.Message
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+bobID+"/messages",
		`{"body":"yes, noon works","reply_to":`+strconv.FormatInt(orig.ID, 10)+`}`, &reply); code != http.StatusOK ||
		reply.Quote == nil || reply.Quote.ID != orig.ID || reply.Quote.Body != "lunch at noon?" {
		t.Fatalf("reply: %d %+v", code, reply)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/conversations/"+aliceID+"/messages",
		`{"body":"x","reply_to":`+strconv.FormatInt(orig.ID, 10)+`}`, nil); code != http.StatusBadRequest {
		t.Errorf("reply in another conversation: %d", code)
	}

	// Bob reacts to the reply once it arrives.
	var atBob client.Message
	for deadline = time.Now().Add(60 * time.Second); atBob.ID == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the reply did not arrive")
		}
		time.Sleep(50 * time.Millisecond)
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/conversations/"+aliceID, "", &view)
		for _, m := range view.Messages {
			if m.Body == "yes, noon works" && m.Quote != nil {
				atBob = m
			}
		}
	}
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/messages/"+strconv.FormatInt(atBob.ID, 10)+"/react", `{"emoji":"🥰"}`, &m); code != http.StatusOK ||
		len(m.Reactions) != 1 || m.Reactions[0].Emoji != "🥰" {
		t.Fatalf("react: %d %+v", code, m.Reactions)
	}
	if code := callJSON(t, bc, http.MethodPost, bob.BaseURL()+"api/messages/"+strconv.FormatInt(atBob.ID, 10)+"/delete", `{"everyone":true}`, nil); code != http.StatusBadRequest {
		t.Errorf("Bob deleting Alice's message for everyone: %d", code)
	}

	var found struct {
		Messages []client.Message `json:"messages"`
	}
	callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/search?q="+url.QueryEscape("noon")+"&in="+bobID, "", &found)
	if len(found.Messages) != 2 {
		t.Fatalf("search: %+v", found.Messages)
	}
	if code := callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/search?q=", "", nil); code != http.StatusBadRequest {
		t.Errorf("empty search: %d", code)
	}
	if code := callJSON(t, ac, http.MethodPost, alice.BaseURL()+"api/messages/"+strconv.FormatInt(reply.ID, 10)+"/delete", `{"everyone":true}`, nil); code != http.StatusOK {
		t.Fatalf("delete for everyone: %d", code)
	}
	callJSON(t, ac, http.MethodGet, alice.BaseURL()+"api/search?q=works", "", &found)
	if len(found.Messages) != 0 {
		t.Fatalf("a deleted message is found: %+v", found.Messages)
	}
	for deadline = time.Now().Add(60 * time.Second); ; {
		callJSON(t, bc, http.MethodGet, bob.BaseURL()+"api/conversations/"+aliceID, "", &view)
		var deleted bool
		for _, m := range view.Messages {
			deleted = deleted || m.ID == atBob.ID && m.Deleted && m.Body == ""
		}
		if deleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not deleted at Bob: %+v", view.Messages)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
