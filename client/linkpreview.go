package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/linkpreview"
)

// kvLinkPreviews holds the link-preview setting ("1": on).
const kvLinkPreviews = "link_previews"

// LinkPreview is a link's title, description and site name.
type LinkPreview = linkpreview.Preview

// Errors about link previews.
var (
	// ErrPreviewsOff: link previews are off (the default, as in Session).
	ErrPreviewsOff = errors.New("link previews are off (turn them on in the settings)")
	// ErrPreviewsNeedProxy: previews are fetched only through the SOCKS5
	// proxy (such as Tor), never from this machine's own address.
	ErrPreviewsNeedProxy = linkpreview.ErrNoProxy
	// ErrPreviewLink: a preview to send is not of a link in the message,
	// or not one that may be previewed (https, public host).
	ErrPreviewLink = errors.New("bad link preview")
)

// LinkPreviews reports whether link previews are on (off by default).
func (c *Client) LinkPreviews(ctx context.Context) (bool, error) {
	b, err := c.db.Get(ctx, kvLinkPreviews)
	if errors.Is(err, clientdb.ErrNotFound) {
		return false, nil
	}
	return string(b) == "1", err
}

// SetLinkPreviews turns link previews on or off on this device. Turning
// them on needs a SOCKS5 proxy (Options.SOCKS5): a preview is fetched from
// the linked site, which would otherwise see this machine's address.
func (c *Client) SetLinkPreviews(ctx context.Context, on bool) error {
	v := "0"
	if on {
		if c.opts.SOCKS5 == "" {
			return ErrPreviewsNeedProxy
		}
		v = "1"
	}
	return c.db.Put(ctx, kvLinkPreviews, []byte(v))
}

// LinkPreview fetches the preview of an https link through the SOCKS5
// proxy, with linkpreview's limits (size, time, HTML only, no private or
// local addresses). It fails with ErrPreviewsOff unless previews are on.
func (c *Client) LinkPreview(ctx context.Context, url string) (LinkPreview, error) {
	on, err := c.LinkPreviews(ctx)
	if err != nil {
		return LinkPreview{}, err
	}
	if !on {
		return LinkPreview{}, ErrPreviewsOff
	}
	dial, err := socks5Dialer(c.opts.SOCKS5)
	if err != nil {
		return LinkPreview{}, err
	}
	if dial == nil {
		return LinkPreview{}, ErrPreviewsNeedProxy
	}
	return linkpreview.Fetch(ctx, linkpreview.Config{Dial: dial}, url)
}

// maxPreviewTitle caps a received preview's title (characters).
const maxPreviewTitle = 200

// previewOf returns the link preview a message carries (the first of
// DataMessage.preview), if it is one Session would show: an https link
// that is in the message's text, as Session's clients require, so that a
// preview cannot stand for a link the text does not show. Its title is
// cleaned of control characters and cut. Its picture is kept as a file of
// the message (in state, as the message's files) when it is a usable
// pointer to a picture the app shows.
func (c *Client) previewOf(dm *signalpb.DataMessage, body string, state clientdb.AttachmentState) clientdb.LinkPreview {
	ps := dm.GetPreview()
	if len(ps) == 0 {
		return clientdb.LinkPreview{}
	}
	u := ps[0].GetUrl()
	if u == "" || len(u) > clientdb.MaxPreviewURLBytes || !strings.Contains(body, u) {
		return clientdb.LinkPreview{}
	}
	if _, err := linkpreview.Check(u, nil); err != nil {
		return clientdb.LinkPreview{}
	}
	title := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(ps[0].GetTitle(), ""))
	title = strings.Join(strings.Fields(title), " ")
	if utf8.RuneCountInString(title) > maxPreviewTitle {
		title = string([]rune(title)[:maxPreviewTitle]) + "…"
	}
	lp := clientdb.LinkPreview{URL: u, Title: title}
	if img := ps[0].GetImage(); img != nil {
		if as, _ := incomingAttachments([]*signalpb.AttachmentPointer{img}, state, c.now()); len(as) == 1 && inlineImage(as[0].ContentType) {
			as[0].FileName = ""
			lp.Image = &as[0]
		}
	}
	return lp
}

// SendWithPreview sends text with the preview of a link in it, as Session
// sends one (DataMessage.preview: the link, its page's title, and the
// picture at image unless image is "", encrypted and uploaded like a file;
// the description is shown only to the sender, Session's message has no
// room for it). The preview's URL must be in the text. Otherwise it is
// Send.
func (c *Client) SendWithPreview(ctx context.Context, to, text string, p LinkPreview, image string) (Message, error) {
	lp := clientdb.LinkPreview{URL: p.URL, Title: p.Title}
	if p.URL == "" || !strings.Contains(text, p.URL) {
		return Message{}, fmt.Errorf("%w: the link preview's URL is not in the message", ErrPreviewLink)
	}
	if _, err := linkpreview.Check(p.URL, nil); err != nil {
		return Message{}, fmt.Errorf("%w: %w", ErrPreviewLink, err)
	}
	if len(lp.Title) > clientdb.MaxPreviewTitleBytes || !utf8.ValidString(lp.Title) {
		return Message{}, fmt.Errorf("%w: title too long", ErrPreviewLink)
	}
	return c.sendFiles(ctx, to, text, clientdb.Quote{}, nil, lp, image)
}

// previewPointer is Session's DataMessage.preview for p (none for the zero
// LinkPreview).
func previewPointer(p clientdb.LinkPreview) []*signalpb.DataMessage_Preview {
	if p.URL == "" {
		return nil
	}
	out := &signalpb.DataMessage_Preview{Url: proto.String(p.URL)}
	if p.Title != "" {
		out.Title = proto.String(p.Title)
	}
	return []*signalpb.DataMessage_Preview{out}
}

// MessagePreview is a message's link preview: the link (which is in the
// message's text), its page's title, and its picture, if the sender sent
// one (fetched like the message's files; the app serves it at
// /api/messages/{id}/preview-image).
type MessagePreview struct {
	URL   string      `json:"url"`
	Title string      `json:"title"`
	Image *Attachment `json:"image,omitempty"`
}

// shownPreview is a stored preview as Message shows it (nil for none),
// with img its picture (nil for none).
func shownPreview(p clientdb.LinkPreview, img *clientdb.Attachment) *MessagePreview {
	if p.URL == "" {
		return nil
	}
	out := &MessagePreview{URL: p.URL, Title: p.Title}
	if img != nil {
		a := attachmentFrom(*img)
		out.Image = &a
	}
	return out
}

// LinkPreviewImage fetches a preview's picture (LinkPreview.Image) through
// the SOCKS5 proxy, with linkpreview's limits (a PNG, JPEG, GIF or WebP
// image of at most 1 MiB). It fails with ErrPreviewsOff unless previews
// are on.
func (c *Client) LinkPreviewImage(ctx context.Context, url string) ([]byte, string, error) {
	on, err := c.LinkPreviews(ctx)
	if err != nil {
		return nil, "", err
	}
	if !on {
		return nil, "", ErrPreviewsOff
	}
	dial, err := socks5Dialer(c.opts.SOCKS5)
	if err != nil {
		return nil, "", err
	}
	if dial == nil {
		return nil, "", ErrPreviewsNeedProxy
	}
	return linkpreview.FetchImage(ctx, linkpreview.Config{Dial: dial}, url)
}
