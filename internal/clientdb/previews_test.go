package clientdb

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A link preview is stored with its message (either direction), read
// back by message, refused when oversized, and gone with its message.
func TestLinkPreviews(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	peer := sid(1)
	m := incoming(peer, at(1), "h1", "see https://example.com/a")
	m.LinkPreview = LinkPreview{URL: "https://example.com/a", Title: "Example"}
	in := mustInsert(t, db, m)
	plain := mustInsert(t, db, incoming(peer, at(2), "h2", "no link"))
	out, err := db.InsertOutgoing(ctx, Message{Conversation: peer, Sender: me(t), SentAt: at(3), Body: "https://example.org",
		Payload: []byte("p"), LinkPreview: LinkPreview{URL: "https://example.org", Title: "Org"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.LinkPreviews(ctx, in, plain, out)
	if err != nil || len(got) != 2 || got[in].Title != "Example" || got[out].URL != "https://example.org" {
		t.Fatalf("previews: %+v %v", got, err)
	}
	// A preview's picture is kept as an attachment after the files.
	withPic := incoming(peer, at(5), "h5", "https://example.com/p")
	withPic.Attachments = []Attachment{{FileName: "a.txt", ContentType: "text/plain", Size: 1, URL: "u1", Key: testKey(2), State: AttachmentPending}}
	withPic.LinkPreview = LinkPreview{URL: "https://example.com/p", Title: "P",
		Image: &Attachment{ContentType: "image/png", Size: 9, URL: "u2", Key: testKey(3), State: AttachmentPending}}
	pic := mustInsert(t, db, withPic)
	as, err := db.Attachments(ctx, pic)
	if err != nil || len(as[pic]) != 2 || as[pic][0].Index != 0 || as[pic][1].Index != PreviewImageIndex || as[pic][1].URL != "u2" {
		t.Fatalf("attachments with a preview picture: %+v %v", as[pic], err)
	}
	bad := incoming(peer, at(4), "h4", "x")
	bad.LinkPreview = LinkPreview{URL: "https://example.com/x", Image: &Attachment{Key: []byte{1}, State: AttachmentPending}}
	if _, _, err := db.InsertIncoming(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("preview picture with a bad key: %v", err)
	}
	bad.LinkPreview = LinkPreview{URL: "https://example.com/" + strings.Repeat("a", MaxPreviewURLBytes)}
	if _, _, err := db.InsertIncoming(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("oversized preview: %v", err)
	}
	bad.LinkPreview = LinkPreview{Title: "no URL"}
	if _, _, err := db.InsertIncoming(ctx, bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("preview without a URL: %v", err)
	}
	if err := db.DeleteMessage(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got, err := db.LinkPreviews(ctx, in); err != nil || len(got) != 0 {
		t.Fatalf("a deleted message's preview: %+v %v", got, err)
	}
}
