package webapp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/groups"
)

// The groups' API (issue 13): Session's groups (03… IDs) created, read,
// written and administered from the page. Every call goes through the same
// checks as the rest of the API (the handler in server.go: Host, cookie,
// same-origin JSON, body cap); here each input is checked again: IDs by
// shape, names by Session's limits, member lists by Session's group size.
func (s *Server) groupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/groups", s.withAccount(s.getGroups))
	mux.HandleFunc("POST /api/groups", s.withAccount(s.createGroup))
	mux.HandleFunc("GET /api/groups/{gid}", s.withAccount(s.getGroup))
	mux.HandleFunc("GET /api/groups/{gid}/messages", s.withAccount(s.getGroupMessages))
	mux.HandleFunc("POST /api/groups/{gid}/messages", s.withAccount(s.sendGroup))
	mux.HandleFunc("POST /api/groups/{gid}/members", s.withAccount(s.addGroupMembers))
	mux.HandleFunc("POST /api/groups/{gid}/members/{sid}/{action}", s.withAccount(s.groupMemberAction))
	mux.HandleFunc("POST /api/groups/{gid}/{action}", s.withAccount(s.groupAction))
	s.groupConvoRoutes(mux) // api_groupconvo.go
}

// maxGroupMembers is Session's group size, the creator included.
const maxGroupMembers = groups.MaxMembers

// maxGroupName is Session's limit on a group name, in bytes.
const maxGroupName = config.MaxGroupNameLength

// validGroupID reports whether s is a group ID: 03 and 64 hex digits.
func validGroupID(s string) bool {
	if len(s) != 66 || !strings.HasPrefix(s, "03") {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// pathGroup reads the {gid} path value, a group ID.
func pathGroup(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := strings.ToLower(r.PathValue("gid"))
	if !validGroupID(id) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a group ID (03 followed by 64 hex characters)", truncate(id, 80)))
		return "", false
	}
	return id, true
}

// checkGroupName trims a group name and checks Session's limits.
func checkGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errors.New("Please enter a group name")
	case !utf8.ValidString(name):
		return "", errors.New("The group name is not valid text")
	case len(name) > maxGroupName:
		return "", fmt.Errorf("Please enter a shorter group name (at most %d bytes; this one has %d)", maxGroupName, len(name))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", errors.New("The group name cannot contain control characters")
	}
	return name, nil
}

// checkMembers checks a list of members to invite: Session IDs only (the
// page picks them from the contacts), none twice, none the account itself,
// at most room of them.
func checkMembers(ids []string, me string, room int) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		if !validID(id) {
			return nil, fmt.Errorf("%q is not a Session ID (05 followed by 64 hex characters)", truncate(id, 80))
		}
		if id == me || slices.Contains(out, id) {
			continue
		}
		out = append(out, id)
	}
	switch {
	case len(out) == 0:
		return nil, errors.New("Please pick at least one member")
	case len(out) > room:
		return nil, fmt.Errorf("A group has at most %d members, you included: pick at most %d", maxGroupMembers, room)
	}
	return out, nil
}

// groupError maps a group call's error to a status.
func groupError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, client.ErrUnknownGroup):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, client.ErrNotGroupAdmin):
		writeError(w, http.StatusForbidden, err.Error())
	case errors.Is(err, client.ErrNotQuotable):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, client.ErrSendFailed):
		writeError(w, http.StatusBadGateway, err.Error())
	default:
		clientError(w, err)
	}
}

// findGroup returns the account's group gid.
func findGroup(ctx context.Context, c *client.Client, gid string) (client.Group, error) {
	gs, err := c.Groups(ctx)
	if err != nil {
		return client.Group{}, err
	}
	for _, g := range gs {
		if g.ID == gid {
			return g, nil
		}
	}
	return client.Group{}, fmt.Errorf("%w: %s", client.ErrUnknownGroup, client.ShortID(gid))
}

// getGroups is GET /api/groups: the groups joined and the invitations.
func (s *Server) getGroups(w http.ResponseWriter, r *http.Request, c *client.Client) {
	// Read afresh, not from the lists in memory: an invitation processed
	// by the poll comes without an event.
	gs, err := c.Groups(r.Context())
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, nonNil(gs))
}

