package webapp

import (
	"errors"
	"net/http"
	"time"

	"github.com/session-go/session-go/client"
)

// The conversation features of groups that need calls of their own:
// the group's disappearing timer, which Session's groups keep in the
// Info config, after send only, set by admins (web/groupconvo.js).
func (s *Server) groupConvoRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/groups/{gid}/disappearing", s.withAccount(s.getGroupDisappearing))
	mux.HandleFunc("POST /api/groups/{gid}/disappearing", s.withAccount(s.setGroupDisappearing))
}

// groupDisappearing is a group's timer as the page reads and sets it.
type groupDisappearing struct {
	// Mode is "off" or "send".
	Mode    string `json:"mode"`
	Seconds int64  `json:"seconds"`
}

// getGroupDisappearing is GET /api/groups/{gid}/disappearing.
func (s *Server) getGroupDisappearing(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	if _, err := joinedGroup(r.Context(), c, gid); err != nil {
		groupError(w, err)
		return
	}
	d, err := c.Disappearing(r.Context(), gid)
	if err != nil {
		groupError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, groupDisappearing{Mode: d.Mode, Seconds: int64(d.Timer / time.Second)})
}

// setGroupDisappearing is POST /api/groups/{gid}/disappearing {"mode",
// "seconds"} (admins only: 403 for a member).
func (s *Server) setGroupDisappearing(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	var req groupDisappearing
	if !readJSON(w, r, &req) {
		return
	}
	if req.Mode != client.DisappearOff && req.Mode != client.DisappearAfterSend {
		writeError(w, http.StatusBadRequest, "mode: off or send (a group's messages disappear after send only)")
		return
	}
	if req.Seconds < 0 || req.Seconds > int64(client.MaxDisappearingTimer/time.Second) {
		writeError(w, http.StatusBadRequest, "seconds: out of range")
		return
	}
	if _, err := joinedGroup(r.Context(), c, gid); err != nil {
		groupError(w, err)
		return
	}
	err := c.Disappear(r.Context(), gid, req.Mode, time.Duration(req.Seconds)*time.Second)
	if errors.Is(err, client.ErrInvalidDuration) || errors.Is(err, client.ErrNotSupported) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		groupError(w, err)
		return
	}
	s.changed()
	writeJSON(w, http.StatusOK, req)
}
