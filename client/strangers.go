package client

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/termtext"
)

// Anyone who knows a Session ID can write to it. What a stranger sends is
// bounded here: names and bodies are repaired rather than refused, times are
// checked against the network's, requests take only the room left in the
// synced contact list, and none of it can fail a poll.

// MaxClockSkew is how far a message's own timestamp may be from the time
// the network stored it. Outside that window the message keeps the storage
// time and is marked (Message.TimeUnverified).
const MaxClockSkew = 10 * time.Minute

// ErrContactsFull means the contact list does not fit one config message
// even without message requests, so it cannot reach the account's other
// devices: the change is saved on this device only.
var ErrContactsFull = errors.New("the contact list is too large to sync to your other devices")

// truncatedMark ends a body cut to fit the database.
const truncatedMark = "\n(truncated)"

// cleanName repairs a display name from the network: invalid UTF-8 becomes
// U+FFFD and a name over the limit is cut on a character boundary. It
// reports whether anything was changed.
func cleanName(s string) (string, bool) {
	out := strings.ToValidUTF8(s, "\uFFFD")
	out = cutUTF8(out, MaxDisplayNameBytes)
	return out, out != s
}

// cleanBody repairs a message body: invalid UTF-8 becomes U+FFFD, and a
// body over clientdb.MaxBodyBytes is cut on a character boundary and ends
// with a visible "(truncated)". It reports what it did, for a warning.
func cleanBody(s string) (string, string) {
	note := ""
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		note = "invalid UTF-8 repaired"
	}
	if len(s) > clientdb.MaxBodyBytes {
		s = cutUTF8(s, clientdb.MaxBodyBytes-len(truncatedMark)) + truncatedMark
		note = "truncated"
	}
	return s, note
}

// cutUTF8 cuts s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// poison reports whether err is the database refusing what it was given
// (not a failure to save): such an entry is skipped with a warning, never
// retried, or it would fail every poll.
func poison(err error) bool {
	return errors.Is(err, clientdb.ErrInvalidArgument) || errors.Is(err, clientdb.ErrBodyTooLong) ||
		errors.Is(err, clientdb.ErrNameTooLong)
}

// messageTime returns the time to keep for a message: its own (signed)
// timestamp when that is within MaxClockSkew of the time the network
// stored it, else the storage time, marked as unverified. The storage time
// is in turn bounded by this client's network time, so that no node can
// date a message in the future either.
func (c *Client) messageTime(sent time.Time, storedMS int64) (time.Time, bool) {
	now := c.now()
	stored := time.UnixMilli(storedMS)
	if storedMS <= 0 || stored.After(now.Add(MaxClockSkew)) {
		stored = now
	}
	if sent.Before(stored.Add(-MaxClockSkew)) || sent.After(stored.Add(MaxClockSkew)) {
		return stored.Truncate(time.Millisecond), true
	}
	return sent, false
}

// signedTimeMatches applies Session's rule for one-to-one messages: when
// the content carries the sender's signed timestamp, the envelope's
// (unsigned) timestamp must equal it. A message re-wrapped under another
// envelope time, a replay, fails.
func signedTimeMatches(content *signalpb.Content, envelopeMS int64) bool {
	sig := content.GetSigTimestamp()
	return sig == 0 || envelopeMS >= 0 && sig == uint64(envelopeMS)
}