// createGroup is POST /api/groups {"name", "members": [Session ID…]}. The
// group exists once this answers; an invitation that could not be sent is
// a warning, not a failure (the admin can add that member again).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		Name    string   `json:"name"`
		Members []string `json:"members"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	name, err := checkGroupName(req.Name)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(req.Members) > 4*maxGroupMembers { // before looking at each one
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A group has at most %d members", maxGroupMembers))
		return
	}
	members, err := checkMembers(req.Members, c.SessionID(), maxGroupMembers-1)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	gid, err := c.CreateGroup(r.Context(), name, members...)
	if gid == "" {
		groupError(w, err)
		return
	}
	s.changed()
	resp := map[string]string{"group_id": gid}
	if err != nil {
		s.log.Warn("group created, an invitation failed", "err", err)
		resp["warning"] = "The group was created, but some invitations could not be sent. Add those members again later."
	}
	writeJSON(w, http.StatusOK, resp)
}

// groupView is GET /api/groups/{gid}: the group and its members.
type groupView struct {
	client.Group
	Members []client.GroupMember `json:"members"`
	// Disappearing is the group's timer (its admins set it).
	Disappearing disappearingView `json:"disappearing"`
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	g, err := findGroup(r.Context(), c, gid)
	if err != nil {
		groupError(w, err)
		return
	}
	v := groupView{Group: g, Members: []client.GroupMember{}}
	if !g.Invited && !g.Removed { // the swarm would refuse a removed member
		ms, err := c.GroupMembers(r.Context(), gid)
		if err != nil {
			groupError(w, err)
			return
		}
		v.Members = nonNil(ms)
		if g2, err := findGroup(r.Context(), c, gid); err == nil {
			v.Group = g2 // the name as just read from the group's swarm
		}
		v.Disappearing = s.disappearingOf(r.Context(), c, gid)
	} else {
		v.Disappearing = disappearingView{Mode: client.DisappearOff}
	}
	writeJSON(w, http.StatusOK, v)
}

// maxGroupPage caps the messages one answer carries (the newest).
const maxGroupPage = 1000

// joinedGroup returns the account's group gid, refusing an invitation not
// yet accepted: its messages are not read until then.
func joinedGroup(ctx context.Context, c *client.Client, gid string) (client.Group, error) {
	g, err := findGroup(ctx, c, gid)
	if err == nil && g.Invited {
		err = fmt.Errorf("%w: %s is an invitation (accept it first)", client.ErrUnknownGroup, client.ShortID(gid))
	}
	return g, err
}

// getGroupMessages is GET /api/groups/{gid}/messages[?limit=N]: the
// group's latest messages as this device saved them (the client polls the
// group's swarm in the background), oldest first, each with its sender,
// and the members' names as this device knows them.
func (s *Server) getGroupMessages(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	limit := 200
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit %q is not a positive number", truncate(v, 20)))
			return
		}
		limit = min(n, maxGroupPage)
	}
	if _, err := joinedGroup(r.Context(), c, gid); err != nil {
		groupError(w, err)
		return
	}
	ms, err := c.Messages(r.Context(), gid, limit+1)
	if err != nil && !errors.Is(err, client.ErrNotFound) {
		groupError(w, err)
		return
	}
	more := len(ms) > limit
	if more {
		ms = ms[1:]
	}
	// The names members gave with their messages, for those who are not
	// contacts (shown as text, like every name).
	names, err := c.GroupNames(r.Context(), gid)
	if err != nil || names == nil {
		names = map[string]string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": nonNil(ms), "more": more, "names": names})
}

// sendGroup is POST /api/groups/{gid}/messages {"body", "reply_to"}. The message is
// saved before it is sent: one the group's swarm did not take is answered
// as failed (the page offers Retry, the client retries too), not as an
// error.
func (s *Server) sendGroup(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	var req struct {
		Body string `json:"body"`
		// ReplyTo quotes a message of this group (groupconvo.js).
		ReplyTo int64 `json:"reply_to"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	switch {
	case strings.TrimSpace(req.Body) == "":
		writeError(w, http.StatusBadRequest, client.ErrEmptyMessage.Error())
		return
	case len(req.Body) > client.MaxMessageBytes:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%v: %d bytes, at most %d", client.ErrMessageTooLong, len(req.Body), client.MaxMessageBytes))
		return
	case !utf8.ValidString(req.Body):
		writeError(w, http.StatusBadRequest, "the message is not valid text")
		return
	}
	if _, err := joinedGroup(r.Context(), c, gid); err != nil {
		groupError(w, err)
		return
	}
	var m client.Message
	var err error
	if req.ReplyTo != 0 {
		// Only a message of this group: a reply goes where the user writes.
		if orig, oerr := c.Message(r.Context(), req.ReplyTo); oerr != nil || orig.Conversation != gid {
			writeError(w, http.StatusBadRequest, "reply_to: no such message in this group")
			return
		}
		m, err = c.Reply(r.Context(), req.ReplyTo, req.Body)
	} else {
		m, err = c.Send(r.Context(), gid, req.Body)
	}
	if err != nil && (m.ID == 0 || !errors.Is(err, client.ErrSendFailed)) {
		groupError(w, err)
		return
	}
	s.changed()
	writeJSON(w, http.StatusOK, m)
}

