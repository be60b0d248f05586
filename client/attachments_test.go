package client

import (
	"bytes"
	"crypto/rand"
	"errors"
	"image"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/attachment"
)

// marker is written all through the test files, so that a scan of every
// byte on disk can tell whether plaintext leaked there.
const marker = "ATTACHMENT-PLAINTEXT-MARKER-7f3a"

func testFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	for i := 0; i+len(marker) < size; i += 4096 {
		copy(data[i:], marker)
	}
	p := filepath.Join(t.TempDir(), "holiday photo.bin")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// savedFiles runs downloads until message id's files are all on the
// device, and returns them saved into a fresh folder.
func savedFiles(t *testing.T, c *Client, id int64) [][]byte {
	t.Helper()
	return saveFiles(t, c, id, true)
}

// saveFiles saves message id's files, first waiting for the automatic
// downloads when wait is set (otherwise SaveAttachments fetches them).
func saveFiles(t *testing.T, c *Client, id int64, wait bool) [][]byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for wait {
		if _, err := c.DownloadPending(t.Context(), 8); err != nil {
			t.Logf("download: %v", err)
		}
		ms := c.RefreshMessages(t.Context(), []Message{{ID: id}})
		done := len(ms[0].Attachments) > 0
		for _, a := range ms[0].Attachments {
			done = done && a.Downloaded
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %d: files not downloaded after 60s: %+v", id, ms[0].Attachments)
		}
		time.Sleep(200 * time.Millisecond)
	}
	dir := t.TempDir()
	paths, err := c.SaveAttachments(t.Context(), id, dir)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, p := range paths {
		if filepath.Dir(p) != dir {
			t.Fatalf("saved outside the folder: %s", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func withFiles(ms []Message) *Message {
	for i := range ms {
		if len(ms[i].Attachments) > 0 {
			return &ms[i]
		}
	}
	return nil
}

// grepTree fails t if any file under dir holds needle.
func grepTree(t *testing.T, dir, needle string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil && bytes.Contains(b, []byte(needle)) {
			t.Errorf("plaintext found in %s", p)
		}
		return nil
	})
}

// Point 6 of the attachments issue, on a devnet with its file server: a
// 5 MiB file reaches the recipient and the sender's second device byte for
// byte; no plaintext on the file server's disk, in any node's database or
// in the homes; a byte flipped on the server's disk is refused with a clear
// error; a file over 10 MB is refused before anything is sent.
func TestFileToContactAndOtherDevice(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
	// Bob writes first: Alice is his approved contact, so her files are
	// fetched without asking.
	if _, err := bob.Send(ctx, alice.SessionID(), "send me the photo"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "Bob's message", func(ms []Message) bool { return len(ms) >= 1 })

	path, data := testFile(t, 5<<20)
	aliceEvents, bobEvents := alice.Subscribe(ctx), bob.Subscribe(ctx)
	m, err := alice.SendFile(ctx, bob.SessionID(), "here it is", path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != "sent" || len(m.Attachments) != 1 || m.Attachments[0].Size != int64(len(data)) ||
		m.Attachments[0].FileName != "holiday photo.bin" || !m.Attachments[0].Downloaded {
		t.Fatalf("sent message: %+v", m)
	}

	got := receiveUntil(t, bob, "the file", func(ms []Message) bool { return withFiles(ms) != nil })
	in := withFiles(got)
	if in.Body != "here it is" || in.Attachments[0].FileName != "holiday photo.bin" || in.Attachments[0].Size != int64(len(data)) {
		t.Fatalf("Bob's message: %+v", in)
	}
	files := savedFiles(t, bob, in.ID)
	if len(files) != 1 || !bytes.Equal(files[0], data) {
		t.Fatal("Bob's saved file differs from the one sent")
	}
	// Both transfers reported their progress, to the end.
	up := progressOf(aliceEvents, m.ID)
	if len(up) < 3 || !up[len(up)-1].Upload || up[len(up)-1].Done != up[len(up)-1].Total ||
		up[len(up)-1].Total < int64(len(data)) || up[0].Conversation != bob.SessionID() {
		t.Errorf("upload progress: %d events, last %+v", len(up), up[len(up)-1:])
	}
	down := progressOf(bobEvents, in.ID)
	if len(down) < 3 || down[len(down)-1].Upload || !down[len(down)-1].Stored || down[len(down)-2].Done != down[len(down)-2].Total {
		t.Errorf("download progress: %d events, last %+v", len(down), down[max(0, len(down)-2):])
	}

	got = receiveUntil(t, alice2, "the sync copy", func(ms []Message) bool { return withFiles(ms) != nil })
	synced := withFiles(got)
	if !synced.Outgoing || synced.Conversation != bob.SessionID() {
		t.Fatalf("sync copy: %+v", synced)
	}
	files = savedFiles(t, alice2, synced.ID)
	if len(files) != 1 || !bytes.Equal(files[0], data) {
		t.Fatal("the second device's saved file differs from the one sent")
	}

	// No plaintext anywhere but where the users saved it.
	grepTree(t, testNet.FileServer.DataDir, marker)
	for _, n := range testNet.Nodes {
		grepTree(t, n.DataDir, marker)
	}
	for _, c := range []*Client{alice, alice2, bob} {
		grepTree(t, c.opts.Home, marker)
	}

	// Tamper with the blob on the server's disk: Carol's download of it is
	// refused, with an error that says so, and nothing is saved.
	carol := account(t, "Carol")
	if _, err := carol.Send(ctx, alice.SessionID(), "me too"); err != nil {
		t.Fatal(err)
	}
	// (Sent first: uploading the same bytes would repair the copy, see
	// below.)
	//
	// An upload attempt that timed out on Alice's side (and was retried
	// on another path) may still reach the server later, under load, and
	// repair the copy like any upload of the same bytes. The check counts
	// only if the copy on disk is still the damaged one at its end; if a
	// late attempt repaired it, Alice sends the file again and the damage
	// is redone.
	var tm *Message
	for round := 1; ; round++ {
		if _, err := alice.SendFile(ctx, carol.SessionID(), "", path); err != nil {
			t.Fatal(err)
		}
		damaged := tamperBlobs(t, len(data))
		got = receiveUntil(t, carol, "the tampered file", func(ms []Message) bool { return withFiles(ms) != nil })
		tm = withFiles(got)
		dlErr := func() error { _, err := carol.DownloadPending(ctx, 8); return err }()
		after := carol.RefreshMessages(ctx, []Message{*tm})[0].Attachments[0]
		out := t.TempDir()
		_, saveErr := carol.SaveAttachments(ctx, tm.ID, out)
		left, _ := os.ReadDir(out)
		if !damaged() {
			if round == 5 {
				t.Fatal("late upload attempts repaired the server's copy in 5 rounds")
			}
			t.Logf("round %d: a late upload attempt repaired the server's copy during the check; again", round)
			continue
		}
		if !errors.Is(dlErr, ErrAttachment) {
			t.Fatalf("tampered download: %v, want ErrAttachment", dlErr)
		}
		if after.Downloaded || !strings.Contains(after.Error, "authentication failed") {
			t.Fatalf("tampered attachment: %+v", after)
		}
		if !errors.Is(saveErr, ErrAttachment) {
			t.Fatalf("save of a tampered file: %v", saveErr)
		}
		if len(left) != 0 {
			t.Fatalf("a tampered file left %d entries in the output folder", len(left))
		}
		break
	}

	// Alice puts her copy back (the same encrypted bytes, so the same
	// address): the server replaces the damaged file, and Carol's new try
	// gets the file whole.
	sent, err := alice.Messages(ctx, carol.SessionID(), 10)
	if err != nil || len(withFiles(sent).Attachments) != 1 {
		t.Fatalf("Alice's message to Carol: %v", err)
	}
	if _, err := alice.Reupload(ctx, withFiles(sent).ID); err != nil {
		t.Fatalf("re-upload: %v", err)
	}
	if _, err := carol.Reupload(ctx, tm.ID); !errors.Is(err, ErrReupload) {
		t.Fatalf("re-upload of someone else's message: %v", err)
	}
	files = saveFiles(t, carol, tm.ID, false)
	if len(files) != 1 || !bytes.Equal(files[0], data) {
		t.Fatal("the repaired file differs from the one sent")
	}
}

// tamperBlobs flips a byte in each file on the test file server's disk
// whose size fits an encrypted file of size bytes. It returns a function
// that reports whether every file it damaged is still as it left it (an
// upload of the same bytes replaces a damaged copy).
func tamperBlobs(t *testing.T, size int) func() bool {
	t.Helper()
	dir := filepath.Join(testNet.FileServer.DataDir, "files")
	blobs, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string][]byte{}
	for _, b := range blobs {
		p := filepath.Join(dir, b.Name())
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) > size && len(raw) < size+300_000 {
			raw[len(raw)/3] ^= 0x01
			if err := os.WriteFile(p, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			damaged[p] = raw
		}
	}
	if len(damaged) == 0 {
		t.Fatalf("no file of about %d bytes on the file server to damage", size)
	}
	return func() bool {
		for p, want := range damaged {
			if raw, err := os.ReadFile(p); err != nil || !bytes.Equal(raw, want) {
				return false
			}
		}
		return true
	}
}

func TestFileLimitRefusedBeforeSending(t *testing.T) {
	needNet(t)
	alice, bob := account(t, "Alice"), account(t, "Bob")
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, make([]byte, 11<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := alice.SendFile(t.Context(), bob.SessionID(), "too big", big)
	if !errors.Is(err, ErrFileTooLarge) || !strings.Contains(err.Error(), "10 MB") {
		t.Fatalf("11 MiB file: %v", err)
	}
	ms, err := alice.Messages(t.Context(), bob.SessionID(), 10)
	if err == nil && len(ms) != 0 {
		t.Fatalf("a refused file left %d messages", len(ms))
	}
	if entries, _ := os.ReadDir(filepath.Join(alice.opts.Home, attachmentsDir)); len(entries) != 0 {
		t.Fatalf("a refused file left %d blobs", len(entries))
	}
}

// A file server that is down fails the send, which is kept as failed with
// its encrypted file; Retry, once the server is back, uploads and sends it.
func TestFailedUploadIsKeptAndRetried(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	path, data := testFile(t, 300_000)
	fs := testNet.FileServer
	if err := fs.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := false
	restart := func() {
		if restarted {
			return
		}
		restarted = true
		if err := fs.Start(); err != nil {
			t.Fatal(err)
		}
		if err := fs.WaitReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	defer restart()
	m, err := alice.SendFile(ctx, bob.SessionID(), "when it's back", path)
	if !errors.Is(err, ErrSendFailed) || m.Status != "failed" || m.ID == 0 || len(m.Attachments) != 1 {
		t.Fatalf("send with the file server down: %+v, %v", m, err)
	}
	restart()
	m, err = alice.Retry(ctx, m.ID)
	if err != nil || m.Status != "sent" {
		t.Fatalf("retry: %+v, %v", m, err)
	}
	got := receiveUntil(t, bob, "the retried file", func(ms []Message) bool { return withFiles(ms) != nil })
	in := withFiles(got)
	// Bob has not approved Alice: her file waits until he asks for it.
	if in.Attachments[0].Downloaded {
		t.Fatal("a stranger's file was downloaded without asking")
	}
	if n, _ := bob.DownloadPending(ctx, 8); n != 0 {
		t.Fatalf("%d of a stranger's files downloaded without asking", n)
	}
	// Once Bob accepts Alice, her file is fetched like a contact's.
	if err := bob.Accept(ctx, alice.SessionID()); err != nil && !errors.Is(err, ErrNotSynced) {
		t.Fatal(err)
	}
	if n, err := bob.DownloadPending(ctx, 8); n != 1 {
		t.Fatalf("after accepting: %d files downloaded (%v), want 1", n, err)
	}
	if a := bob.RefreshMessages(ctx, []Message{*in})[0].Attachments[0]; !a.Downloaded {
		t.Fatalf("after accepting: %+v", a)
	}
	files := saveFiles(t, bob, in.ID, false)
	if len(files) != 1 || !bytes.Equal(files[0], data) {
		t.Fatal("the retried file arrived different")
	}
}

// A profile picture travels as Session's does (encrypted with the
// profile key, uploaded, named in the profile): an approved contact fetches
// and shows it; a stranger's client never fetches it.
func TestAvatarReachesContactsOnly(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, carol := account(t, "Alice"), account(t, "Bob"), account(t, "Carol")
	if _, err := bob.Send(ctx, alice.SessionID(), "hi"); err != nil { // Bob approves Alice
		t.Fatal(err)
	}
	var pic bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	png.Encode(&pic, img)
	p := filepath.Join(t.TempDir(), "me.png")
	os.WriteFile(p, pic.Bytes(), 0o600)
	notImage := filepath.Join(t.TempDir(), "me.txt")
	os.WriteFile(notImage, []byte("hello"), 0o600)
	if err := alice.SetAvatar(ctx, notImage); !errors.Is(err, ErrNotImage) {
		t.Fatalf("a text file as picture: %v", err)
	}
	if err := alice.SetAvatar(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, err := alice.Avatar(ctx, alice.SessionID()); err != nil || !bytes.Equal(got, pic.Bytes()) {
		t.Fatalf("own picture: %v", err)
	}
	// Another device of Alice's learns it from her profile config.
	alice2 := otherDevice(t, alice, "Alice")
	for deadline := time.Now().Add(30 * time.Second); ; {
		alice2.Receive(ctx)
		alice2.DownloadPending(ctx, 4)
		if got, err := alice2.Avatar(ctx, alice.SessionID()); err == nil {
			if !bytes.Equal(got, pic.Bytes()) {
				t.Fatal("the other device has a different picture")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Alice's other device never got her picture")
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, to := range []*Client{bob, carol} {
		if _, err := alice.Send(ctx, to.SessionID(), "with my picture"); err != nil {
			t.Fatal(err)
		}
	}
	receiveUntil(t, bob, "Alice's message", func(ms []Message) bool { return len(ms) >= 1 })
	receiveUntil(t, carol, "Alice's request", func(ms []Message) bool { return len(ms) >= 1 })
	deadline := time.Now().Add(30 * time.Second)
	for {
		bob.DownloadPending(ctx, 4)
		got, err := bob.Avatar(ctx, alice.SessionID())
		if err == nil {
			if !bytes.Equal(got, pic.Bytes()) {
				t.Fatal("Bob has a different picture")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Bob has no picture of Alice: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	carol.DownloadPending(ctx, 4)
	if _, err := carol.Avatar(ctx, alice.SessionID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a stranger's picture was fetched: %v", err)
	}
}

// progressOf drains the FileProgress events of message id from ch.
func progressOf(ch <-chan Event, id int64) []FileProgress {
	var out []FileProgress
	for {
		select {
		case ev := <-ch:
			if p, ok := ev.(FileProgress); ok && p.Message == id {
				out = append(out, p)
			}
		default:
			return out
		}
	}
}

// A link preview travels as Session's (DataMessage.preview: URL, title,
// and its picture as an AttachmentPointer) to the recipient and the
// sender's other device, and shows in their messages, its picture fetched
// and checked like a file but not among the files; a preview of a link
// not in the text, or whose picture is no picture, is refused.
func TestLinkPreviewTravels(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob, alice2 := aliceBobAndSecondDevice(t)
	if _, err := bob.Send(ctx, alice.SessionID(), "send me links"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "Bob's message", func(ms []Message) bool { return len(ms) >= 1 })
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	var buf bytes.Buffer
	png.Encode(&buf, img)
	pic := filepath.Join(t.TempDir(), "og.png")
	os.WriteFile(pic, buf.Bytes(), 0o600)
	notPic := filepath.Join(t.TempDir(), "og.png.html")
	os.WriteFile(notPic, []byte("<html>"), 0o600)

	const link = "https://example.com/article"
	if _, err := alice.SendWithPreview(ctx, bob.SessionID(), "read "+link, LinkPreview{URL: "https://example.org/", Title: "x"}, ""); !errors.Is(err, ErrPreviewLink) {
		t.Fatalf("a preview of a link not in the text: %v", err)
	}
	if _, err := alice.SendWithPreview(ctx, bob.SessionID(), "read "+link, LinkPreview{URL: link, Title: "x"}, notPic); !errors.Is(err, ErrPreviewLink) {
		t.Fatalf("a preview whose picture is HTML: %v", err)
	}
	m, err := alice.SendWithPreview(ctx, bob.SessionID(), "read "+link+" tonight", LinkPreview{URL: link, Title: "An article", Description: "local only"}, pic)
	if err != nil || m.LinkPreview == nil || m.LinkPreview.Title != "An article" || m.LinkPreview.Image == nil || len(m.Attachments) != 0 {
		t.Fatalf("sent: %+v %v", m, err)
	}
	withPreview := func(ms []Message) *Message {
		for i := range ms {
			if ms[i].LinkPreview != nil {
				return &ms[i]
			}
		}
		return nil
	}
	for _, c := range []*Client{bob, alice2} {
		got := withPreview(receiveUntil(t, c, "the message with its preview", func(ms []Message) bool { return withPreview(ms) != nil }))
		lp := got.LinkPreview
		if lp.URL != link || lp.Title != "An article" || lp.Image == nil || lp.Image.Width != 40 || lp.Image.Height != 20 ||
			lp.Image.ContentType != "image/png" || len(got.Attachments) != 0 {
			t.Fatalf("received: %+v, preview %+v", got, lp)
		}
		if _, err := c.DownloadPending(ctx, 8); err != nil {
			t.Logf("download: %v", err)
		}
		_, data, err := c.OpenPreviewImage(ctx, got.ID)
		if err != nil || !bytes.Equal(data, buf.Bytes()) {
			t.Fatalf("the preview's picture: %d bytes, %v", len(data), err)
		}
		if _, err := c.SaveAttachments(ctx, got.ID, t.TempDir()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("the preview's picture saved as a file: %v", err)
		}
	}
}

// A file sent in Session's older format (File.Legacy: AES-CBC + HMAC with
// a random key, padding and digest) arrives whole, as a legacy pointer (a
// 64-byte key and its digest), on the recipient and the second device.
func TestLegacyFormatSent(t *testing.T) {
	needNet(t)
	ctx := t.Context()
	alice, bob := account(t, "Alice"), account(t, "Bob")
	if _, err := bob.Send(ctx, alice.SessionID(), "old phone here"); err != nil {
		t.Fatal(err)
	}
	receiveUntil(t, alice, "Bob's message", func(ms []Message) bool { return len(ms) >= 1 })
	path, data := testFile(t, 100_000)
	m, err := alice.SendFiles(ctx, bob.SessionID(), "old format", File{Path: path, Legacy: true})
	if err != nil || m.Status != "sent" {
		t.Fatalf("send: %+v %v", m, err)
	}
	in := withFiles(receiveUntil(t, bob, "the file", func(ms []Message) bool { return withFiles(ms) != nil }))
	rows, err := bob.db.Attachments(ctx, in.ID)
	if err != nil || len(rows[in.ID]) != 1 || len(rows[in.ID][0].Key) != attachment.LegacyKeySize || len(rows[in.ID][0].Digest) != attachment.DigestSize {
		t.Fatalf("the pointer Bob got: %+v %v", rows[in.ID], err)
	}
	if files := savedFiles(t, bob, in.ID); len(files) != 1 || !bytes.Equal(files[0], data) {
		t.Fatal("the legacy file arrived different")
	}
}
