package webapp

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/session-go/session-go/client"
)

// routes registers the JSON API.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/state", s.getState)
	mux.HandleFunc("POST /api/account/create", s.createAccount)
	mux.HandleFunc("POST /api/account/restore", s.restoreAccount)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /api/network", s.withAccount(s.getNetwork))
	mux.HandleFunc("GET /api/conversations", s.withAccount(s.getConversations))
	mux.HandleFunc("GET /api/conversations/{id}", s.withAccount(s.getConversation))
	mux.HandleFunc("POST /api/conversations/{id}/messages", s.withAccount(s.send))
	mux.HandleFunc("POST /api/conversations/{id}/{action}", s.withAccount(s.conversationAction))
	mux.HandleFunc("POST /api/messages/{mid}/retry", s.withAccount(s.retry))
	mux.HandleFunc("GET /api/messages/{mid}/attachments/{n}", s.withAccount(s.getAttachment))
	mux.HandleFunc("POST /api/conversations/{id}/files", s.withAccount(s.sendFile))
	mux.HandleFunc("GET /api/avatars/{id}", s.withAccount(s.getAvatar))
	mux.HandleFunc("POST /api/profile/avatar", s.withAccount(s.setAvatar))
	mux.HandleFunc("POST /api/resolve", s.withAccount(s.resolve))
	mux.HandleFunc("POST /api/requests/{action}", s.withAccount(s.requestsAll))
	mux.HandleFunc("GET /api/settings", s.withAccount(s.getSettings))
	mux.HandleFunc("POST /api/settings", s.withAccount(s.setSettings))
	mux.HandleFunc("GET /api/contacts", s.withAccount(s.getContacts))
	mux.HandleFunc("POST /api/contacts/{id}/nickname", s.withAccount(s.setNickname))
	mux.HandleFunc("POST /api/profile", s.withAccount(s.setProfile))
	mux.HandleFunc("POST /api/recovery-password", s.withAccount(s.recoveryPassword))
	mux.HandleFunc("GET /api/qr.svg", s.withAccount(s.qr))
	s.convoRoutes(mux)
	s.groupRoutes(mux)
	s.fileRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API call")
	})
}

// apiError is every error answer: {"error": "…"}.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, apiError{msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// readJSON decodes the request body into v, refusing unknown fields.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, "request too large")
		} else {
			writeError(w, http.StatusBadRequest, "bad request: "+err.Error())
		}
		return false
	}
	return true
}

// clientError maps a client error to a status: the user's input (400),
// something missing (404) or a failure (500).
func clientError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, client.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, client.ErrUnknownContact), errors.Is(err, client.ErrAmbiguousContact),
		errors.Is(err, client.ErrInvalidRecipient), errors.Is(err, client.ErrMessageTooLong),
		errors.Is(err, client.ErrEmptyMessage), errors.Is(err, client.ErrPreviewLink):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// answerChange answers a request that changed the account: err nil, or
// client.ErrNotSynced (saved on this device, not yet on the account's other
// devices; the client pushes it with its next poll), is a success, with the
// reason as a warning in the second case, and the pages are told of the
// change; any other error is answered as such.
func (s *Server) answerChange(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		s.changed()
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errors.Is(err, client.ErrNotSynced):
		s.changed()
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "warning": "Saved on this device. Your other devices get it when the network answers."})
	default:
		clientError(w, err)
	}
}

// withAccount runs h with the open account, or answers 409 before onboarding.
func (s *Server) withAccount(h func(http.ResponseWriter, *http.Request, *client.Client)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.account()
		if c == nil {
			writeError(w, http.StatusConflict, "no account yet: create or restore one")
			return
		}
		h(w, r, c)
	}
}

