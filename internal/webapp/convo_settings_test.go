package webapp

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The conversation settings' calls sit behind the same checks as the rest
// of the API: the session cookie, same-origin JSON, an account, and each
// input checked.
func TestConvoSettingsChecks(t *testing.T) {
	a := offlineApp(t)
	c := signedIn(t, a)
	peer := "05" + strings.Repeat("ab", 32)
	calls := map[string]string{
		"api/privacy":                                 `{"read_receipts":true}`,
		"api/conversations/" + peer + "/typing":       `{"typing":true}`,
		"api/conversations/" + peer + "/disappearing": `{"mode":"send","seconds":86400}`,
		"api/conversations/" + peer + "/pin":          `{"pinned":true}`,
		"api/conversations/" + peer + "/mute":         `{"seconds":-1}`,
		"api/conversations/" + peer + "/hide":         `{"hidden":true}`,
		"api/messages/1/edit":                         `{"body":"x"}`,
	}
	for path, body := range calls {
		if resp, _ := do(t, nil, newReq(t, http.MethodPost, a.BaseURL()+path, body)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without the cookie: %d, want 401", path, resp.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodPost, a.BaseURL()+path, strings.NewReader("typing=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if resp, _ := do(t, c, req); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("%s as a form post: %d, want 415", path, resp.StatusCode)
		}
		req = newReq(t, http.MethodPost, a.BaseURL()+path, body)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, _ := do(t, c, req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s cross-site: %d, want 403", path, resp.StatusCode)
		}
		if resp, _ := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+path, body)); resp.StatusCode != http.StatusConflict {
			t.Errorf("%s before onboarding: %d, want 409", path, resp.StatusCode)
		}
	}

	if resp, got := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+"api/account/create", `{"display_name":"Alice"}`)); resp.StatusCode != http.StatusOK {
		t.Fatalf("create: %d %s", resp.StatusCode, got)
	}
	// Read receipts and typing indicators are off until turned on.
	var st struct {
		ReadReceipts     bool `json:"read_receipts"`
		TypingIndicators bool `json:"typing_indicators"`
	}
	get := func() {
		t.Helper()
		resp, body := do(t, c, newReq(t, http.MethodGet, a.BaseURL()+"api/privacy", ""))
		if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil {
			t.Fatalf("privacy: %d %s", resp.StatusCode, body)
		}
	}
	get()
	if st.ReadReceipts || st.TypingIndicators {
		t.Errorf("a new account has %+v, want both off", st)
	}
	do(t, c, newReq(t, http.MethodPost, a.BaseURL()+"api/privacy", `{"typing_indicators":true}`))
	get()
	if st.ReadReceipts || !st.TypingIndicators {
		t.Errorf("after turning typing on: %+v", st)
	}

	for path, body := range map[string]string{
		"api/conversations/" + peer + "/disappearing":  `{"mode":"forever","seconds":60}`,
		"api/conversations/" + peer + "/disappearing#": `{"mode":"send","seconds":-1}`,
		"api/conversations/" + peer + "/disappearing?": `{"mode":"send","seconds":5}`,
		"api/conversations/" + peer + "/mute":          `{"seconds":-7}`,
		"api/conversations/05zz/pin":                   `{"pinned":true}`,
		"api/conversations/03zz/mute":                  `{"seconds":-1}`,
		"api/conversations/03" + peer[2:] + "/typing":  `{"typing":true}`,
		"api/privacy":                          `{"read_receipts":"yes"}`,
		"api/conversations/" + peer + "/hide?": `{"hidden":true,"everyone":true}`,
	} {
		path = strings.TrimRight(path, "#?")
		if resp, got := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+path, body)); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400", path, body, resp.StatusCode, got)
		}
	}

	// A group's settings: only a group this account has joined.
	for _, p := range []string{"pin", "mute", "hide", "disappearing", "unread"} {
		path := "api/conversations/03" + peer[2:] + "/" + p
		if resp, got := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+path, `{}`)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s of an unknown group: %d %s, want 404", p, resp.StatusCode, got)
		}
	}

	// Typing: the same state again within typingRepeat is not sent twice.
	var sent struct{ Sent bool }
	for i, want := range []bool{true, false} {
		_, body := do(t, c, newReq(t, http.MethodPost, a.BaseURL()+"api/conversations/"+peer+"/typing", `{"typing":true}`))
		if json.Unmarshal([]byte(body), &sent) != nil || sent.Sent != want {
			t.Errorf("typing call %d: %s, want sent %v", i+1, body, want)
		}
	}
}

func TestTypingGate(t *testing.T) {
	var g typingGate
	now := time.Now()
	steps := []struct {
		id     string
		typing bool
		at     time.Duration
		want   bool
	}{
		{"a", true, 0, true},
		{"a", true, time.Second, false},                 // a repeat
		{"b", true, time.Second, true},                  // another conversation
		{"a", false, 2 * time.Second, true},             // stopped: news
		{"a", true, 3 * time.Second, true},              // started again
		{"a", true, 3*time.Second + typingRepeat, true}, // Session's refresh
	}
	for i, s := range steps {
		if got := g.allow(s.id, s.typing, now.Add(s.at)); got != s.want {
			t.Errorf("step %d: allow = %v, want %v", i, got, s.want)
		}
	}
}
