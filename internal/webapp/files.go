package webapp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/session-go/session-go/client"
)

// maxUploadBody caps POST /api/conversations/{id}/files: a file of
// client.MaxFileSize in base64, with its name and caption.
const maxUploadBody = (client.MaxFileSize+2)/3*4 + 64<<10

// inlineTypes are the image types the app shows in the page. Anything else
// is served as a download, so that a file a stranger named "x.html" with
// type text/html can never run in the app's origin.
var inlineTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"video/mp4": true, "video/webm": true}

// fileRoutes adds the API calls of files, pictures and link previews
// (besides the older ones in routes).
func (s *Server) fileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/avatars", s.withAccount(s.listAvatars))
	mux.HandleFunc("POST /api/groups/{gid}/files", s.withAccount(s.sendGroupFile))
	mux.HandleFunc("GET /api/link-previews", s.withAccount(s.getLinkPreviews))
	mux.HandleFunc("POST /api/link-previews", s.withAccount(s.setLinkPreviews))
	mux.HandleFunc("GET /api/link-preview", s.withAccount(s.linkPreview))
	mux.HandleFunc("POST /api/messages/{mid}/reupload", s.withAccount(s.reupload))
	mux.HandleFunc("GET /api/messages/{mid}/preview-image", s.withAccount(s.getPreviewImage))
}

// reupload is POST /api/messages/{mid}/reupload: put the files of a
// message this account sent back on the file server (client.Reupload).
func (s *Server) reupload(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil || mid < 1 {
		writeError(w, http.StatusBadRequest, "bad message number")
		return
	}
	m, err := c.Reupload(r.Context(), mid)
	switch {
	case errors.Is(err, client.ErrReupload):
		writeError(w, http.StatusBadRequest, err.Error())
	case err != nil:
		clientError(w, err)
	default:
		writeJSON(w, http.StatusOK, m)
	}
}

// linkPreviewState is the link-preview setting: on (off by default, as in
// Session), and whether this app has the proxy previews need.
type linkPreviewState struct {
	On    bool `json:"on"`
	Proxy bool `json:"proxy"`
}

// getLinkPreviews is GET /api/link-previews.
func (s *Server) getLinkPreviews(w http.ResponseWriter, r *http.Request, c *client.Client) {
	on, err := c.LinkPreviews(r.Context())
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, linkPreviewState{On: on, Proxy: s.cfg.SOCKS5 != ""})
}

