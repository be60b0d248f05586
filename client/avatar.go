package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/session-go/session-go/internal/attachment"
	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/config"
	"github.com/session-go/session-go/internal/fileclient"
)

// kvAvatars holds every known profile picture: Session ID → avatarRecord.
const kvAvatars = "avatars"

// ErrNotImage: a profile picture must be a PNG, JPEG, GIF or WebP image.
var ErrNotImage = errors.New("not an image (PNG, JPEG, GIF or WebP)")

// avatarRecord is one account's profile picture: where it is, its key,
// and its encrypted blob in the home once fetched.
type avatarRecord struct {
	URL  string `json:"url"`
	Key  []byte `json:"key"`
	Blob string `json:"blob,omitempty"`
}

func (c *Client) avatars(ctx context.Context) (map[string]avatarRecord, error) {
	m := map[string]avatarRecord{}
	b, err := c.db.Get(ctx, kvAvatars)
	if errors.Is(err, clientdb.ErrNotFound) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal(b, &m)
	return m, nil
}

func (c *Client) putAvatars(ctx context.Context, m map[string]avatarRecord) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.db.Put(ctx, kvAvatars, b)
}

// SetAvatar sets this account's profile picture from an image file, as
// Session does: encrypted with libsession's deterministic format in the
// profile-picture domain (its key is the profile key), uploaded to the
// file server, and named in the account's profile config (for its other
// devices) and in the profile sent with each message (for contacts).
func (c *Client) SetAvatar(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return err
	}
	if len(data) > MaxFileSize {
		return fmt.Errorf("%s: %w", path, ErrFileTooLarge)
	}
	if !inlineImage(http.DetectContentType(data)) {
		return fmt.Errorf("%s: %w", path, ErrNotImage)
	}
	seed := c.id.Seed()
	blob, key, err := attachment.Encrypt(seed, attachment.DomainProfilePic, data, false)
	clear(seed)
	if err != nil {
		return err
	}
	srv, err := c.fileServer()
	if err != nil {
		return err
	}
	net, err := c.network()
	if err != nil {
		return err
	}
	id, _, err := fileclient.Upload(ctx, net, srv, blob, 0)
	if err != nil {
		return fmt.Errorf("uploading the picture: %w", err)
	}
	rec := avatarRecord{URL: srv.FileURL(id, true), Key: key[:], Blob: newBlobName()}
	if err := c.writeBlob(rec.Blob, func(w io.Writer) error { _, err := w.Write(blob); return err }); err != nil {
		return err
	}
	m, err := c.avatars(ctx)
	if err != nil {
		return err
	}
	m[c.SessionID()] = rec
	if err := c.putAvatars(ctx, m); err != nil {
		return err
	}
	return c.editConfig(ctx, func(cs *configs) error {
		cs.profile.SetProfilePic(config.ProfilePic{URL: rec.URL, Key: rec.Key})
		cs.profile.SetProfileUpdated(c.now())
		return nil
	})
}

func inlineImage(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// profilePic is this account's picture as its profile config has it.
func (c *Client) profilePic() config.ProfilePic {
	c.cfg.mu.Lock()
	defer c.cfg.mu.Unlock()
	return c.cfg.profile.ProfilePic()
}

// noteAvatar records the picture a contact's profile names; it is fetched
// by DownloadPending. Only approved contacts' pictures are recorded: a
// stranger cannot make this client fetch anything.
func (c *Client) noteAvatar(ctx context.Context, who string, url string, key []byte) error {
	if url == "" || len(key) != attachment.KeySize || len(url) > clientdb.MaxURLBytes {
		return nil
	}
	if _, _, err := fileclient.ParseFileURL(url); err != nil {
		return nil
	}
	m, err := c.avatars(ctx)
	if err != nil {
		return err
	}
	if cur, ok := m[who]; ok && cur.URL == url && bytes.Equal(cur.Key, key) {
		return nil
	}
	m[who] = avatarRecord{URL: url, Key: bytes.Clone(key)}
	return c.putAvatars(ctx, m)
}

// fetchAvatars downloads the pictures recorded but not yet fetched,
// this account's own included when another device set it (its profile
// config names it).
func (c *Client) fetchAvatars(ctx context.Context) error {
	if pic := c.profilePic(); pic.IsSet() {
		if err := c.noteAvatar(ctx, c.SessionID(), pic.URL, pic.Key); err != nil {
			return err
		}
	}
	m, err := c.avatars(ctx)
	if err != nil {
		return err
	}
	var errs []error
	changed := false
	for who, rec := range m {
		if rec.Blob != "" {
			continue
		}
		blob, err := c.fetchAvatar(ctx, rec)
		if err != nil {
			errs = append(errs, fmt.Errorf("profile picture of %s: %w", ShortID(who), err))
			if errors.Is(err, ErrAttachment) || errors.Is(err, fileclient.ErrNotFound) {
				delete(m, who) // never retried: a new profile brings a new URL
				changed = true
			}
			continue
		}
		rec.Blob = blob
		m[who] = rec
		changed = true
	}
	if changed {
		if err := c.putAvatars(ctx, m); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Avatar returns the profile picture of a Session ID (this account's
// included), decrypted and checked, or ErrNotFound when none is on this
// device.
func (c *Client) Avatar(ctx context.Context, sessionID string) ([]byte, error) {
	m, err := c.avatars(ctx)
	if err != nil {
		return nil, err
	}
	rec, ok := m[sessionID]
	if !ok || rec.Blob == "" {
		return nil, fmt.Errorf("profile picture of %s: %w", ShortID(sessionID), ErrNotFound)
	}
	blob, err := c.readBlob(rec.Blob)
	if err != nil {
		return nil, err
	}
	return decryptAvatar(blob, rec.Key)
}

// decryptAvatar decrypts a profile picture in either of Session's
// formats: the deterministic one newer clients send, or the AES-GCM one of
// older clients (both authenticate: a blob cannot pass as the wrong one).
func decryptAvatar(blob, key []byte) ([]byte, error) {
	pt, err := attachment.Decrypt(blob, key)
	if err == nil {
		return pt, nil
	}
	pt, gerr := attachment.DecryptProfileGCM(blob, key)
	if gerr == nil {
		return pt, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrAttachment, err)
}

// fetchAvatar downloads a profile picture, checks it, and keeps the
// encrypted blob in the home under the name it returns.
func (c *Client) fetchAvatar(ctx context.Context, rec avatarRecord) (string, error) {
	srv, id, err := fileclient.ParseFileURL(rec.URL)
	if err != nil {
		return "", err
	}
	net, err := c.network()
	if err != nil {
		return "", err
	}
	blob, err := fileclient.Download(ctx, net, srv, id, maxBlobSize)
	if err != nil {
		return "", err
	}
	pt, err := decryptAvatar(blob, rec.Key)
	clear(pt)
	if err != nil {
		return "", err
	}
	name := newBlobName()
	if err := c.writeBlob(name, func(w io.Writer) error { _, err := w.Write(blob); return err }); err != nil {
		return "", err
	}
	return name, nil
}

// AvatarVersions returns the Session IDs whose profile picture is on this
// device (approved contacts' and this account's), each with a short tag
// that changes when the picture does (for a page's cache).
func (c *Client) AvatarVersions(ctx context.Context) (map[string]string, error) {
	m, err := c.avatars(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for who, rec := range m {
		if rec.Blob != "" {
			sum := sha256.Sum256([]byte(rec.URL))
			out[who] = hex.EncodeToString(sum[:6])
		}
	}
	return out, nil
}