// validID reports whether s is a Session ID: 05 and 64 hex digits.
func validID(s string) bool {
	if len(s) != 66 || !strings.HasPrefix(s, "05") {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// pathID reads the {id} path value, a Session ID.
func pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := strings.ToLower(r.PathValue("id"))
	if !validID(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a Session ID (05 followed by 64 hex characters)", truncate(id, 80)))
		return "", false
	}
	return id, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// state is GET /api/state: what the page needs to choose its screen.
type state struct {
	Account *accountInfo `json:"account"`
	Network networkInfo  `json:"network"`
	Version string       `json:"version"`
	Limits  limits       `json:"limits"`
}

type accountInfo struct {
	SessionID   string `json:"session_id"`
	DisplayName string `json:"display_name"`
}

type networkInfo struct {
	// Local is true on the local test network this app runs or joined.
	Local bool `json:"local"`
	// EchoID is the Echo bot's Session ID on the local test network.
	EchoID string `json:"echo_id,omitempty"`
}

type limits struct {
	MessageBytes int `json:"message_bytes"`
	NameBytes    int `json:"name_bytes"`
}

func (s *Server) getState(w http.ResponseWriter, r *http.Request) {
	st := state{Version: s.cfg.Version, Limits: limits{client.MaxMessageBytes, client.MaxDisplayNameBytes}}
	if ln := s.localNet(); ln != nil {
		st.Network = networkInfo{Local: true, EchoID: ln.echoID}
	}
	if c := s.account(); c != nil {
		st.Account = &accountInfo{c.SessionID(), c.DisplayName()}
	}
	writeJSON(w, http.StatusOK, st)
}

// checkDisplayName trims a display name and checks Session's limits.
func checkDisplayName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errors.New("Please enter a display name")
	case !utf8.ValidString(name):
		return "", errors.New("The display name is not valid text")
	case len(name) > client.MaxDisplayNameBytes:
		return "", fmt.Errorf("Please enter a shorter display name (at most %d bytes; this one has %d)", client.MaxDisplayNameBytes, len(name))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", errors.New("The display name cannot contain control characters")
	}
	return name, nil
}

// onboarding serialises account creation and restore.
func (s *Server) onboard(w http.ResponseWriter, open func() (*client.Client, error)) (*client.Client, bool) {
	if s.account() != nil {
		writeError(w, http.StatusConflict, "this home already holds an account")
		return nil, false
	}
	c, err := open()
	if errors.Is(err, client.ErrAccountExists) {
		writeError(w, http.StatusConflict, "this home already holds an account")
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	s.mu.Lock()
	if s.c != nil {
		s.mu.Unlock()
		c.Close()
		writeError(w, http.StatusConflict, "this home already holds an account")
		return nil, false
	}
	s.mu.Unlock()
	s.attach(c)
	return c, true
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DisplayName string `json:"display_name"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	name, err := checkDisplayName(req.DisplayName)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var words string
	c, ok := s.onboard(w, func() (*client.Client, error) {
		c, wd, err := client.Create(r.Context(), s.clientOptions(), name)
		words = wd
		return c, err
	})
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"session_id": c.SessionID(), "display_name": c.DisplayName(), "recovery_password": words})
}

func (s *Server) restoreAccount(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RecoveryPassword string `json:"recovery_password"`
		DisplayName      string `json:"display_name"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	name := ""
	if strings.TrimSpace(req.DisplayName) != "" {
		var err error
		if name, err = checkDisplayName(req.DisplayName); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if strings.TrimSpace(req.RecoveryPassword) == "" {
		writeError(w, http.StatusBadRequest, "Please enter your recovery password")
		return
	}
	c, ok := s.onboard(w, func() (*client.Client, error) {
		return client.Restore(r.Context(), s.clientOptions(), req.RecoveryPassword, name)
	})
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"session_id": c.SessionID(), "display_name": c.DisplayName()})
}

// networkStatus is the network screen's data.
type networkStatus struct {
	client.NetworkStatus
	Local  bool   `json:"local"`
	EchoID string `json:"echo_id,omitempty"`
	Socks5 bool   `json:"socks5"`
	// Connection is the latest news from the receiving loop (nil: none yet).
	Connection *connection `json:"connection"`
	// Warnings are the latest things received that were repaired or left out.
	Warnings []warning `json:"warnings"`
}

func (s *Server) networkStatus(c *client.Client) networkStatus {
	st := networkStatus{NetworkStatus: c.NetworkStatus(), Socks5: s.cfg.SOCKS5 != ""}
	if ln := s.localNet(); ln != nil {
		st.Local, st.EchoID = true, ln.echoID
	}
	s.statusMu.Lock()
	st.Connection = s.conn
	st.Warnings = append([]warning{}, s.warnings...)
	s.statusMu.Unlock()
	return st
}

// requestsAll is POST /api/requests/decline-all and /block-all: every
// pending request at once.
func (s *Server) requestsAll(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var all func(context.Context) (int, error)
	switch r.PathValue("action") {
	case "decline-all":
		all = c.DeclineAllRequests
	case "block-all":
		all = c.BlockAllRequests
	default:
		writeError(w, http.StatusNotFound, "no such action")
		return
	}
	g, gerr := declineGroupInvitations(r.Context(), c) // see api_groups.go
	n, err := all(r.Context())
	n, err = n+g, errors.Join(gerr, err)
	if err != nil && n == 0 {
		clientError(w, err)
		return
	}
	s.changed()
	resp := map[string]any{"count": n}
	if err != nil {
		resp["warning"] = err.Error() // e.g. blocks that did not fit the synced list hold on this device
	}
	writeJSON(w, http.StatusOK, resp)
}

