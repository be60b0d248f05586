package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // image sizes for AttachmentPointer.width/height
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/attachment"
	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/fileclient"
	"github.com/session-go/session-go/internal/gen/signalpb"
	"github.com/session-go/session-go/internal/netview"
	"github.com/session-go/session-go/internal/videosize"
)

// MaxFileSize is Session's limit on one attachment: 10 MB of plaintext.
const MaxFileSize = 10_000_000

// maxBlobSize caps a download: the largest blob either format makes of a
// MaxFileSize file, with room to spare.
const maxBlobSize = 10_400_000

// attachmentsDir is the home's folder of encrypted blobs.
const attachmentsDir = "attachments"

// Download retry schedule: a failed download waits downloadBackoff, doubled
// per attempt up to an hour, and is given up after maxDownloadAttempts.
const (
	downloadBackoff     = 15 * time.Second
	maxDownloadAttempts = 8
)

// Errors about files.
var (
	// ErrFileTooLarge: a file over MaxFileSize; nothing was sent.
	ErrFileTooLarge = errors.New("file too large: Session's limit is 10 MB (10000000 bytes)")
	// ErrNoFileServer: the network names no file server to upload to.
	ErrNoFileServer = errors.New("the network has no file server (its network file has no \"file_server\")")
	// ErrAttachment: an attachment could not be fetched or failed its
	// integrity checks (tampered, truncated or wrong key).
	ErrAttachment = errors.New("attachment unavailable")
)

// Attachment describes one file of a message.
type Attachment struct {
	// FileName is the sender's name for the file (may be empty).
	FileName string `json:"file_name"`
	// ContentType is its MIME type.
	ContentType string `json:"content_type"`
	// Size is its size in bytes.
	Size int64 `json:"size"`
	// Downloaded is true when its encrypted bytes are on this device.
	Downloaded bool `json:"downloaded"`
	// Width and Height of an image, when known.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Error says why it could not be downloaded.
	Error string `json:"error,omitempty"`
}

func attachmentFrom(a clientdb.Attachment) Attachment {
	return Attachment{
		FileName: a.FileName, ContentType: a.ContentType, Size: a.Size,
		Downloaded: a.State == clientdb.AttachmentStored || a.State == clientdb.AttachmentUpload,
		Width:      a.Width, Height: a.Height, Error: a.Error,
	}
}

// withAttachments fills in the attachments and link previews of ms.
func (c *Client) withAttachments(ctx context.Context, ms []Message) error {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	as, err := c.db.Attachments(ctx, ids...)
	if err != nil {
		return err
	}
	ps, err := c.db.LinkPreviews(ctx, ids...)
	if err != nil {
		return err
	}
	for i := range ms {
		var img *clientdb.Attachment
		for _, a := range as[ms[i].ID] {
			if a.Index == clientdb.PreviewImageIndex {
				img = &a
				continue
			}
			ms[i].Attachments = append(ms[i].Attachments, attachmentFrom(a))
		}
		if !ms[i].Deleted {
			ms[i].LinkPreview = shownPreview(ps[ms[i].ID], img)
		}
	}
	return nil
}

// CheckFiles checks files to attach without reading them: each must be a
// regular file of at most MaxFileSize bytes. The error names the file.
func CheckFiles(paths []string) error {
	if len(paths) > clientdb.MaxAttachments {
		return fmt.Errorf("%d files: at most %d per message", len(paths), clientdb.MaxAttachments)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		if fi.Size() > MaxFileSize {
			return fmt.Errorf("%s (%d bytes): %w", p, fi.Size(), ErrFileTooLarge)
		}
	}
	return nil
}

// fileServer returns the file server of the client's network.
func (c *Client) fileServer() (fileclient.Server, error) {
	nf := c.NetworkFile()
	if nf == "" {
		return fileclient.Server{}, ErrNoNetwork
	}
	fs, err := netview.ReadFileServer(nf)
	if err != nil {
		return fileclient.Server{}, err
	}
	if fs == nil {
		return fileclient.Server{}, ErrNoFileServer
	}
	return fileclient.FromNetwork(fs)
}

