package client

import (
	"context"
	"errors"

	"github.com/session-go/session-go/internal/clientdb"
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