// settings are the device's settings the app shows.
type settings struct {
	RefuseRequests bool `json:"refuse_requests"`
}

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request, c *client.Client) {
	refuse, err := c.RefuseRequests(r.Context())
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, settings{RefuseRequests: refuse})
}

func (s *Server) setSettings(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req settings
	if !readJSON(w, r, &req) {
		return
	}
	if err := c.SetRefuseRequests(r.Context(), req.RefuseRequests); err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, req)
}

func (s *Server) getNetwork(w http.ResponseWriter, r *http.Request, c *client.Client) {
	writeJSON(w, http.StatusOK, s.networkStatus(c))
}

func (s *Server) getConversations(w http.ResponseWriter, r *http.Request, c *client.Client) {
	l, err := s.loadLists(r.Context(), c)
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"inbox": l.Inbox, "requests": l.Requests, "groups": l.Groups})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// conversationView is GET /api/conversations/{id}: the conversation, the
// contact and the latest messages.
type conversationView struct {
	client.Conversation
	Contact  *client.Contact  `json:"contact"`
	Blocked  bool             `json:"blocked"`
	Messages []client.Message `json:"messages"`
	More     bool             `json:"more"`

	// Disappearing is the disappearing-messages setting (convo_settings.go).
	Disappearing disappearingView `json:"disappearing"`
}

// maxPage caps one page of messages.
const maxPage = 1000

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a positive number", truncate(v, 20)))
			return
		}
		limit = min(n, maxPage)
	}
	view, err := s.conversation(r.Context(), c, id, limit)
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) conversation(ctx context.Context, c *client.Client, id string, limit int) (conversationView, error) {
	v := conversationView{Conversation: client.Conversation{SessionID: id}, Messages: []client.Message{}}
	found := false
	for _, list := range []func(context.Context) ([]client.Conversation, error){c.Inbox, c.Requests} {
		cvs, err := list(ctx)
		if err != nil {
			return v, err
		}
		for _, cv := range cvs {
			if cv.SessionID == id {
				v.Conversation, found = cv, true
			}
		}
		if found {
			break
		}
	}
	cts, err := c.Contacts(ctx)
	if err != nil {
		return v, err
	}
	for _, ct := range cts {
		if ct.SessionID == id {
			ct := ct
			v.Contact, v.Blocked = &ct, ct.Blocked
			if v.Name == "" {
				v.Name = ct.Nickname
				if v.Name == "" {
					v.Name = ct.Name
				}
			}
		}
	}
	if ln := s.localNet(); ln != nil && id == ln.echoID && v.Name == "" {
		v.Name = "Echo"
	}
	v.Disappearing = s.disappearingOf(ctx, c, id)
	ms, err := c.Messages(ctx, id, limit+1)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		return v, err
	}
	if len(ms) > limit {
		ms, v.More = ms[1:], true
	}
	v.Messages = nonNil(ms)
	return v, nil
}