func (c *Client) blobDir() (string, error) {
	d := filepath.Join(c.opts.Home, attachmentsDir)
	return d, os.MkdirAll(d, 0o700)
}

// newBlobName returns a fresh random file name for a blob.
func newBlobName() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:]) + ".blob"
}

// writeBlob writes an encrypted blob into the home: a temporary file,
// synced, renamed, so that a crash never leaves half a blob under its name.
func (c *Client) writeBlob(name string, write func(io.Writer) error) error {
	dir, err := c.blobDir()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

func (c *Client) readBlob(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil, fmt.Errorf("%w: no blob", ErrAttachment)
	}
	return os.ReadFile(filepath.Join(c.opts.Home, attachmentsDir, name))
}

// maxPictureSide caps a picture size a caller gives (File.Width, Height).
const maxPictureSide = 1 << 16

// prepareFile encrypts the file at file.Path (Session's deterministic
// format, keyed with this account's seed) into the home and describes it.
func (c *Client) prepareFile(file File) (clientdb.Attachment, error) {
	path := file.Path
	f, err := os.Open(path)
	if err != nil {
		return clientdb.Attachment{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return clientdb.Attachment{}, err
	}
	if fi.Size() > MaxFileSize {
		return clientdb.Attachment{}, fmt.Errorf("%s (%d bytes): %w", path, fi.Size(), ErrFileTooLarge)
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	a := clientdb.Attachment{
		FileName:    cleanFileName(filepath.Base(path)),
		ContentType: contentType(path, head),
		Size:        fi.Size(),
		State:       clientdb.AttachmentUpload,
		Blob:        newBlobName(),
	}
	if strings.HasPrefix(a.ContentType, "image/") {
		if _, err := f.Seek(0, io.SeekStart); err == nil {
			if cfg, _, err := image.DecodeConfig(io.LimitReader(f, 1<<20)); err == nil {
				a.Width, a.Height = cfg.Width, cfg.Height
			}
		}
	}
	if !strings.HasPrefix(a.ContentType, "image/") {
		// A video's size from its container's headers (MP4, MOV, WebM;
		// a file of another kind is told by its first bytes).
		if w, h, err := videosize.Read(f, fi.Size()); err == nil {
			a.Width, a.Height = w, h
			if !strings.HasPrefix(a.ContentType, "video/") {
				a.ContentType = videoType(head)
			}
		}
	}
	if a.Width == 0 && (strings.HasPrefix(a.ContentType, "image/") || strings.HasPrefix(a.ContentType, "video/")) &&
		file.Width > 0 && file.Height > 0 && file.Width <= maxPictureSide && file.Height <= maxPictureSide {
		a.Width, a.Height = file.Width, file.Height
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return clientdb.Attachment{}, err
	}
	if file.Legacy {
		data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
		if err != nil {
			return clientdb.Attachment{}, fmt.Errorf("%s: %w", path, err)
		}
		blob, key, digest, err := attachment.EncryptLegacy(rand.Reader, data)
		clear(data)
		if err != nil {
			return clientdb.Attachment{}, fmt.Errorf("%s: %w", path, err)
		}
		if err := c.writeBlob(a.Blob, func(w io.Writer) error { _, err := w.Write(blob); return err }); err != nil {
			return clientdb.Attachment{}, fmt.Errorf("%s: %w", path, err)
		}
		a.Key, a.Digest = key, digest
		return a, nil
	}
	seed := c.id.Seed()
	defer clear(seed)
	var key [attachment.KeySize]byte
	err = c.writeBlob(a.Blob, func(w io.Writer) error {
		var err error
		key, err = attachment.EncryptStream(w, f, seed, attachment.DomainAttachment, false)
		return err
	})
	if err != nil {
		return clientdb.Attachment{}, fmt.Errorf("%s: %w", path, err)
	}
	a.Key = key[:]
	return a, nil
}

func contentType(path string, head []byte) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(path))); t != "" {
		if mt, _, err := mime.ParseMediaType(t); err == nil {
			return mt
		}
	}
	t := http.DetectContentType(head)
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return "application/octet-stream"
}

