package config

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/protocol"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Namespace is the storage namespace of a config type in the account's own
// swarm.
type Namespace int16

// The user config namespaces.
const (
	NamespaceUserProfile       Namespace = 2
	NamespaceContacts          Namespace = 3
	NamespaceConvoInfoVolatile Namespace = 4
	NamespaceUserGroups        Namespace = 5
	// NamespaceGroupInfo and NamespaceGroupMembers hold a group's Info and
	// Members configs, in the group's own swarm.
	NamespaceGroupInfo    Namespace = 13
	NamespaceGroupMembers Namespace = 14
)

// Domain returns the encryption domain of the namespace's config type, or ""
// for a namespace that holds no user config.
func (n Namespace) Domain() string {
	switch n {
	case NamespaceUserProfile:
		return "UserProfile"
	case NamespaceContacts:
		return "Contacts"
	case NamespaceConvoInfoVolatile:
		return "ConvoInfoVolatile"
	case NamespaceUserGroups:
		return "UserGroups"
	case NamespaceGroupInfo:
		return "groups::Info"
	case NamespaceGroupMembers:
		return "groups::Members"
	}
	return ""
}

// sharedConfigKind is the SharedConfigMessage.Kind of the legacy wrapping:
// USER_PROFILE 1, CONTACTS 2, CONVO_INFO_VOLATILE 3, USER_GROUPS 4.
func (n Namespace) sharedConfigKind() (uint64, bool) {
	switch n {
	case NamespaceUserProfile, NamespaceContacts, NamespaceConvoInfoVolatile, NamespaceUserGroups:
		return uint64(n) - 1, true
	}
	return 0, false
}

// Field numbers of the legacy protobuf wrapping. The current Content schema
// reserves field 11, so it is written and read here by hand.
const (
	contentSharedConfig protowire.Number = 11
	sharedConfigKind    protowire.Number = 1
	sharedConfigSeqno   protowire.Number = 2
	sharedConfigData    protowire.Number = 3
)

// legacyTimestamp is the Envelope timestamp of a wrapped config: old clients
// require one above zero, and a constant keeps pushes deterministic.
const legacyTimestamp = 1

// WrapLegacy wraps an encrypted config push the way libsession did for old
// Session clients: Content{sharedConfigMessage{kind, seqno, data}} plus one
// 0x80 padding byte, encrypted to the account itself with the deterministic
// 1:1 encryption ([protocol.EncryptForRecipientDeterministic]), in an
// Envelope{SESSION_MESSAGE, timestamp 1} inside a WebSocketMessage request.
// The layers add nothing to secrecy (data is already encrypted); they exist
// because old clients only parse this form.
func WrapLegacy(id *keys.Identity, ns Namespace, seqno int64, data []byte) ([]byte, error) {
	k, ok := ns.sharedConfigKind()
	if !ok {
		return nil, fmt.Errorf("%w: namespace %d has no legacy config kind", ErrInvalidArgument, ns)
	}
	var inner []byte
	inner = protowire.AppendTag(inner, sharedConfigKind, protowire.VarintType)
	inner = protowire.AppendVarint(inner, k)
	inner = protowire.AppendTag(inner, sharedConfigSeqno, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(seqno))
	inner = protowire.AppendTag(inner, sharedConfigData, protowire.BytesType)
	inner = protowire.AppendBytes(inner, data)
	var content []byte
	content = protowire.AppendTag(content, contentSharedConfig, protowire.BytesType)
	content = protowire.AppendBytes(content, inner)
	// The message is already padded to a multiple of 256; libsession adds
	// only the mandatory 0x80 rather than padding to 160 again.
	content = append(content, 0x80)
	ct, err := protocol.EncryptForRecipientDeterministic(id, id.SessionID(), content)
	if err != nil {
		return nil, err
	}
	out, err := protocol.WrapEnvelope(ct, legacyTimestamp)
	if errors.Is(err, protocol.ErrTooLarge) {
		return nil, fmt.Errorf("%w: %v", ErrTooLarge, err)
	}
	return out, err
}

