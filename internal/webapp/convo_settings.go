package webapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/session-go/session-go/client"
)

// The per-conversation settings and the privacy switches of issue 15:
// disappearing messages, typing indicators, read receipts, pins, mutes and
// hiding; pins, mutes, hiding and (for admins) the timer take a group's ID
// too. Each handler sits behind the same checks as the rest of the API
// (token cookie, Host, same-origin JSON: see handler).
func (s *Server) convoSettingsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/privacy", s.withAccount(s.getPrivacy))
	mux.HandleFunc("POST /api/privacy", s.withAccount(s.setPrivacy))
	mux.HandleFunc("POST /api/conversations/{id}/typing", s.withAccount(s.typing))
	mux.HandleFunc("POST /api/conversations/{id}/disappearing", s.withAccount(s.setDisappearing))
	mux.HandleFunc("POST /api/conversations/{id}/pin", s.withAccount(s.pin))
	mux.HandleFunc("POST /api/conversations/{id}/mute", s.withAccount(s.mute))
	mux.HandleFunc("POST /api/conversations/{id}/hide", s.withAccount(s.hide))
	mux.HandleFunc("POST /api/messages/{mid}/edit", s.withAccount(s.editMessage))
}

// convoState is what the conversation settings' handlers keep.
type convoState struct {
	typing    typingGate
	privacyMu sync.Mutex // serialises the read-merge-write of the privacy switches
}

// pathConvo reads the {id} path value of a conversation whose settings
// change: a Session ID, or the ID of a group this account has joined
// (Session keeps pins, mutes, hiding and read marks for groups too; a
// group's disappearing timer is its admins', see settingsError).
func pathConvo(w http.ResponseWriter, r *http.Request, c *client.Client) (string, bool) {
	id := strings.ToLower(r.PathValue("id"))
	if !strings.HasPrefix(id, "03") {
		return pathID(w, r)
	}
	if !validGroupID(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a Session ID or a group ID (05 or 03 followed by 64 hex characters)", truncate(id, 80)))
		return "", false
	}
	if _, err := joinedGroup(r.Context(), c, id); err != nil {
		groupError(w, err)
		return "", false
	}
	return id, true
}

// settingsError answers the settings' input errors with 400, and a
// member's admin-only change of a group (its timer) with 403.
func settingsError(w http.ResponseWriter, err error) {
	if errors.Is(err, client.ErrNotGroupAdmin) || errors.Is(err, client.ErrUnknownGroup) {
		groupError(w, err)
		return
	}
	if errors.Is(err, client.ErrInvalidDuration) || errors.Is(err, client.ErrNotSupported) ||
		errors.Is(err, client.ErrNotEditable) || errors.Is(err, client.ErrInvalidText) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	convoError(w, err)
}

func (s *Server) getPrivacy(w http.ResponseWriter, r *http.Request, c *client.Client) {
	st, err := c.Settings(r.Context())
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// setPrivacy is POST /api/privacy {"read_receipts", "typing_indicators"};
// a switch left out keeps its value.
func (s *Server) setPrivacy(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		ReadReceipts     *bool `json:"read_receipts"`
		TypingIndicators *bool `json:"typing_indicators"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	// Two switches flipped at once must both stick.
	s.convo.privacyMu.Lock()
	defer s.convo.privacyMu.Unlock()
	st, err := c.Settings(r.Context())
	if err != nil {
		clientError(w, err)
		return
	}
	if req.ReadReceipts != nil {
		st.ReadReceipts = *req.ReadReceipts
	}
	if req.TypingIndicators != nil {
		st.TypingIndicators = *req.TypingIndicators
	}
	if err := c.SetSettings(r.Context(), st); err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// typingRepeat is how soon the same typing state may be sent again to one
// conversation: the page refreshes "started" every 10 s as Session does, so
// anything faster is a page gone wrong, not news for the peer.
const typingRepeat = 5 * time.Second

// typingGate drops typing calls that repeat the state last sent to a
// conversation within typingRepeat.
type typingGate struct {
	mu   sync.Mutex // guards last
	last map[string]typingSent
}

type typingSent struct {
	typing bool
	at     time.Time
}

// allow reports whether typing may be sent to id now, and notes it.
func (g *typingGate) allow(id string, typing bool, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[string]typingSent{}
	}
	if p, ok := g.last[id]; ok && p.typing == typing && now.Sub(p.at) < typingRepeat {
		return false
	}
	if len(g.last) >= 1024 {
		clear(g.last) // one entry per conversation typed in; a bound all the same
	}
	g.last[id] = typingSent{typing, now}
	return true
}

// typing is POST /api/conversations/{id}/typing {"typing"}: the user
// started or stopped typing. Sent only when typing indicators are on (the
// client checks), and never to requests or blocked contacts.
func (s *Server) typing(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req struct {
		Typing bool `json:"typing"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if !s.convo.typing.allow(id, req.Typing, time.Now()) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true, "sent": false})
		return
	}
	// Typing is advisory: a failure is not shown to the user.
	if err := c.SetTyping(r.Context(), id, req.Typing); err != nil {
		s.log.Debug("typing indicator not sent", "err", err)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true, "sent": true})
}

