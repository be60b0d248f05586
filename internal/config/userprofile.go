package config

import (
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
)

// MaxNameLength is the longest display name or nickname, in bytes.
const MaxNameLength = 100

// ProfilePicKeySize is the size of a profile picture's encryption key.
const ProfilePicKeySize = 32

// ProfilePic is where a profile picture is and the key it is encrypted with.
type ProfilePic struct {
	// URL is the file server URL of the encrypted picture; empty when there
	// is no picture.
	URL string
	// Key is the 32-byte key the picture is encrypted with.
	Key []byte
}

// IsSet reports whether the picture has both a URL and a key of the right
// size; a half-set picture cannot be displayed.
func (p ProfilePic) IsSet() bool { return p.URL != "" && len(p.Key) == ProfilePicKeySize }

// UserProfile is the account's own profile (namespace 2): display name,
// profile picture, Note-to-Self settings and whether community message
// requests are accepted.
type UserProfile struct {
	Config
}

// NewUserProfile returns the user profile config of account id, loaded from
// dump (from [Config.Dump]) or empty when dump is nil.
func NewUserProfile(id *keys.Identity, dump []byte) (*UserProfile, error) {
	c, err := newConfig(NamespaceUserProfile, id, dump)
	if err != nil {
		return nil, err
	}
	return &UserProfile{*c}, nil
}

// Data keys of the user profile.
const (
	profileName      = "n"
	profilePicURL    = "p"
	profilePicKey    = "q"
	profileNTSPrio   = "+"
	profileNTSExpiry = "e"
	profileBlindedMR = "M"
	profileUpdated   = "t"
)

// ProfileUpdated returns when the display name or picture last changed
// (libsession's profile_updated, whole seconds), or the zero time when it
// was never recorded. Session's clients apply a profile from a message or
// a config only when it is newer than the one they hold.
func (u *UserProfile) ProfileUpdated() time.Time {
	if t, _ := u.getInt(profileUpdated); t > 0 {
		return time.Unix(t, 0)
	}
	return time.Time{}
}

// SetProfileUpdated records when the profile changed, in whole seconds.
func (u *UserProfile) SetProfileUpdated(t time.Time) {
	u.setPositiveInt(t.Unix(), profileUpdated)
}

// Name returns the display name, or "" when none is set.
func (u *UserProfile) Name() string {
	s, _ := u.getString(profileName)
	return s
}

// SetName sets the display name; "" removes it. Names over
// [MaxNameLength] bytes are refused.
func (u *UserProfile) SetName(name string) error {
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: name is %d bytes, the limit is %d", ErrInvalidArgument, len(name), MaxNameLength)
	}
	u.setNonemptyString(name, profileName)
	return nil
}

// ProfilePic returns the profile picture. The key is returned only when it
// has the right size.
func (u *UserProfile) ProfilePic() ProfilePic {
	var p ProfilePic
	p.URL, _ = u.getString(profilePicURL)
	if k, _ := u.getString(profilePicKey); len(k) == ProfilePicKeySize {
		p.Key = []byte(k)
	}
	return p
}

// SetProfilePic sets the profile picture. A picture without a URL or
// without a 32-byte key removes it.
func (u *UserProfile) SetProfilePic(p ProfilePic) {
	u.setPair(p.IsSet(), []string{profilePicURL}, p.URL, []string{profilePicKey}, string(p.Key))
}

// NoteToSelfPriority returns the Note-to-Self conversation's priority: 0
// normal, above 0 pinned (higher first), -1 hidden.
func (u *UserProfile) NoteToSelfPriority() int64 {
	p, _ := u.getInt(profileNTSPrio)
	return p
}

// SetNoteToSelfPriority sets the Note-to-Self priority.
func (u *UserProfile) SetNoteToSelfPriority(p int64) {
	u.setNonzeroInt(p, profileNTSPrio)
}

// NoteToSelfExpiry returns the disappearing-messages timer of Note to Self,
// or 0 when messages do not disappear.
func (u *UserProfile) NoteToSelfExpiry() time.Duration {
	if e, _ := u.getInt(profileNTSExpiry); e > 0 {
		return time.Duration(e) * time.Second
	}
	return 0
}

// SetNoteToSelfExpiry sets the Note-to-Self disappearing-messages timer,
// stored in whole seconds; 0 (or less) turns it off.
func (u *UserProfile) SetNoteToSelfExpiry(d time.Duration) {
	u.setPositiveInt(int64(d/time.Second), profileNTSExpiry)
}

// BlindedMsgRequests reports whether message requests from community
// (blinded) senders are accepted; set is false when the user never chose,
// in which case clients apply their default.
func (u *UserProfile) BlindedMsgRequests() (enabled, set bool) {
	m, ok := u.getInt(profileBlindedMR)
	return m != 0, ok
}

// SetBlindedMsgRequests records the user's choice about community message
// requests.
func (u *UserProfile) SetBlindedMsgRequests(enabled bool) {
	var v int64
	if enabled {
		v = 1
	}
	u.setScalar(v, profileBlindedMR)
}

// ClearBlindedMsgRequests forgets the choice, so the client default applies.
func (u *UserProfile) ClearBlindedMsgRequests() {
	u.erase(profileBlindedMR)
}
