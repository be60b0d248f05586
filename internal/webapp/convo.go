package webapp

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/session-go/session-go/client"
)

// The conversation features' API (issue 15): replies go through
// POST /api/conversations/{id}/messages with "reply_to"; these add
// reactions, deletes and search.
func (s *Server) convoRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/messages/{mid}/react", s.withAccount(s.react))
	mux.HandleFunc("POST /api/messages/{mid}/delete", s.withAccount(s.deleteMessage))
	mux.HandleFunc("GET /api/search", s.withAccount(s.search))
	s.convoSettingsRoutes(mux)
}

// pathMID reads the {mid} path value, a message id.
func pathMID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	mid, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil || mid < 1 {
		writeError(w, http.StatusBadRequest, "bad message id")
		return 0, false
	}
	return mid, true
}

// convoError answers the conversation features' input errors with 400.
func convoError(w http.ResponseWriter, err error) {
	for _, e := range []error{client.ErrInvalidReaction, client.ErrNotAuthor, client.ErrInvalidSearch, client.ErrNotQuotable} {
		if errors.Is(err, e) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if errors.Is(err, client.ErrSendFailed) {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	clientError(w, err)
}

// react is POST /api/messages/{mid}/react {"emoji", "remove"}.
func (s *Server) react(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, ok := pathMID(w, r)
	if !ok {
		return
	}
	var req struct {
		Emoji  string `json:"emoji"`
		Remove bool   `json:"remove"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := c.React(r.Context(), mid, req.Emoji, req.Remove); err != nil {
		convoError(w, err)
		return
	}
	s.changed()
	m, err := c.Message(r.Context(), mid)
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// deleteMessage is POST /api/messages/{mid}/delete {"everyone"}.
func (s *Server) deleteMessage(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, ok := pathMID(w, r)
	if !ok {
		return
	}
	var req struct {
		Everyone bool `json:"everyone"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := c.Delete(r.Context(), mid, req.Everyone); err != nil {
		convoError(w, err)
		return
	}
	s.changed()
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// search is GET /api/search?q=TEXT[&in=SESSION_ID]: up to 100 messages.
func (s *Server) search(w http.ResponseWriter, r *http.Request, c *client.Client) {
	in := r.URL.Query().Get("in")
	if in != "" && !validID(in) {
		writeError(w, http.StatusBadRequest, "in: not a Session ID")
		return
	}
	ms, err := c.Search(r.Context(), r.URL.Query().Get("q"), in, 100)
	if err != nil {
		convoError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]client.Message{"messages": nonNil(ms)})
}