// contentKey names a signed message (sender and content, which carries the
// signed time) in the seen set, so that the same message retrieved under
// another hash (a replay in another outer wrapping, stored later) is shown
// once. A legacy message without a signed time has no key: two of its kind
// with the same text are indistinguishable from a replay, and Session shows
// both.
func contentKey(sender keys.ID, content *signalpb.Content) string {
	if content.GetSigTimestamp() == 0 {
		return ""
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(content)
	if err != nil {
		return ""
	}
	h := sha256.New()
	h.Write(sender.Bytes())
	h.Write(b)
	return "content:" + hex.EncodeToString(h.Sum(nil))
}

// Warning reports something received that was repaired, left out or could
// not be synced: a name or body that was not valid UTF-8, a message cut to
// size, message requests kept off the synced contact list. Nothing is lost
// without one.
type Warning struct{ Text string }

func (Warning) isEvent() {}

// warn logs a warning and publishes it as an event.
func (c *Client) warn(text string) {
	c.log.Warn(text)
	c.events.publish(Warning{Text: text})
}

// kvRefuseRequests holds the setting that refuses message requests.
const kvRefuseRequests = "refuse_requests"

// RefuseRequests reports whether messages from strangers are refused.
func (c *Client) RefuseRequests(ctx context.Context) (bool, error) {
	b, err := c.db.Get(ctx, kvRefuseRequests)
	if errors.Is(err, clientdb.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return string(b) == "1", nil
}

// SetRefuseRequests turns refusing message requests on or off. While it is
// on, messages from anyone who is not an approved contact are dropped
// unread and leave no trace: no request, no contact entry. It is a setting
// of this device.
func (c *Client) SetRefuseRequests(ctx context.Context, refuse bool) error {
	v := "0"
	if refuse {
		v = "1"
	}
	if err := c.db.Put(ctx, kvRefuseRequests, []byte(v)); err != nil {
		return err
	}
	c.refuse.Store(refuse)
	return nil
}

// DeclineAllRequests declines every pending message request at once and
// returns how many. It is one database transaction and one config push,
// however many requests there are.
func (c *Client) DeclineAllRequests(ctx context.Context) (int, error) {
	ids, err := c.db.DeclineAllRequests(ctx)
	if err != nil {
		return 0, err
	}
	return len(ids), c.editConfig(ctx, func(cs *configs) error {
		for _, id := range ids {
			if ct, ok := cs.contacts.Get(id); ok && !ct.Approved && !ct.Blocked {
				cs.contacts.Erase(id)
			}
		}
		return nil
	})
}

// BlockAllRequests blocks the sender of every pending message request,
// deletes the requests and returns how many. Blocks are synced, so they
// take room in the contact list; when it is full, ErrContactsFull says so
// (the blocks hold on this device).
func (c *Client) BlockAllRequests(ctx context.Context) (int, error) {
	ids, err := c.db.BlockAllRequests(ctx)
	if err != nil {
		return 0, err
	}
	return len(ids), c.editConfig(ctx, func(cs *configs) error {
		for _, id := range ids {
			if id == c.id.SessionID() {
				continue
			}
			ct := cs.contacts.GetOrConstruct(id)
			ct.Blocked = true
			if ct.Created == 0 {
				ct.Created = time.Now().Unix()
			}
			if err := cs.contacts.Set(ct); err != nil {
				return err
			}
		}
		return nil
	})
}

// contactsBudget is the size the contacts config is brought under when
// message requests must be left out, below config.MaxMessageSize so that
// the next few requests do not need another trim at once.
const contactsBudget = config.MaxMessageSize * 9 / 10

// nearlyFull is the size above which the contacts config may have left
// requests out: a request missing from it then does not mean that another
// device declined it.
const nearlyFull = config.MaxMessageSize * 7 / 10

// keepsRoom reports whether an entry must stay in the synced contact list:
// approved contacts, blocks, nicknames, pinned or hidden conversations.
// Everything else is an unapproved requester, which takes what room is left.
func keepsRoom(ct config.Contact) bool {
	return ct.Approved || ct.Blocked || ct.Nickname != "" || ct.Priority != 0
}

// fitContacts makes the contacts config fit one config message. When it
// would not, unapproved requesters are left out of it, oldest first, and
// stay on this device only. It returns those it left out, and
// ErrContactsFull when even the entries that must stay do not fit. Call
// with c.cfg.mu held.
func (c *Client) fitContacts() ([]keys.ID, error) {
	cts := c.cfg.contacts
	size, err := cts.PushSize()
	if err != nil || size <= config.MaxMessageSize {
		return nil, err
	}
	all := cts.All()
	var cands []config.Contact
	for _, ct := range all {
		if !keepsRoom(ct) {
			cands = append(cands, ct)
		}
	}
	// Oldest first: by creation (whole seconds in the config), then in
	// the order this process added them (those of one poll share a
	// second), then by ID.
	order := c.cfg.added
	slices.SortFunc(cands, func(a, b config.Contact) int {
		return cmp.Or(cmp.Compare(a.Created, b.Created), cmp.Compare(order[a.SessionID], order[b.SessionID]),
			strings.Compare(a.SessionID.String(), b.SessionID.String()))
	})
	var dropped []keys.ID
	left := len(all)
	// Each round erases about as many entries as the excess holds at the
	// average entry size, so a list of any length fits in a few rounds
	// (each costs one encoding), not one round per entry.
	for size > contactsBudget && len(cands) > 0 {
		per := max(1, size/max(1, left))
		n := min(len(cands), (size-contactsBudget)/per+1)
		for _, ct := range cands[:n] {
			cts.Erase(ct.SessionID)
			dropped = append(dropped, ct.SessionID)
		}
		cands, left = cands[n:], left-n
		if size, err = cts.PushSize(); err != nil {
			return dropped, err
		}
	}
	if size > config.MaxMessageSize {
		return dropped, fmt.Errorf("%w (%d bytes without message requests, the limit is %d)", ErrContactsFull, size, config.MaxMessageSize)
	}
	return dropped, nil
}

// ShortID shortens a Session ID for display to its first and last 8 hex
// characters (05ab12cd…9f8e7d6c): enough to tell IDs apart at a glance,
// where a short prefix alone can be matched by a made-up ID.
func ShortID(id string) string {
	if len(id) <= 20 {
		return id
	}
	return id[:8] + "…" + id[len(id)-8:]
}

// homoglyphs maps Cyrillic and Greek letters that look like Latin ones to
// those, for comparing names as a reader sees them.
var homoglyphs = strings.NewReplacer(
	"а", "a", "в", "b", "е", "e", "к", "k", "м", "m", "н", "h", "о", "o", "р", "p", "с", "c", "т", "t",
	"у", "y", "х", "x", "і", "i", "ј", "j", "ѕ", "s", "ԁ", "d", "ԛ", "q", "ԝ", "w", "ӏ", "l", "һ", "h",
	"α", "a", "β", "b", "ε", "e", "ι", "i", "κ", "k", "ν", "v", "ο", "o", "ρ", "p", "τ", "t", "υ", "u", "χ", "x",
	"0", "o", "1", "l", "|", "l",
)

// skeleton is name as it looks: lower case, homoglyphs folded to Latin,
// hidden characters and spaces removed.
func skeleton(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.ToValidUTF8(name, "")) {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return homoglyphs.Replace(b.String())
}

// looksLikeID reports whether a display name could be taken for a Session
// ID, whole or shortened (05ab…cd12).
func looksLikeID(name string) bool {
	n := 0
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= '0' && r <= '9' || r >= 'a' && r <= 'f':
			n++
		case r == '…' || r == '.' || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r):
		default:
			return false
		}
	}
	return n >= 8
}

