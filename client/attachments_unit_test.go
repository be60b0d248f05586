package client

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/session-go/session-go/internal/attachment"
	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/gen/signalpb"
)

var testURL = "http://127.0.0.1:9/file/abc#p=" + strings.Repeat("ab", 32)

// Pointers as Session's clients send them, in both formats, become rows
// that decrypt; bad ones are dropped, never stored.
func TestIncomingPointers(t *testing.T) {
	plain := []byte("a legacy attachment from an older Session client")
	lblob, lkey, ldigest, err := attachment.EncryptLegacy(rand.Reader, plain)
	if err != nil {
		t.Fatal(err)
	}
	dblob, dkey, _ := attachment.Encrypt(bytes.Repeat([]byte{1}, 32), attachment.DomainAttachment, plain, false)
	ps := []*signalpb.AttachmentPointer{
		{DeprecatedId: proto.Uint64(0), ContentType: proto.String("image/png; charset=x"), Key: lkey, Digest: ldigest,
			Size: proto.Uint32(uint32(len(plain))), FileName: proto.String("../../etc/passwd\x1b[31m"), Url: proto.String(testURL)},
		{DeprecatedId: proto.Uint64(0), ContentType: proto.String("text/plain"), Key: dkey[:],
			Size: proto.Uint32(uint32(len(plain))), Url: proto.String(testURL)},
		{Key: lkey, Url: proto.String(testURL)},                                         // legacy without digest
		{Key: dkey[:], Url: proto.String("http://host/file/abc")},                       // no server key
		{Key: []byte("short"), Url: proto.String(testURL)},                              // bad key
		{Key: dkey[:], Url: proto.String(testURL), Size: proto.Uint32(MaxFileSize + 1)}, // too large
	}
	rows, dropped := incomingAttachments(ps, clientdb.AttachmentPending, time.Now())
	if len(rows) != 2 || dropped != 4 {
		t.Fatalf("%d rows, %d dropped; want 2 and 4", len(rows), dropped)
	}
	if rows[0].FileName != ".._.._etc_passwd[31m" || rows[0].ContentType != "image/png" {
		t.Errorf("cleaned row: %q %q", rows[0].FileName, rows[0].ContentType)
	}
	for i, blob := range [][]byte{lblob, dblob} {
		pt, err := decryptBlob(rows[i], blob)
		if err != nil || !bytes.Equal(pt, plain) {
			t.Fatalf("row %d: %v", i, err)
		}
		bad := bytes.Clone(blob)
		bad[len(bad)/2] ^= 1
		if _, err := decryptBlob(rows[i], bad); !errors.Is(err, ErrAttachment) || !errors.Is(err, attachment.ErrAuth) {
			t.Fatalf("row %d tampered: %v", i, err)
		}
	}
	// A size that disagrees with the plaintext is refused.
	r := rows[1]
	r.Size++
	if _, err := decryptBlob(r, dblob); !errors.Is(err, ErrAttachment) {
		t.Fatalf("wrong size: %v", err)
	}
	// At most MaxAttachments are kept.
	many := make([]*signalpb.AttachmentPointer, clientdb.MaxAttachments+3)
	for i := range many {
		many[i] = ps[1]
	}
	if rows, dropped := incomingAttachments(many, clientdb.AttachmentPending, time.Now()); len(rows) != clientdb.MaxAttachments || dropped != 3 {
		t.Fatalf("%d rows, %d dropped", len(rows), dropped)
	}
}

func TestCleanFileName(t *testing.T) {
	for in, want := range map[string]string{
		"photo.jpg":              "photo.jpg",
		"a/b\\c":                 "a_b_c",
		"..":                     "",
		"x\u202egnp.exe":         "xgnp.exe",
		"bad\xffutf8":            "bad_utf8",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
	} {
		if got := cleanFileName(in); got != want {
			t.Errorf("cleanFileName(%q) = %q, want %q", in, got, want)
		}
	}
}