func (s *Server) send(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req struct {
		Body    string `json:"body"`
		ReplyTo int64  `json:"reply_to"`
		// Preview is a link preview the page fetched (files.go).
		Preview *previewRequest `json:"preview"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if strings.TrimSpace(req.Body) == "" {
		writeError(w, http.StatusBadRequest, client.ErrEmptyMessage.Error())
		return
	}
	var m client.Message
	var err error
	if req.ReplyTo != 0 {
		// The quoted message must be of this conversation: a reply goes
		// only where the user is writing.
		orig, oerr := c.Message(r.Context(), req.ReplyTo)
		if oerr != nil || orig.Conversation != id {
			writeError(w, http.StatusBadRequest, "reply_to: no such message in this conversation")
			return
		}
		m, err = c.Reply(r.Context(), req.ReplyTo, req.Body)
	} else if req.Preview != nil {
		m, err = sendWithPreview(r.Context(), c, id, req.Body, *req.Preview)
	} else {
		m, err = c.Send(r.Context(), id, req.Body)
	}
	if errors.Is(err, client.ErrSendFailed) {
		// Kept as failed, shown with a retry: not an error of the call.
		writeJSON(w, http.StatusOK, m)
		return
	}
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil || mid < 1 {
		writeError(w, http.StatusBadRequest, "bad message id")
		return
	}
	m, err := c.Retry(r.Context(), mid)
	if err != nil && !errors.Is(err, client.ErrSendFailed) {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// conversationAction is POST /api/conversations/{id}/{action}: read,
// unread, accept, decline, block, unblock.
func (s *Server) conversationAction(w http.ResponseWriter, r *http.Request, c *client.Client) {
	action := r.PathValue("action")
	if validGroupID(strings.ToLower(r.PathValue("id"))) && action != "read" && action != "unread" {
		// A group's other actions are the group calls' (api_groups.go).
		writeError(w, http.StatusBadRequest, "a group is accepted, declined or left through /api/groups")
		return
	}
	id, ok := pathConvo(w, r, c) // a group's read marks too (convo_settings.go)
	if !ok {
		return
	}
	var f func(context.Context, string) error
	switch r.PathValue("action") {
	case "read":
		f = c.MarkRead
	case "unread":
		f = c.MarkUnread
	case "accept":
		f = c.Accept
	case "decline":
		f = c.Decline
	case "block":
		f = c.Block
	case "unblock":
		f = c.Unblock
	default:
		writeError(w, http.StatusNotFound, "no such action")
		return
	}
	err := f(r.Context(), id)
	if r.PathValue("action") == "read" && errors.Is(err, client.ErrNotFound) {
		// Nothing to read yet (a new conversation): not an error.
		err = nil
	}
	s.answerChange(w, err)
}

// resolve is POST /api/resolve: a Session ID or a contact's name, as typed
// in New message, to a Session ID.
func (s *Server) resolve(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		Who string `json:"who"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	who := strings.TrimSpace(req.Who)
	if who == "" {
		writeError(w, http.StatusBadRequest, "Enter a Session ID or a contact's name")
		return
	}
	if ln := s.localNet(); ln != nil && strings.EqualFold(who, "echo") && ln.echoID != "" {
		if _, err := c.Resolve(r.Context(), who); err != nil {
			writeJSON(w, http.StatusOK, map[string]string{"session_id": ln.echoID})
			return
		}
	}
	id, err := c.Resolve(r.Context(), who)
	if err != nil {
		if len(who) == 66 || strings.HasPrefix(who, "05") && len(who) > 10 {
			writeError(w, http.StatusBadRequest, "This Session ID is invalid: it is 05 followed by 64 hex characters (0-9, a-f).")
			return
		}
		if errors.Is(err, client.ErrUnknownContact) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("No contact is called %q, and it is not a Session ID.", truncate(who, 100)))
			return
		}
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"session_id": id})
}

func (s *Server) getContacts(w http.ResponseWriter, r *http.Request, c *client.Client) {
	l, err := s.loadLists(r.Context(), c)
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, l.Contacts)
}

func (s *Server) setNickname(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req struct {
		Nickname string `json:"nickname"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	nick := strings.TrimSpace(req.Nickname)
	if nick != "" {
		var err error
		if nick, err = checkDisplayName(nick); err != nil {
			writeError(w, http.StatusBadRequest, strings.Replace(err.Error(), "display name", "nickname", 1))
			return
		}
	}
	err := c.SetNickname(r.Context(), id, nick)
	s.answerChange(w, err)
}

func (s *Server) setProfile(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		DisplayName string `json:"display_name"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	name, err := checkDisplayName(req.DisplayName)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	err = c.SetDisplayName(r.Context(), name)
	if err != nil && !errors.Is(err, client.ErrNotSynced) {
		clientError(w, err)
		return
	}
	s.changed()
	resp := map[string]string{"session_id": c.SessionID(), "display_name": c.DisplayName()}
	if err != nil {
		resp["warning"] = "Saved on this device. Your other devices get it when the network answers."
	}
	writeJSON(w, http.StatusOK, resp)
}

// recoveryPassword is POST /api/recovery-password: the page asks for a
// confirmation first, and the call must say it was given.
func (s *Server) recoveryPassword(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		Confirm bool `json:"confirm"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if !req.Confirm {
		writeError(w, http.StatusBadRequest, "confirm first: the recovery password gives full access to the account")
		return
	}
	words, err := c.RecoveryPassword()
	if err != nil {
		writeError(w, http.StatusConflict, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"recovery_password": words})
}

func (s *Server) qr(w http.ResponseWriter, r *http.Request, c *client.Client) {
	svg, err := qrSVG(c.SessionID())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	w.Write(svg)
}