// setLinkPreviews is POST /api/link-previews with {"on"}: turning them on
// needs the SOCKS5 proxy (previews are never fetched from this machine's
// own address).
func (s *Server) setLinkPreviews(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		On bool `json:"on"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if err := c.SetLinkPreviews(r.Context(), req.On); err != nil {
		if errors.Is(err, client.ErrPreviewsNeedProxy) {
			writeError(w, http.StatusBadRequest, "link previews need a SOCKS5 proxy such as Tor (start the app with --socks5): they are never fetched from your own address")
			return
		}
		clientError(w, err)
		return
	}
	s.getLinkPreviews(w, r, c)
}

// linkPreview is GET /api/link-preview?url=…: the preview of a link the
// user is writing, fetched through the proxy with linkpreview's limits.
func (s *Server) linkPreview(w http.ResponseWriter, r *http.Request, c *client.Client) {
	u := r.URL.Query().Get("url")
	if u == "" || len(u) > 2048 {
		writeError(w, http.StatusBadRequest, "url: missing or too long")
		return
	}
	p, err := c.LinkPreview(r.Context(), u)
	switch {
	case errors.Is(err, client.ErrPreviewsOff) || errors.Is(err, client.ErrPreviewsNeedProxy):
		writeError(w, http.StatusConflict, err.Error())
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, "no preview: "+err.Error())
		return
	}
	out := previewRequest{LinkPreview: p}
	if p.Image != "" {
		// The page's picture, through the proxy too; a preview without
		// it is still a preview.
		if b, ct, err := c.LinkPreviewImage(r.Context(), p.Image); err == nil {
			out.ImageData = "data:" + ct + ";base64," + base64.StdEncoding.EncodeToString(b)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// previewRequest is a link preview between the page and the app: what
// GET /api/link-preview found, given back with the message to send. The
// picture travels as a data: URL (the page shows it as such: its CSP
// allows no remote picture).
type previewRequest struct {
	client.LinkPreview
	ImageData string `json:"image_data,omitempty"`
}

// maxPreviewImage caps a preview's picture from the page (its base64 in
// a data: URL), as linkpreview caps it when fetched.
const maxPreviewImage = 1 << 20

// sendWithPreview sends body with the preview the page gives, its picture
// (if any) written to a temporary file for the library to encrypt.
func sendWithPreview(ctx context.Context, c *client.Client, to, body string, p previewRequest) (client.Message, error) {
	if p.ImageData == "" {
		return c.SendWithPreview(ctx, to, body, p.LinkPreview, "")
	}
	meta, b64, ok := strings.Cut(p.ImageData, ",")
	data, err := base64.StdEncoding.DecodeString(b64)
	if !ok || !strings.HasPrefix(meta, "data:image/") || !strings.HasSuffix(meta, ";base64") || err != nil || len(data) == 0 || len(data) > maxPreviewImage {
		return client.Message{}, fmt.Errorf("%w: its picture is not a data: URL of an image of at most 1 MiB", client.ErrPreviewLink)
	}
	f, err := os.CreateTemp("", "session-app-preview-*")
	if err != nil {
		return client.Message{}, err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return client.Message{}, err
	}
	return c.SendWithPreview(ctx, to, body, p.LinkPreview, f.Name())
}

// listAvatars is GET /api/avatars: {"<Session ID>": "<version>"} for every
// profile picture on this device, so that the page asks only for those.
func (s *Server) listAvatars(w http.ResponseWriter, r *http.Request, c *client.Client) {
	m, err := c.AvatarVersions(r.Context())
	if err != nil {
		clientError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// getAttachment is GET /api/messages/{mid}/attachments/{n}: the file,
// decrypted and checked (downloaded first if needed: the user asked).
func (s *Server) getAttachment(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	n, err2 := strconv.Atoi(r.PathValue("n"))
	if err != nil || err2 != nil || mid < 1 || n < 0 {
		writeError(w, http.StatusBadRequest, "bad message or file number")
		return
	}
	a, data, err := c.OpenAttachment(r.Context(), mid, n)
	serveFile(w, a, data, err)
}

// getPreviewImage is GET /api/messages/{mid}/preview-image: the picture
// of a message's link preview, decrypted and checked.
func (s *Server) getPreviewImage(w http.ResponseWriter, r *http.Request, c *client.Client) {
	mid, err := strconv.ParseInt(r.PathValue("mid"), 10, 64)
	if err != nil || mid < 1 {
		writeError(w, http.StatusBadRequest, "bad message number")
		return
	}
	a, data, err := c.OpenPreviewImage(r.Context(), mid)
	serveFile(w, a, data, err)
}

// serveFile answers with a file of a message (or the error opening it).
func serveFile(w http.ResponseWriter, a client.Attachment, data []byte, err error) {
	if err != nil {
		if errors.Is(err, client.ErrNotFound) {
			writeError(w, http.StatusNotFound, err.Error())
			return
		}
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	h := w.Header()
	// The file is someone else's bytes: no script, no plugin, no sniffing,
	// whatever it claims to be.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	name := a.FileName
	if name == "" {
		name = "attachment"
	}
	if inlineTypes[a.ContentType] {
		h.Set("Content-Type", a.ContentType)
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	} else {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	h.Set("Content-Length", strconv.Itoa(len(data)))
	// A message's file never changes: the page redrawn need not fetch it
	// (and decrypt it here) again.
	h.Set("Cache-Control", "private, max-age=3600")
	w.Write(data)
}

// sendFile is POST /api/conversations/{id}/files with
// {"name", "data" (base64), "body", "width", "height"}: one file and an
// optional caption.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	s.sendFileTo(w, r, c, id)
}

// sendGroupFile is POST /api/groups/{gid}/files: sendFile to a group the
// account is in.
func (s *Server) sendGroupFile(w http.ResponseWriter, r *http.Request, c *client.Client) {
	gid, ok := pathGroup(w, r)
	if !ok {
		return
	}
	if _, err := joinedGroup(r.Context(), c, gid); err != nil {
		groupError(w, err)
		return
	}
	s.sendFileTo(w, r, c, gid)
}

// sendFileTo answers a request to send one file to id (a Session ID or a
// group ID).
func (s *Server) sendFileTo(w http.ResponseWriter, r *http.Request, c *client.Client, id string) {
	var req struct {
		Name string `json:"name"`
		Data string `json:"data"`
		Body string `json:"body"`
		// Width and Height of a picture or video, as the page measured
		// them (the library reads them itself when it can).
		Width  int `json:"width"`
		Height int `json:"height"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	data, err := base64.StdEncoding.DecodeString(req.Data)
	if err != nil || len(data) == 0 {
		writeError(w, http.StatusBadRequest, "the file is empty or not base64")
		return
	}
	if len(data) > client.MaxFileSize {
		writeError(w, http.StatusRequestEntityTooLarge, client.ErrFileTooLarge.Error())
		return
	}
	// The file goes through a temporary folder under its own (cleaned)
	// name, which SendFile keeps as the attachment's file name.
	dir, err := os.MkdirTemp("", "session-app-upload-")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "no room for the file")
		return
	}
	defer os.RemoveAll(dir)
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, filepath.Base(req.Name))
	if name == "" || name == "." || name == ".." || len(name) > 255 {
		name = "file"
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		writeError(w, http.StatusInternalServerError, "no room for the file")
		return
	}
	m, err := c.SendFiles(r.Context(), id, req.Body, client.File{Path: p, Width: req.Width, Height: req.Height})
	if err != nil && !errors.Is(err, client.ErrSendFailed) {
		clientError(w, err)
		return
	}
	// Sent, or kept as failed (shown with a retry): the lists change.
	s.changed()
	writeJSON(w, http.StatusOK, m)
}