// Link previews are off by default, cannot be turned on without a proxy,
// and are refused while off.
func TestLinkPreviewsOffWithoutProxy(t *testing.T) {
	c, _, err := Create(t.Context(), Options{Home: t.TempDir(), Network: "/nonexistent/network.json"}, "Ann")
	if err != nil {
		t.Skipf("no offline account: %v", err)
	}
	defer c.Close()
	if on, err := c.LinkPreviews(t.Context()); on || err != nil {
		t.Fatalf("default: %v %v", on, err)
	}
	if _, err := c.LinkPreview(t.Context(), "https://example.com/"); !errors.Is(err, ErrPreviewsOff) {
		t.Fatalf("while off: %v", err)
	}
	if err := c.SetLinkPreviews(t.Context(), true); !errors.Is(err, ErrPreviewsNeedProxy) {
		t.Fatalf("on without a proxy: %v", err)
	}
}

// Blobs no attachment refers to are removed once they are a minute old;
// newer ones (a send in progress) are kept.
func TestPruneBlobs(t *testing.T) {
	c, _, err := Create(t.Context(), Options{Home: t.TempDir(), Network: "/nonexistent/network.json"}, "Ann")
	if err != nil {
		t.Skipf("no offline account: %v", err)
	}
	defer c.Close()
	dir, _ := c.blobDir()
	old, fresh := filepath.Join(dir, "old.blob"), filepath.Join(dir, "fresh.blob")
	os.WriteFile(old, []byte("x"), 0o600)
	os.WriteFile(fresh, []byte("y"), 0o600)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(old, past, past)
	if n, err := c.pruneBlobs(t.Context()); n != 1 || err != nil {
		t.Fatalf("pruned %d, %v", n, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("an old orphan blob was kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("a fresh blob was removed")
	}
}

// Profile pictures arrive in either of Session's formats: the
// deterministic one and the older AES-GCM one; anything else (or a wrong
// key) is ErrAttachment.
func TestDecryptAvatarBothFormats(t *testing.T) {
	pic := []byte("\x89PNG\r\n\x1a\n a picture")
	seed := bytes.Repeat([]byte{7}, 32)
	det, key, err := attachment.Encrypt(seed, attachment.DomainProfilePic, pic, false)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := attachment.EncryptProfileGCM(rand.Reader, pic, key[:])
	if err != nil {
		t.Fatal(err)
	}
	for name, blob := range map[string][]byte{"deterministic": det, "AES-GCM": gcm} {
		if pt, err := decryptAvatar(blob, key[:]); err != nil || !bytes.Equal(pt, pic) {
			t.Errorf("%s: %q %v", name, pt, err)
		}
		bad := bytes.Clone(blob)
		bad[len(bad)-1] ^= 1
		if _, err := decryptAvatar(bad, key[:]); !errors.Is(err, ErrAttachment) {
			t.Errorf("%s tampered: %v", name, err)
		}
	}
}

// A received link preview is kept only for an https link to a public host
// that the text shows, with its title cleaned and cut.
func TestPreviewOf(t *testing.T) {
	dm := func(body, url, title string) *signalpb.DataMessage {
		return &signalpb.DataMessage{Body: proto.String(body),
			Preview: []*signalpb.DataMessage_Preview{{Url: proto.String(url), Title: proto.String(title)}}}
	}
	long := strings.Repeat("é", 300)
	for _, c := range []struct {
		body, url, title string
		want             clientdb.LinkPreview
	}{
		{"see https://example.com/a ok", "https://example.com/a", "Example\u202e\n page", clientdb.LinkPreview{URL: "https://example.com/a", Title: "Example page"}},
		{"see https://example.com/a", "https://example.com/a", long, clientdb.LinkPreview{URL: "https://example.com/a", Title: strings.Repeat("é", 200) + "…"}},
		{"see https://example.com/a", "https://evil.example/", "not in the text", clientdb.LinkPreview{}},
		{"see http://example.com/a", "http://example.com/a", "not https", clientdb.LinkPreview{}},
		{"see https://127.0.0.1/a", "https://127.0.0.1/a", "loopback", clientdb.LinkPreview{}},
		{"see https://printer.local/", "https://printer.local/", "local name", clientdb.LinkPreview{}},
		{"no preview", "", "", clientdb.LinkPreview{}},
	} {
		if got := (&Client{}).previewOf(dm(c.body, c.url, c.title), c.body, clientdb.AttachmentPending); got != c.want {
			t.Errorf("%q / %q: %+v, want %+v", c.body, c.url, got, c.want)
		}
	}
	c := &Client{}
	if got := c.previewOf(&signalpb.DataMessage{Body: proto.String("x")}, "x", clientdb.AttachmentPending); got != (clientdb.LinkPreview{}) {
		t.Errorf("no preview: %+v", got)
	}
	// Its picture is kept when it is a usable pointer to a picture the app
	// shows, in the state given, never under a file name.
	withImage := func(ct string, key []byte) *signalpb.DataMessage {
		d := dm("see https://example.com/a", "https://example.com/a", "t")
		d.Preview[0].Image = &signalpb.AttachmentPointer{DeprecatedId: proto.Uint64(0), ContentType: proto.String(ct), Key: key,
			Size: proto.Uint32(1000), Url: proto.String(testURL), FileName: proto.String("x.png"), Width: proto.Uint32(40), Height: proto.Uint32(20)}
		return d
	}
	got := c.previewOf(withImage("image/jpeg", make([]byte, 32)), "see https://example.com/a", clientdb.AttachmentRemote)
	if got.Image == nil || got.Image.State != clientdb.AttachmentRemote || got.Image.FileName != "" || got.Image.Width != 40 || got.Image.URL != testURL {
		t.Errorf("preview picture: %+v", got.Image)
	}
	for _, d := range []*signalpb.DataMessage{withImage("text/html", make([]byte, 32)), withImage("image/png", make([]byte, 5))} {
		if got := c.previewOf(d, "see https://example.com/a", clientdb.AttachmentPending); got.Image != nil || got.URL == "" {
			t.Errorf("a bad preview picture was kept (or dropped its preview): %+v", got)
		}
	}
}

// FuzzPreviewOf: a received preview is a stranger's bytes. Whatever they
// are, a kept preview is an https link the text shows, with a short title
// free of control and bidi characters, and a kept picture has a usable key.
func FuzzPreviewOf(f *testing.F) {
	f.Add("see https://example.com/a", "https://example.com/a", "Title\u202e", "image/png", 32)
	f.Add("x", "https://127.0.0.1/", "", "text/html", 5)
	c := &Client{}
	f.Fuzz(func(t *testing.T, body, url, title, ct string, keyLen int) {
		d := &signalpb.DataMessage{Body: proto.String(body), Preview: []*signalpb.DataMessage_Preview{{Url: proto.String(url), Title: proto.String(title),
			Image: &signalpb.AttachmentPointer{DeprecatedId: proto.Uint64(0), ContentType: proto.String(ct), Key: make([]byte, keyLen&127),
				Size: proto.Uint32(10), Url: proto.String(testURL)}}}}
		p := c.previewOf(d, body, clientdb.AttachmentPending)
		if p.URL == "" {
			if p.Title != "" || p.Image != nil {
				t.Fatalf("a preview without its link: %+v", p)
			}
			return
		}
		if !strings.Contains(body, p.URL) || !strings.HasPrefix(p.URL, "https://") {
			t.Fatalf("kept %q for text %q", p.URL, body)
		}
		if utf8.RuneCountInString(p.Title) > maxPreviewTitle+1 || strings.ContainsFunc(p.Title, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
		}) {
			t.Fatalf("title %q", p.Title)
		}
		if p.Image != nil && (len(p.Image.Key) != attachment.KeySize || !inlineImage(p.Image.ContentType)) {
			t.Fatalf("picture %+v", p.Image)
		}
	})
}