// addGroupMembers is POST /api/groups/{gid}/members {"members": [Session ID…]}
// (admins only).
func (s *Server) addGroupMembers(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	var req struct {
		Members []string `json:"members"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if len(req.Members) > 4*maxGroupMembers {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A group has at most %d members", maxGroupMembers))
		return
	}
	members, err := checkMembers(req.Members, c.SessionID(), maxGroupMembers-1)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	current, err := c.GroupMembers(r.Context(), gid)
	if err != nil {
		groupError(w, err)
		return
	}
	members = slices.DeleteFunc(members, func(id string) bool {
		return slices.ContainsFunc(current, func(m client.GroupMember) bool { return m.SessionID == id })
	})
	if len(members) == 0 {
		writeError(w, http.StatusBadRequest, "They are all members already")
		return
	}
	if len(current)+len(members) > maxGroupMembers {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("A group has at most %d members: there is room for %d more", maxGroupMembers, max(0, maxGroupMembers-len(current))))
		return
	}
	s.answerGroupChange(w, c.AddGroupMembers(r.Context(), gid, members...))
}

// groupMemberAction is POST /api/groups/{gid}/members/{sid}/remove and
// /promote (admins only).
func (s *Server) groupMemberAction(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	sid := strings.ToLower(r.PathValue("sid"))
	if !validID(sid) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a Session ID (05 followed by 64 hex characters)", truncate(sid, 80)))
		return
	}
	var f func(context.Context, string, string) error
	switch r.PathValue("action") {
	case "remove":
		if sid == c.SessionID() {
			writeError(w, http.StatusBadRequest, "To leave the group, use Leave group")
			return
		}
		f = c.RemoveGroupMember
	case "promote":
		f = c.PromoteGroupMember
	default:
		writeError(w, http.StatusNotFound, "no such action")
		return
	}
	s.answerGroupChange(w, f(r.Context(), gid, sid))
}

// groupAction is POST /api/groups/{gid}/rename {"name"} (admins only),
// /leave, /read, /accept and /decline (an invitation).
func (s *Server) groupAction(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	action := r.PathValue("action")
	switch action {
	case "rename":
		var req struct {
			Name string `json:"name"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		name, err := checkGroupName(req.Name)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.answerGroupChange(w, c.RenameGroup(r.Context(), gid, name))
	case "leave":
		s.answerGroupChange(w, c.LeaveGroup(r.Context(), gid))
	case "read":
		if _, err := joinedGroup(r.Context(), c, gid); err != nil {
			groupError(w, err)
			return
		}
		err := c.MarkRead(r.Context(), gid)
		if errors.Is(err, client.ErrNotFound) {
			err = nil // no message yet
		}
		s.answerGroupChange(w, err)
	case "accept", "decline":
		g, err := findGroup(r.Context(), c, gid)
		if err != nil {
			groupError(w, err)
			return
		}
		if !g.Invited {
			writeError(w, http.StatusConflict, "This group is not an invitation")
			return
		}
		if action == "accept" {
			err = c.AcceptGroup(r.Context(), gid)
		} else {
			err = c.LeaveGroup(r.Context(), gid) // an invitation: forgotten, nobody told
		}
		s.answerGroupChange(w, err)
	default:
		writeError(w, http.StatusNotFound, "no such action")
	}
}

// declineGroupInvitations forgets every pending group invitation, for the
// bulk actions on the requests (Session's "Clear All" declines group
// invitations too; none of them blocks an inviter). The client's bulk
// calls drop the invitations' conversations but not the invitations, which
// would then come back as rows. It returns how many it declined.
func declineGroupInvitations(ctx context.Context, c *client.Client) (int, error) {
	gs, err := c.Groups(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, g := range gs {
		if !g.Invited {
			continue
		}
		if err := c.Decline(ctx, g.ID); err != nil && !errors.Is(err, client.ErrNotSynced) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// answerGroupChange answers a call that changed a group.
func (s *Server) answerGroupChange(w http.ResponseWriter, err error) {
	if err != nil && !errors.Is(err, client.ErrNotSynced) {
		groupError(w, err)
		return
	}
	s.answerChange(w, err)
}