// videoType is the content type of a video videosize read whose name and
// sniffed bytes said nothing better: QuickTime for a "qt  " brand, WebM for
// EBML, else MP4.
func videoType(head []byte) string {
	switch {
	case len(head) >= 12 && string(head[4:12]) == "ftypqt  ":
		return "video/quicktime"
	case len(head) >= 4 && string(head[:4]) == "\x1a\x45\xdf\xa3":
		return "video/webm"
	}
	return "video/mp4"
}

// cleanFileName keeps a file name a sender chose safe to show and to save
// under: no path, no control characters, valid UTF-8, at most 255 bytes.
func cleanFileName(s string) string {
	s = strings.ToValidUTF8(s, "_")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '/' || r == '\\' || r == 0:
			return '_'
		case unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	for len(s) > clientdb.MaxFileNameBytes {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	if s == "." || s == ".." {
		s = ""
	}
	return s
}

// uploadAttachments uploads the files of an outgoing message not yet
// uploaded, saving each URL as it is known, so that a retry resumes where
// a failure stopped. Each upload's progress is published (FileProgress).
func (c *Client) uploadAttachments(ctx context.Context, msg int64, conversation string) ([]clientdb.Attachment, error) {
	all, err := c.db.Attachments(ctx, msg)
	if err != nil {
		return nil, err
	}
	as := all[msg]
	var srv fileclient.Server
	for i := range as {
		a := &as[i]
		if a.URL != "" {
			continue
		}
		if srv.URL == "" {
			if srv, err = c.fileServer(); err != nil {
				return nil, err
			}
		}
		blob, err := c.readBlob(a.Blob)
		if err != nil {
			return nil, fmt.Errorf("file %q: %w", a.FileName, err)
		}
		net, err := c.network()
		if err != nil {
			return nil, err
		}
		id, _, err := fileclient.Upload(c.withFileProgress(ctx, *a, conversation, true, 0), net, srv, blob, 0)
		if err != nil {
			return nil, fmt.Errorf("uploading %q: %w", a.FileName, err)
		}
		a.URL = srv.FileURL(id, len(a.Key) == attachment.KeySize)
		a.State = clientdb.AttachmentStored
		if err := c.db.UpdateAttachment(ctx, *a); err != nil {
			return nil, err
		}
	}
	return as, nil
}

// pointers returns the AttachmentPointers of as, filled as Session fills
// them.
func pointers(as []clientdb.Attachment) []*signalpb.AttachmentPointer {
	var out []*signalpb.AttachmentPointer
	for _, a := range as {
		p := &signalpb.AttachmentPointer{
			DeprecatedId: proto.Uint64(0),
			ContentType:  proto.String(a.ContentType),
			Key:          a.Key,
			Size:         proto.Uint32(uint32(a.Size)),
			Url:          proto.String(a.URL),
		}
		if a.FileName != "" {
			p.FileName = proto.String(a.FileName)
		}
		if len(a.Digest) > 0 {
			p.Digest = a.Digest
		}
		if a.Width > 0 && a.Height > 0 {
			p.Width, p.Height = proto.Uint32(uint32(a.Width)), proto.Uint32(uint32(a.Height))
		}
		out = append(out, p)
	}
	return out
}

// setPointers puts the pointers of a message's uploaded attachments into
// dm: its files as DataMessage.attachments, a link preview's picture as
// the preview's image.
func setPointers(dm *signalpb.DataMessage, as []clientdb.Attachment) {
	files := filesOnly(as)
	if len(files) > 0 {
		dm.Attachments = pointers(files)
	}
	if len(files) < len(as) && len(dm.Preview) > 0 {
		dm.Preview[0].Image = pointers(as[len(files):])[0]
	}
}

// incomingAttachments turns a message's AttachmentPointers into rows to
// store, dropping (and counting) the ones that cannot be fetched: no usable
// URL, a key of the wrong size, an absurd size.
func incomingAttachments(ps []*signalpb.AttachmentPointer, state clientdb.AttachmentState, now time.Time) ([]clientdb.Attachment, int) {
	var out []clientdb.Attachment
	dropped := 0
	for _, p := range ps {
		if len(out) == clientdb.MaxAttachments {
			dropped++
			continue
		}
		url := p.GetUrl()
		if _, _, err := fileclient.ParseFileURL(url); err != nil || len(url) > clientdb.MaxURLBytes {
			dropped++
			continue
		}
		key := p.GetKey()
		if len(key) != attachment.KeySize && len(key) != attachment.LegacyKeySize ||
			len(key) == attachment.LegacyKeySize && len(p.GetDigest()) != attachment.DigestSize ||
			p.GetSize() > MaxFileSize {
			dropped++
			continue
		}
		ct := p.GetContentType()
		if mt, _, err := mime.ParseMediaType(ct); err == nil && len(mt) <= clientdb.MaxContentTypeBytes {
			ct = mt
		} else {
			ct = "application/octet-stream"
		}
		out = append(out, clientdb.Attachment{
			FileName: cleanFileName(p.GetFileName()), ContentType: ct, Size: int64(p.GetSize()),
			URL: url, Key: bytes.Clone(key), Digest: bytes.Clone(p.GetDigest()),
			Width: int(min(p.GetWidth(), 1<<16)), Height: int(min(p.GetHeight(), 1<<16)),
			State: state, NextTry: now,
		})
	}
	return out, dropped
}

// decryptBlob checks and decrypts a downloaded or stored blob: digest and
// MAC (legacy) or every chunk's tag (deterministic) before any byte is
// returned, and the size the sender announced.
func decryptBlob(a clientdb.Attachment, blob []byte) ([]byte, error) {
	var pt []byte
	var err error
	if len(a.Key) == attachment.LegacyKeySize {
		pt, err = attachment.DecryptLegacy(blob, a.Key, a.Digest, int(a.Size))
	} else {
		pt, err = attachment.Decrypt(blob, a.Key)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAttachment, err)
	}
	if a.Size > 0 && int64(len(pt)) != a.Size {
		return nil, fmt.Errorf("%w: %d bytes, the sender said %d", ErrAttachment, len(pt), a.Size)
	}
	return pt, nil
}