// UnwrapLegacy undoes [WrapLegacy]: it parses the WebSocketMessage (or bare
// Envelope), decrypts the content as id, requires that id itself sent it,
// strips the 0x80 padding and returns the data of the SharedConfigMessage,
// whose kind must be that of ns. Everything that does not fit fails with
// [ErrLegacyWrap], or [ErrDecrypt] when the content does not decrypt.
func UnwrapLegacy(id *keys.Identity, ns Namespace, wrapped []byte) ([]byte, error) {
	want, ok := ns.sharedConfigKind()
	if !ok {
		return nil, fmt.Errorf("%w: namespace %d has no legacy config kind", ErrInvalidArgument, ns)
	}
	env, err := protocol.UnwrapEnvelope(wrapped)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLegacyWrap, err)
	}
	opened, err := protocol.Decrypt(id, env.GetContent())
	if err != nil {
		return nil, ErrDecrypt
	}
	if !bytes.Equal(opened.SenderEd25519, id.Ed25519PublicKey()) {
		return nil, fmt.Errorf("%w: sent by %s, not by this account", ErrLegacyWrap, opened.Sender)
	}
	content := opened.Plaintext
	if len(content) == 0 {
		return nil, fmt.Errorf("%w: empty content", ErrLegacyWrap)
	}
	// Unlike 1:1 messages, the padding is required here (libsession's rule).
	end := len(content) - 1
	for end >= 0 && content[end] == 0 {
		end--
	}
	if last := content[len(content)-1]; (last != 0 && last != 0x80) || end < 0 || content[end] != 0x80 {
		return nil, fmt.Errorf("%w: bad padding", ErrLegacyWrap)
	}
	content = content[:end]
	var c signalpb.Content
	if err := proto.Unmarshal(content, &c); err != nil {
		return nil, fmt.Errorf("%w: not a Content (%v)", ErrLegacyWrap, err)
	}
	kind, seqnoSet, data, err := sharedConfig(c.ProtoReflect().GetUnknown())
	if err != nil {
		return nil, err
	}
	if !seqnoSet || data == nil || kind == 0 {
		return nil, fmt.Errorf("%w: no complete SharedConfigMessage", ErrLegacyWrap)
	}
	if kind != want {
		return nil, fmt.Errorf("%w: SharedConfigMessage kind %d, want %d", ErrLegacyWrap, kind, want)
	}
	return data, nil
}

// sharedConfig reads Content field 11 from the fields the generated Content
// does not know. A message field that occurs more than once is merged, as
// protobuf parsers do, so later values win.
func sharedConfig(unknown []byte) (kind uint64, seqnoSet bool, data []byte, err error) {
	for len(unknown) > 0 {
		num, typ, n := protowire.ConsumeTag(unknown)
		if n < 0 {
			return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
		}
		unknown = unknown[n:]
		if num != contentSharedConfig || typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, unknown)
			if n < 0 {
				return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
			}
			unknown = unknown[n:]
			continue
		}
		msg, n := protowire.ConsumeBytes(unknown)
		if n < 0 {
			return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
		}
		unknown = unknown[n:]
		for len(msg) > 0 {
			num, typ, n := protowire.ConsumeTag(msg)
			if n < 0 {
				return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
			}
			msg = msg[n:]
			switch {
			case num == sharedConfigKind && typ == protowire.VarintType:
				v, n := protowire.ConsumeVarint(msg)
				if n < 0 {
					return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
				}
				// An unknown enum value is not the field's value (proto2).
				if v >= 1 && v <= 4 {
					kind = v
				}
				msg = msg[n:]
			case num == sharedConfigSeqno && typ == protowire.VarintType:
				_, n := protowire.ConsumeVarint(msg)
				if n < 0 {
					return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
				}
				seqnoSet = true
				msg = msg[n:]
			case num == sharedConfigData && typ == protowire.BytesType:
				v, n := protowire.ConsumeBytes(msg)
				if n < 0 {
					return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
				}
				data = append([]byte{}, v...)
				msg = msg[n:]
			default:
				n := protowire.ConsumeFieldValue(num, typ, msg)
				if n < 0 {
					return 0, false, nil, fmt.Errorf("%w: %v", ErrLegacyWrap, protowire.ParseError(n))
				}
				msg = msg[n:]
			}
		}
	}
	return kind, seqnoSet, data, nil
}