// getAvatar is GET /api/avatars/{id}: someone's profile picture (an
// approved contact's, or this account's), 404 when there is none.
func (s *Server) getAvatar(w http.ResponseWriter, r *http.Request, c *client.Client) {
	data, err := c.Avatar(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no profile picture")
		return
	}
	ct := http.DetectContentType(data)
	if !inlineTypes[ct] || !strings.HasPrefix(ct, "image/") {
		writeError(w, http.StatusNotFound, "no profile picture")
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	if r.URL.Query().Get("v") != "" {
		// The version (from GET /api/avatars) changes with the picture.
		h.Set("Cache-Control", "private, max-age=86400")
	}
	w.Write(data)
}

// setAvatar is POST /api/profile/avatar with {"name", "data" (base64)}.
func (s *Server) setAvatar(w http.ResponseWriter, r *http.Request, c *client.Client) {
	var req struct {
		Name string `json:"name"`
		Data string `json:"data"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	data, err := base64.StdEncoding.DecodeString(req.Data)
	if err != nil || len(data) == 0 {
		writeError(w, http.StatusBadRequest, "the picture is empty or not base64")
		return
	}
	f, err := os.CreateTemp("", "session-app-avatar-*")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "no room for the picture")
		return
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "no room for the picture")
		return
	}
	if err := c.SetAvatar(r.Context(), f.Name()); err != nil && !errors.Is(err, client.ErrNotSynced) {
		if errors.Is(err, client.ErrNotImage) || errors.Is(err, client.ErrFileTooLarge) {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// fileProgress is a "progress" event: how far a file of a message has
// gone to or from the file server.
type fileProgress struct {
	Message      int64  `json:"message"`
	Index        int    `json:"index"`
	Conversation string `json:"conversation,omitempty"`
	FileName     string `json:"file_name"`
	Upload       bool   `json:"upload"`
	Done         int64  `json:"done"`
	Total        int64  `json:"total"`
}

func progressFrom(e client.FileProgress) fileProgress {
	return fileProgress{Message: e.Message, Index: e.Index, Conversation: e.Conversation, FileName: e.FileName,
		Upload: e.Upload, Done: e.Done, Total: e.Total}
}