// download fetches one attachment, checks it, and keeps the encrypted blob
// in the home. A failure is saved with the next try (or as given up).
func (c *Client) download(ctx context.Context, a clientdb.Attachment) (clientdb.Attachment, error) {
	// A message request's file fetched on the user's word stays the
	// user's to fetch: a failure must not hand it to the automatic loop.
	wasRemote := a.State == clientdb.AttachmentRemote
	err := c.fetch(ctx, &a)
	if err == nil {
		a.State, a.Error = clientdb.AttachmentStored, ""
		if err := c.db.UpdateAttachment(ctx, a); err != nil {
			return a, err
		}
		n := max(a.Size, 1)
		c.events.publish(FileProgress{Message: a.Message, Index: a.Index, FileName: a.FileName, Done: n, Total: n, Stored: true})
		return a, nil
	}
	if ctx.Err() != nil {
		return a, err
	}
	a.Attempts++
	a.Error = err.Error()
	final := errors.Is(err, ErrAttachment) || errors.Is(err, fileclient.ErrNotFound) || errors.Is(err, fileclient.ErrBadURL) ||
		a.Attempts >= maxDownloadAttempts
	if final {
		a.State = clientdb.AttachmentFailed
		c.warn(fmt.Sprintf("an attachment (%q) could not be downloaded: %v", a.FileName, err))
	} else if wasRemote {
		a.State = clientdb.AttachmentRemote
	} else {
		a.State = clientdb.AttachmentPending
		a.NextTry = c.now().Add(min(downloadBackoff<<(a.Attempts-1), time.Hour))
	}
	if uerr := c.db.UpdateAttachment(ctx, a); uerr != nil {
		return a, uerr
	}
	return a, err
}