// mixesScripts reports whether name mixes Latin letters with Cyrillic or
// Greek ones, the usual way to make one name look like another.
func mixesScripts(name string) bool {
	var latin, other bool
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Latin, r):
			latin = true
		case unicode.Is(unicode.Cyrillic, r) || unicode.Is(unicode.Greek, r):
			other = true
		}
	}
	return latin && other
}

// Name notes: why a display name should not be trusted at a glance.
const (
	NoteLooksLikeID    = "looks like a Session ID"
	NoteHiddenChars    = "has hidden characters"
	NoteMixedScripts   = "mixes alphabets"
	NoteSameAsAnother  = "same name as another contact"
	noteNoneIsNickname = ""
)

// namer decides the notes of display names against the account's contacts.
type namer struct {
	shown map[string][]keys.ID // skeleton of each contact's shown name → contacts
	nick  map[keys.ID]string   // nicknames
}

func (c *Client) namer(ctx context.Context) namer {
	nm := namer{shown: map[string][]keys.ID{}, nick: map[keys.ID]string{}}
	cts, err := c.db.Contacts(ctx, clientdb.AllContacts)
	if err != nil {
		return nm
	}
	for _, ct := range cts {
		if ct.Nickname != "" {
			nm.nick[ct.ID] = ct.Nickname
		}
		name := ct.Nickname
		if name == "" && ct.Approved {
			name = ct.Name
		}
		if sk := skeleton(name); sk != "" {
			nm.shown[sk] = append(nm.shown[sk], ct.ID)
		}
	}
	return nm
}

// note returns why id's display name should not be trusted, or "". A
// nickname is the user's own and needs none.
func (nm namer) note(id keys.ID, name, nickname string) string {
	switch {
	case nickname != "" || name == "":
		return noteNoneIsNickname
	case looksLikeID(name):
		return NoteLooksLikeID
	case termtext.Invisible(name):
		return NoteHiddenChars
	case slices.ContainsFunc(nm.shown[skeleton(name)], func(o keys.ID) bool { return o != id }):
		return NoteSameAsAnother
	case mixesScripts(name):
		return NoteMixedScripts
	}
	return ""
}
