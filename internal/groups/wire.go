package groups

import (
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
)

// Group messages (client-protocol.md §7.4): the sender puts its Content,
// unpadded, in an Envelope{type CLOSED_GROUP_MESSAGE, source = the group
// ID, timestamp}, and encrypts the whole Envelope with the group key as
// libsession's encrypt_message does (zstd when smaller, 256-byte padding,
// the sender's signature inside). Session desktop does the same.

// ErrForged reports a group control message whose admin signature does not
// verify: the receiver ignores it.
var ErrForged = errors.New("groups: control message not signed by the group")

// GroupMessage is a decrypted group message.
type GroupMessage struct {
	// Sender is the author's Session ID, from the signature inside the
	// encryption (not from anything the author could simply claim).
	Sender keys.ID
	// Group is the group the Envelope names.
	Group keys.ID
	// SentAt is the Envelope timestamp.
	SentAt time.Time
	// Content is the message.
	Content *signalpb.Content
}

// EncodeGroupMessage encrypts content for group with the group's current
// key, as sender.
func EncodeGroupMessage(random io.Reader, key [32]byte, sender *keys.Identity, group keys.ID, content *signalpb.Content, sentAt time.Time) ([]byte, error) {
	if content == nil {
		return nil, fmt.Errorf("%w: nil", ErrInvalidArgument)
	}
	if group.Prefix != keys.PrefixGroup {
		return nil, fmt.Errorf("%w: %s is not a group ID", ErrInvalidArgument, group)
	}
	ms := sentAt.UnixMilli()
	if ms < 0 {
		return nil, fmt.Errorf("%w: %s is before 1970", ErrInvalidArgument, sentAt.UTC().Format(time.RFC3339))
	}
	body, err := proto.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	env, err := proto.Marshal(&signalpb.Envelope{
		Type:      signalpb.Envelope_CLOSED_GROUP_MESSAGE.Enum(),
		Source:    proto.String(group.String()),
		Timestamp: proto.Uint64(uint64(ms)),
		Content:   body,
	})
	if err != nil {
		return nil, fmt.Errorf("protocol: encoding Envelope: %w", err)
	}
	out, err := EncryptMessage(random, key, sender.Ed25519PrivateKey(), env, true, 256)
	if err != nil {
		return nil, err
	}
	if len(out) > config.MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(out), config.MaxMessageSize)
	}
	return out, nil
}

// DecodeGroupMessage decrypts a message of group's namespace 11 with the
// keys held (newest first) and parses it. The Envelope must be a
// CLOSED_GROUP_MESSAGE for this group.
func DecodeGroupMessage(keyList [][32]byte, group keys.ID, data []byte) (*GroupMessage, error) {
	if len(data) > config.MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), config.MaxMessageSize)
	}
	sender, plain, err := DecryptMessage(keyList, data)
	if err != nil {
		return nil, err
	}
	env := new(signalpb.Envelope)
	if err := proto.Unmarshal(plain, env); err != nil {
		return nil, fmt.Errorf("%w: not an Envelope (%v)", ErrMalformed, err)
	}
	if env.GetType() != signalpb.Envelope_CLOSED_GROUP_MESSAGE {
		return nil, fmt.Errorf("%w: Envelope type %v in a group", ErrMalformed, env.GetType())
	}
	if src := env.GetSource(); src != "" && src != group.String() {
		return nil, fmt.Errorf("%w: Envelope names group %.70q", ErrMalformed, src)
	}
	content := new(signalpb.Content)
	if err := proto.Unmarshal(env.GetContent(), content); err != nil {
		return nil, fmt.Errorf("%w: Content (%v)", ErrMalformed, err)
	}
	return &GroupMessage{Sender: sender, Group: group, SentAt: time.UnixMilli(int64(env.GetTimestamp())), Content: content}, nil
}

// NewGroupInvite returns the invitation an admin sends invitee 1:1: the
// group ID and name, the member's subaccount auth data, and the group's
// signature of "INVITE" ‖ invitee ‖ sentAt (ms), which the sent time of the
// message carrying it must equal.
func NewGroupInvite(admin *Admin, invitee keys.ID, name string, sentAt time.Time) (*signalpb.Content, error) {
	auth, err := admin.MakeSubaccount(invitee, true, false)
	if err != nil {
		return nil, err
	}
	sig := admin.Sign(InviteSigned(invitee, sentAt.UnixMilli()))
	return &signalpb.Content{DataMessage: &signalpb.DataMessage{GroupUpdateMessage: &signalpb.GroupUpdateMessage{
		InviteMessage: &signalpb.GroupUpdateInviteMessage{
			GroupSessionId: proto.String(admin.ID().String()),
			Name:           proto.String(name),
			MemberAuthData: auth,
			AdminSignature: sig,
		}}}}, nil
}

// CheckGroupInvite checks an invitation received by invitee in a message
// sent at sentAtMs: the group's signature, and auth data that the group
// really granted to this account. It returns the group and the auth data.
func CheckGroupInvite(inv *signalpb.GroupUpdateInviteMessage, invitee *keys.Identity, sentAtMs int64) (keys.ID, []byte, error) {
	gid, err := keys.ParseID(inv.GetGroupSessionId())
	if err != nil || gid.Prefix != keys.PrefixGroup {
		return keys.ID{}, nil, fmt.Errorf("%w: invitation names no group ID (%.70q)", ErrMalformed, inv.GetGroupSessionId())
	}
	if !VerifyAdmin(gid, InviteSigned(invitee.SessionID(), sentAtMs), inv.GetAdminSignature()) {
		return keys.ID{}, nil, ErrForged
	}
	auth := inv.GetMemberAuthData()
	if !VerifySubaccountGrant(gid, invitee.Ed25519PrivateKey(), auth, false, false) {
		return keys.ID{}, nil, fmt.Errorf("%w: auth data not granted to this account", ErrForged)
	}
	return gid, auth, nil
}

// CheckGroupUpdate checks the admin signature of a control message received
// in group at sentAtMs: member and info changes always carry one; a delete
// of content without one is a member deleting its own messages (the
// receiver must then check that they are the sender's). Invitations and
// promotions travel 1:1 and are checked elsewhere; the other kinds carry no
// signature.
func CheckGroupUpdate(group keys.ID, u *signalpb.GroupUpdateMessage, sentAtMs int64) error {
	switch {
	case u.GetMemberChangeMessage() != nil:
		m := u.GetMemberChangeMessage()
		if !VerifyAdmin(group, MemberChangeSigned(int(m.GetType()), sentAtMs), m.GetAdminSignature()) {
			return ErrForged
		}
	case u.GetInfoChangeMessage() != nil:
		m := u.GetInfoChangeMessage()
		if !VerifyAdmin(group, InfoChangeSigned(int(m.GetType()), sentAtMs), m.GetAdminSignature()) {
			return ErrForged
		}
	case u.GetDeleteMemberContent() != nil:
		m := u.GetDeleteMemberContent()
		if len(m.GetAdminSignature()) == 0 {
			return nil
		}
		var ids []keys.ID
		for _, s := range m.GetMemberSessionIds() {
			id, err := keys.ParseID(s)
			if err != nil {
				return fmt.Errorf("%w: member ID %.70q", ErrMalformed, s)
			}
			ids = append(ids, id)
		}
		if !VerifyAdmin(group, DeleteContentSigned(sentAtMs, ids, m.GetMessageHashes()), m.GetAdminSignature()) {
			return ErrForged
		}
	}
	return nil
}