func (c *Client) fetch(ctx context.Context, a *clientdb.Attachment) error {
	srv, id, err := fileclient.ParseFileURL(a.URL)
	if err != nil {
		return err
	}
	net, err := c.network()
	if err != nil {
		return err
	}
	if a.Message != 0 {
		ctx = c.withFileProgress(ctx, *a, "", false, a.Size)
	}
	blob, err := fileclient.Download(ctx, net, srv, id, maxBlobSize)
	if err != nil {
		return err
	}
	pt, err := decryptBlob(*a, blob)
	clear(pt)
	if err != nil {
		return err
	}
	name := newBlobName()
	if err := c.writeBlob(name, func(w io.Writer) error { _, err := w.Write(blob); return err }); err != nil {
		return err
	}
	a.Blob = name
	return nil
}

// DownloadPending downloads the attachments due (those of approved
// contacts and this account's other devices, and retries whose time has
// come), at most limit of them. It returns how many it stored.
func (c *Client) DownloadPending(ctx context.Context, limit int) (int, error) {
	due, err := c.db.DueDownloads(ctx, c.now(), limit)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, a := range due {
		if _, err := c.download(ctx, a); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := c.fetchAvatars(ctx); err != nil {
		errs = append(errs, err)
	}
	return n, errors.Join(errs...)
}

// downloadLoop downloads due attachments while Run runs, after removing
// blobs no message refers to any more (a declined request's, say).
func (c *Client) downloadLoop(ctx context.Context) {
	if n, err := c.pruneBlobs(ctx); err != nil {
		c.log.Debug("pruning attachment blobs failed", "err", err)
	} else if n > 0 {
		c.log.Info("removed attachment blobs of deleted messages", "count", n)
	}
	for {
		if _, err := c.DownloadPending(ctx, 16); err != nil && ctx.Err() == nil {
			c.log.Debug("downloading attachments failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.downloadKick:
		case <-time.After(10 * time.Second):
		}
	}
}

// kickDownloads wakes downloadLoop (when Run is running).
func (c *Client) kickDownloads() {
	select {
	case c.downloadKick <- struct{}{}:
	default:
	}
}

// SaveAttachments writes the files of message id into dir under their
// (cleaned) names, downloading any not yet on this device (a message
// request's included: the user asked). Each file is checked before it is
// written and appears whole or not at all; an existing file is never
// overwritten (a number is added to the name). It returns the paths
// written.
func (c *Client) SaveAttachments(ctx context.Context, id int64, dir string) ([]string, error) {
	if _, err := c.db.Message(ctx, id); errors.Is(err, clientdb.ErrNotFound) {
		return nil, fmt.Errorf("message %d: %w", id, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	all, err := c.db.Attachments(ctx, id)
	if err != nil {
		return nil, err
	}
	as := filesOnly(all[id])
	if len(as) == 0 {
		return nil, fmt.Errorf("message %d has no attachments: %w", id, ErrNotFound)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var out []string
	for _, a := range as {
		if a.State != clientdb.AttachmentStored && a.State != clientdb.AttachmentUpload {
			a.Attempts = 0
			if a, err = c.download(ctx, a); err != nil {
				return out, fmt.Errorf("file %d of message %d: %w", a.Index+1, id, err)
			}
		}
		blob, err := c.readBlob(a.Blob)
		if err != nil {
			return out, err
		}
		pt, err := decryptBlob(a, blob)
		if err != nil {
			return out, fmt.Errorf("file %d of message %d: %w", a.Index+1, id, err)
		}
		name := a.FileName
		if name == "" {
			name = fmt.Sprintf("attachment-%d-%d", id, a.Index+1)
		}
		p, err := writeNew(dir, name, pt)
		clear(pt)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// writeNew writes data to dir/name, or dir/"name (N)" if that exists,
// through a temporary file, never replacing a file.
func writeNew(dir, name string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".session-save-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, name)
		if i > 0 {
			p = filepath.Join(dir, fmt.Sprintf("%s (%d)%s", stem, i, ext))
		}
		// A hard link fails if p exists: no check-then-write race.
		if err := os.Link(tmp, p); err == nil {
			os.Remove(tmp)
			return p, nil
		} else if !errors.Is(err, os.ErrExist) {
			os.Remove(tmp)
			return "", err
		}
	}
	os.Remove(tmp)
	return "", fmt.Errorf("%s: too many files with that name", name)
}

// messageWithFiles returns m with its attachments filled in (m as it is
// if they cannot be read).
func (c *Client) messageWithFiles(ctx context.Context, m Message) Message {
	ms := []Message{m}
	if err := c.withAttachments(ctx, ms); err != nil {
		return m
	}
	return ms[0]
}

// RefreshMessages returns ms as the database now has them (statuses and
// attachments), for a caller that did more (downloads, say) since it got
// them. A message that cannot be read back is returned as it was.
func (c *Client) RefreshMessages(ctx context.Context, ms []Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = m
		if dm, err := c.db.Message(ctx, m.ID); err == nil {
			out[i] = c.messageWithFiles(ctx, messageFrom(dm))
		}
	}
	return out
}

// OpenAttachment returns file index (0-based) of message id, decrypted and
// checked, downloading it first if it is not on this device yet (the user
// asked for it: a message request's file included).
func (c *Client) OpenAttachment(ctx context.Context, id int64, index int) (Attachment, []byte, error) {
	all, err := c.db.Attachments(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	as := filesOnly(all[id])
	if index < 0 || index >= len(as) {
		return Attachment{}, nil, fmt.Errorf("file %d of message %d: %w", index+1, id, ErrNotFound)
	}
	return c.openRow(ctx, id, index, as[index])
}

// OpenPreviewImage returns the picture of message id's link preview,
// decrypted and checked, downloading it first if needed (the user asked).
func (c *Client) OpenPreviewImage(ctx context.Context, id int64) (Attachment, []byte, error) {
	all, err := c.db.Attachments(ctx, id)
	if err != nil {
		return Attachment{}, nil, err
	}
	for _, a := range all[id] {
		if a.Index == clientdb.PreviewImageIndex {
			return c.openRow(ctx, id, a.Index, a)
		}
	}
	return Attachment{}, nil, fmt.Errorf("message %d has no preview picture: %w", id, ErrNotFound)
}

// filesOnly drops a link preview's picture from a message's attachments.
func filesOnly(as []clientdb.Attachment) []clientdb.Attachment {
	if n := len(as); n > 0 && as[n-1].Index == clientdb.PreviewImageIndex {
		return as[:n-1]
	}
	return as
}

// openRow is OpenAttachment of one attachment row (file index of message
// id, for errors).
func (c *Client) openRow(ctx context.Context, id int64, index int, a clientdb.Attachment) (Attachment, []byte, error) {
	var err error
	if a.State != clientdb.AttachmentStored && a.State != clientdb.AttachmentUpload {
		a.Attempts = 0
		if a, err = c.download(ctx, a); err != nil {
			return attachmentFrom(a), nil, fmt.Errorf("file %d of message %d: %w", index+1, id, err)
		}
	}
	blob, err := c.readBlob(a.Blob)
	if err != nil {
		return attachmentFrom(a), nil, err
	}
	pt, err := decryptBlob(a, blob)
	if err != nil {
		return attachmentFrom(a), nil, fmt.Errorf("file %d of message %d: %w", index+1, id, err)
	}
	return attachmentFrom(a), pt, nil
}

// pruneBlobs deletes the encrypted blobs in the home that no attachment
// refers to: those of deleted messages, and temporary files a crash left.
func (c *Client) pruneBlobs(ctx context.Context) (int, error) {
	dir := filepath.Join(c.opts.Home, attachmentsDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	// A blob whose message is not stored yet (a send still encrypting its
	// files) is not in the database: only blobs older than a minute go.
	cutoff := time.Now().Add(-time.Minute)
	used, err := c.db.AttachmentBlobs(ctx)
	if err != nil {
		return 0, err
	}
	avs, err := c.avatars(ctx)
	if err != nil {
		return 0, err
	}
	for _, rec := range avs {
		used[rec.Blob] = true
	}
	n := 0
	for _, e := range entries {
		if used[e.Name()] {
			continue
		}
		if info, err := e.Info(); err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}
