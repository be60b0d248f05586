package msgedit

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/gen/signalpb"
)

func TestRoundTripThroughSessionSchema(t *testing.T) {
	orig := time.UnixMilli(1_750_000_000_123)
	dm := &signalpb.DataMessage{Body: proto.String("fixed typo"),
		Quote: &signalpb.DataMessage_Quote{Id: proto.Uint64(uint64(orig.UnixMilli())), Author: proto.String("05ab")}}
	Set(dm, orig)
	Set(dm, orig) // twice: still one field
	b, err := proto.Marshal(&signalpb.Content{DataMessage: dm})
	if err != nil {
		t.Fatal(err)
	}
	// What a Session client decodes: a plain reply with the new text.
	var got signalpb.Content
	if err := proto.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.GetDataMessage().GetBody() != "fixed typo" || got.GetDataMessage().GetQuote().GetId() != uint64(orig.UnixMilli()) {
		t.Fatalf("decoded %v", &got)
	}
	when, ok, err := Of(got.GetDataMessage())
	if err != nil || !ok || !when.Equal(orig) {
		t.Fatalf("Of = %v, %v, %v", when, ok, err)
	}
	// The field's exact bytes: tag 9001 (wire type 2), length, field 1.
	want := protowire.AppendTag(nil, 9001, protowire.BytesType)
	want = protowire.AppendBytes(want, protowire.AppendVarint([]byte{0x08}, uint64(orig.UnixMilli())))
	if string(got.GetDataMessage().ProtoReflect().GetUnknown()) != string(want) {
		t.Errorf("unknown fields %x, want %x", got.GetDataMessage().ProtoReflect().GetUnknown(), want)
	}
	// A plain message is no edit.
	if _, ok, err := Of(&signalpb.DataMessage{Body: proto.String("hi")}); ok || err != nil {
		t.Errorf("plain message: %v, %v", ok, err)
	}
}

func TestMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated":    {0xca, 0xb2, 0x04, 0x05, 0x08},
		"varint type":  protowire.AppendVarint(protowire.AppendTag(nil, Field, protowire.VarintType), 5),
		"zero time":    protowire.AppendBytes(protowire.AppendTag(nil, Field, protowire.BytesType), []byte{0x08, 0x00}),
		"no time":      protowire.AppendBytes(protowire.AppendTag(nil, Field, protowire.BytesType), nil),
		"huge payload": protowire.AppendBytes(protowire.AppendTag(nil, Field, protowire.BytesType), make([]byte, 1000)),
	} {
		if _, ok, err := Parse(b); ok || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: ok %v, err %v; want ErrMalformed", name, ok, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	dm := &signalpb.DataMessage{}
	Set(dm, time.UnixMilli(1_750_000_000_000))
	f.Add([]byte(dm.ProtoReflect().GetUnknown()))
	f.Add([]byte{0xca, 0xb2, 0x04, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, ok, err := Parse(b)
		if err == nil && ok && (ms == 0 || ms > maxTimestampMS) {
			t.Fatalf("accepted timestamp %d", ms)
		}
	})
}
