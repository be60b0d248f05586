package webapp

import (
	"net/http"
	"testing"
	"time"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/devnet/devnettest"
)

// newAccount creates an account in a's app through the API and returns a
// signed-in HTTP client and the Session ID.
func newAccount(t *testing.T, a *testApp, name string) (*http.Client, string) {
	t.Helper()
	c := signedIn(t, a)
	var acct map[string]string
	if code := callJSON(t, c, http.MethodPost, a.BaseURL()+"api/account/create", `{"display_name":"`+name+`"}`, &acct); code != http.StatusOK {
		t.Fatalf("%s: create: %d", name, code)
	}
	return c, acct["session_id"]
}

// TestRequestsInBulk: two strangers write; both requests are declined at
// once; then requests are refused, and a third message leaves no request.
func TestRequestsInBulk(t *testing.T) {
	devnettest.Need(t, testNet)
	carol, mallory, trudy := startApp(t, "carol", Config{}), startApp(t, "mallory", Config{}), startApp(t, "trudy", Config{})
	cc, carolID := newAccount(t, carol, "Carol")
	mc, _ := newAccount(t, mallory, "Mallory")
	tc, _ := newAccount(t, trudy, "Trudy")
	for _, s := range []struct {
		c   *http.Client
		app *testApp
	}{{mc, mallory}, {tc, trudy}} {
		var m client.Message
		callJSON(t, s.c, http.MethodPost, s.app.BaseURL()+"api/conversations/"+carolID+"/messages", `{"body":"buy now"}`, &m)
		if m.Status != "sent" {
			t.Fatalf("stranger's message: %q", m.Status)
		}
	}
	requests := func() int {
		var cv map[string][]client.Conversation
		callJSON(t, cc, http.MethodGet, carol.BaseURL()+"api/conversations", "", &cv)
		return len(cv["requests"])
	}
	deadline := time.Now().Add(60 * time.Second)
	for requests() != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("Carol has %d requests, want 2", requests())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var res map[string]int
	if code := callJSON(t, cc, http.MethodPost, carol.BaseURL()+"api/requests/decline-all", `{}`, &res); code != http.StatusOK || res["count"] != 2 {
		t.Fatalf("decline-all: %d %v", code, res)
	}
	if n := requests(); n != 0 {
		t.Fatalf("%d requests left after decline-all", n)
	}
	var st settings
	callJSON(t, cc, http.MethodPost, carol.BaseURL()+"api/settings", `{"refuse_requests":true}`, &st)
	callJSON(t, cc, http.MethodGet, carol.BaseURL()+"api/settings", "", &st)
	if !st.RefuseRequests {
		t.Fatal("refuse_requests did not stick")
	}
	callJSON(t, mc, http.MethodPost, mallory.BaseURL()+"api/conversations/"+carolID+"/messages", `{"body":"again"}`, nil)
	// Nothing must come of it; a message arrives in well under the wait.
	time.Sleep(2 * time.Second)
	if n := requests(); n != 0 {
		t.Errorf("a refused stranger's message made %d requests", n)
	}
	if code := callJSON(t, cc, http.MethodPost, carol.BaseURL()+"api/requests/nope", `{}`, nil); code != http.StatusNotFound {
		t.Errorf("unknown bulk action: %d", code)
	}
}
