// Package msgedit encodes and reads session-go's message-edit extension to
// Session's wire format (see docs/compatibility.md).
//
// An edit is an ordinary DataMessage: its body is the new text and its
// quote names the edited message (its sent timestamp and author), so a
// Session client, which does not know the extension, shows a new message
// replying to the original. The extension is one field Session's schema
// does not have, which protobuf decoders keep as an unknown field and
// Session ignores: field 9001 of DataMessage, a length-delimited
// submessage whose field 1 (varint) is the edited message's sent
// timestamp in milliseconds. A client that knows the extension replaces
// the original's text instead of showing a new message.
//
// The field number is far above Session's own DataMessage fields (1 to
// 120) so that a field Session adds later does not collide with it.
package msgedit

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/session-go/session-go/internal/gen/signalpb"
)

// Field is the DataMessage field number of the extension.
const Field protowire.Number = 9001

// maxTimestampMS bounds a timestamp (milliseconds), as the client bounds
// every timestamp it receives.
const maxTimestampMS = 1 << 62

// maxPayload bounds the extension's submessage: a timestamp takes at most
// 11 bytes; a few fields more, from a later version, are tolerated.
const maxPayload = 256

// ErrMalformed means the extension field is present but cannot be read.
var ErrMalformed = errors.New("msgedit: malformed edit extension")

// Set marks dm as an edit of the message its sender sent at original,
// keeping dm's other unknown fields but any earlier edit mark.
func Set(dm *signalpb.DataMessage, original time.Time) {
	var inner []byte
	inner = protowire.AppendTag(inner, 1, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(original.UnixMilli()))
	rest, _, _, _ := split(dm.ProtoReflect().GetUnknown())
	b := protowire.AppendTag(rest, Field, protowire.BytesType)
	b = protowire.AppendBytes(b, inner)
	dm.ProtoReflect().SetUnknown(b)
}

// Of reports whether dm is an edit, and of the message sent at when. A
// malformed extension is an error (ErrMalformed); dm is then best shown as
// the plain message it also is.
func Of(dm *signalpb.DataMessage) (original time.Time, ok bool, err error) {
	ms, ok, err := Parse(dm.ProtoReflect().GetUnknown())
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	return time.UnixMilli(int64(ms)), true, nil
}

// Parse reads the extension from the unknown fields of a DataMessage (raw
// protobuf bytes): the edited message's timestamp in milliseconds, and
// whether the field is there.
func Parse(unknown []byte) (ms uint64, ok bool, err error) {
	_, ms, ok, err = split(unknown)
	return ms, ok, err
}

// split separates unknown into the fields that are not the extension and
// the extension's timestamp. Of several extension fields, the last counts,
// as protobuf's merge rule for a singular field.
func split(unknown []byte) (rest []byte, ms uint64, ok bool, err error) {
	for b := unknown; len(b) > 0; {
		num, typ, n := protowire.ConsumeField(b)
		if n < 0 {
			return nil, 0, false, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		field := b[:n]
		b = b[n:]
		if num != Field {
			rest = append(rest, field...)
			continue
		}
		if typ != protowire.BytesType {
			return nil, 0, false, fmt.Errorf("%w: wire type %d", ErrMalformed, typ)
		}
		_, _, tn := protowire.ConsumeTag(field)
		inner, vn := protowire.ConsumeBytes(field[tn:])
		if vn < 0 || len(inner) > maxPayload {
			return nil, 0, false, fmt.Errorf("%w: %d-byte payload", ErrMalformed, len(inner))
		}
		if ms, err = timestamp(inner); err != nil {
			return nil, 0, false, err
		}
		ok = true
	}
	return rest, ms, ok, nil
}

// timestamp reads field 1 of the extension's submessage, skipping fields a
// later version may add.
func timestamp(inner []byte) (uint64, error) {
	var ms uint64
	for len(inner) > 0 {
		num, typ, n := protowire.ConsumeTag(inner)
		if n < 0 {
			return 0, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		if num == 1 && typ == protowire.VarintType {
			v, vn := protowire.ConsumeVarint(inner[n:])
			if vn < 0 {
				return 0, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(vn))
			}
			ms = v
			inner = inner[n+vn:]
			continue
		}
		vn := protowire.ConsumeFieldValue(num, typ, inner[n:])
		if vn < 0 {
			return 0, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(vn))
		}
		inner = inner[n+vn:]
	}
	if ms == 0 || ms > maxTimestampMS {
		return 0, fmt.Errorf("%w: timestamp %d", ErrMalformed, ms)
	}
	return ms, nil
}