// disappearingView is a conversation's disappearing setting as the page
// reads it.
type disappearingView struct {
	// Mode is "off", "read" (after read) or "send" (after send).
	Mode    string     `json:"mode"`
	Seconds int64      `json:"seconds"`
	Updated *time.Time `json:"updated"`
}

// disappearingOf reads the setting of the conversation with id; a failure
// shows as off (the conversation itself still opens).
func (s *Server) disappearingOf(ctx context.Context, c *client.Client, id string) disappearingView {
	d, err := c.Disappearing(ctx, id)
	if err != nil {
		return disappearingView{Mode: client.DisappearOff}
	}
	v := disappearingView{Mode: d.Mode, Seconds: int64(d.Timer / time.Second)}
	if !d.Updated.IsZero() {
		v.Updated = &d.Updated
	}
	return v
}

// setDisappearing is POST /api/conversations/{id}/disappearing
// {"mode": "off"|"read"|"send", "seconds"}.
func (s *Server) setDisappearing(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathConvo(w, r, c)
	if !ok {
		return
	}
	var req struct {
		Mode    string `json:"mode"`
		Seconds int64  `json:"seconds"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Seconds < 0 || req.Seconds > int64(client.MaxDisappearingTimer/time.Second) {
		writeError(w, http.StatusBadRequest, "seconds: out of range")
		return
	}
	err := c.Disappear(r.Context(), id, req.Mode, time.Duration(req.Seconds)*time.Second)
	if err != nil && !errors.Is(err, client.ErrNotSynced) {
		settingsError(w, err)
		return
	}
	s.answerChange(w, err)
}

// pin is POST /api/conversations/{id}/pin {"pinned"}.
func (s *Server) pin(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathConvo(w, r, c)
	if !ok {
		return
	}
	var req struct {
		Pinned bool `json:"pinned"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	err := c.Pin(r.Context(), id, req.Pinned)
	if err != nil && !errors.Is(err, client.ErrNotSynced) {
		settingsError(w, err)
		return
	}
	s.answerChange(w, err)
}

// mute is POST /api/conversations/{id}/mute {"seconds"}: -1 mutes until
// unmuted, 0 unmutes, more mutes for that long.
func (s *Server) mute(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathConvo(w, r, c)
	if !ok {
		return
	}
	var req struct {
		Seconds int64 `json:"seconds"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	const maxMute = 10 * 365 * 24 * 3600
	d := time.Duration(req.Seconds) * time.Second
	switch {
	case req.Seconds == -1:
		d = client.Forever
	case req.Seconds < 0 || req.Seconds > maxMute:
		writeError(w, http.StatusBadRequest, "seconds: -1 (until unmuted), 0 (unmute) or a duration up to 10 years")
		return
	}
	err := c.Mute(r.Context(), id, d)
	if err != nil && !errors.Is(err, client.ErrNotSynced) {
		settingsError(w, err)
		return
	}
	s.answerChange(w, err)
}

// hide is POST /api/conversations/{id}/hide {"hidden"}: hidden
// conversations leave the list until a message to or from them.
func (s *Server) hide(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathConvo(w, r, c)
	if !ok {
		return
	}
	var req struct {
		Hidden bool `json:"hidden"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	f := c.Unhide
	if req.Hidden {
		f = c.Hide
	}
	err := f(r.Context(), id)
	if err != nil && !errors.Is(err, client.ErrNotSynced) {
		settingsError(w, err)
		return
	}
	s.answerChange(w, err)
}

// editMessage is POST /api/messages/{mid}/edit {"body"}: this account's
// message, sent less than client.EditWindow ago, gets a new text (a
// session-go extension; Session peers see a reply instead).
func (s *Server) editMessage(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, ok := pathMID(w, r)
	if !ok {
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	m, err := c.Edit(r.Context(), mid, req.Body)
	if err != nil {
		settingsError(w, err)
		return
	}
	s.changed()
	writeJSON(w, http.StatusOK, m)
}
