package groups

import (
	"crypto/ed25519"
	"strconv"
	"strings"

	"github.com/session-go/session-go/internal/keys"
)

// Control-message change types (SessionProtos GroupUpdateInfoChangeMessage
// and GroupUpdateMemberChangeMessage).
const (
	// InfoChangeName marks a rename.
	InfoChangeName = 1
	// InfoChangeAvatar marks a new group picture.
	InfoChangeAvatar = 2
	// InfoChangeDisappearing marks a new disappearing-messages timer.
	InfoChangeDisappearing = 3
	// MemberChangeAdded marks added members.
	MemberChangeAdded = 1
	// MemberChangeRemoved marks removed members.
	MemberChangeRemoved = 2
	// MemberChangePromoted marks members made admins.
	MemberChangePromoted = 3
)

// The signed texts of group control messages (client-protocol.md §7.6, as
// Session desktop builds them): UTF-8 strings signed with the group key.
// Receivers drop a control message whose signature does not verify.

// InviteSigned is "INVITE" ‖ invitee session ID (hex) ‖ timestamp ms.
func InviteSigned(invitee keys.ID, timestampMs int64) []byte {
	return []byte("INVITE" + invitee.String() + strconv.FormatInt(timestampMs, 10))
}

// InfoChangeSigned is "INFO_CHANGE" ‖ type ‖ timestamp ms.
func InfoChangeSigned(changeType int, timestampMs int64) []byte {
	return []byte("INFO_CHANGE" + strconv.Itoa(changeType) + strconv.FormatInt(timestampMs, 10))
}

// MemberChangeSigned is "MEMBER_CHANGE" ‖ type ‖ timestamp ms.
func MemberChangeSigned(changeType int, timestampMs int64) []byte {
	return []byte("MEMBER_CHANGE" + strconv.Itoa(changeType) + strconv.FormatInt(timestampMs, 10))
}

// DeleteContentSigned is "DELETE_CONTENT" ‖ timestamp ms ‖ every session ID
// ‖ every message hash, concatenated without separators.
func DeleteContentSigned(timestampMs int64, members []keys.ID, hashes []string) []byte {
	var b strings.Builder
	b.WriteString("DELETE_CONTENT")
	b.WriteString(strconv.FormatInt(timestampMs, 10))
	for _, m := range members {
		b.WriteString(m.String())
	}
	for _, h := range hashes {
		b.WriteString(h)
	}
	return []byte(b.String())
}

// VerifyAdmin reports whether sig is the group's signature of signed.
func VerifyAdmin(group keys.ID, signed, sig []byte) bool {
	return group.Prefix == keys.PrefixGroup && len(sig) == ed25519.SignatureSize &&
		ed25519.Verify(group.Key[:], signed, sig)
}
