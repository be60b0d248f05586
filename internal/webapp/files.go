package webapp

import (
	"encoding/base64"
	"errors"
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
	w.Write(data)
}

// sendFile is POST /api/conversations/{id}/files with
// {"name", "data" (base64), "body"}: one file and an optional caption.
func (s *Server) sendFile(w http.ResponseWriter, r *http.Request, c *client.Client) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req struct {
		Name string `json:"name"`
		Data string `json:"data"`
		Body string `json:"body"`
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
	m, err := c.SendFile(r.Context(), id, req.Body, p)
	if errors.Is(err, client.ErrSendFailed) {
		writeJSON(w, http.StatusOK, m) // kept as failed, shown with a retry
		return
	}
	if err != nil {
		clientError(w, err)
		return
	}
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
